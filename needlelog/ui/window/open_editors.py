"""The open editors: one session editor window per session, opened or brought forward, listed in
open-drafts.json while open so that a crash or a power cut reopens them, and closed together.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal

from needlelog.domain.errors import NeedlelogError
from needlelog.domain.model import Clinician
from needlelog.domain.timers import RunningTimer
from needlelog.services.store import Services
from needlelog.services.workspace import OpenDrafts
from needlelog.ui.session_editor import SessionEditor


class OpenEditors(QObject):
    """Every session editor this window opened, by session id."""

    session_changed = Signal(object)  # TreatmentSession: saved or signed in an editor, or a timer stopped
    timers_changed = Signal()  # a timer may have stopped: the dock reads them again
    problem = Signal(str)  # why a session could not be opened, in words

    def __init__(
        self,
        services: Services,
        clinician: Clinician | None,
        open_drafts: OpenDrafts | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.clinician = clinician
        self.open_drafts = open_drafts
        self.editors: dict[int, SessionEditor] = {}
        self.private = False

    def open_session(self, session_id: int) -> SessionEditor | None:
        """Open (or bring forward) the editor of one session."""
        if session_id in self.editors:
            editor = self.editors[session_id]
            editor.show()
            editor.raise_()
            editor.activateWindow()
            return editor
        # A clinician charts; a manager reads (and prints) the same editor, read-only.
        who = self.clinician or self.services.access.user
        if who is None:
            self.problem.emit("No clinician is set up in this clinic, so sessions cannot be charted.")
            return None
        try:
            session = self.services.sessions.get(session_id)
            patient = self.services.patients.view(session.patient_id)  # audited: the chart was viewed
        except NeedlelogError as exc:
            self.problem.emit(str(exc))
            return None
        editor = SessionEditor(self.services, session, patient, who)
        editor.set_private(self.private)
        self.editors[session_id] = editor
        editor.saved.connect(self.session_changed)
        editor.signed.connect(self.session_changed)
        editor.discarded.connect(self.session_changed)
        editor.closed.connect(self._editor_closed)
        if self.open_drafts is not None and not session.is_signed:
            self.open_drafts.opened(session_id)
        editor.showMaximized()  # the whole screen: the sites table needs every pixel of 1366
        editor.activateWindow()
        editor.condition.setFocus(Qt.FocusReason.ActiveWindowFocusReason)
        return editor

    def reopen_drafts(self) -> list[SessionEditor]:
        """Reopen the drafts that were open when the program last stopped (a crash, a power cut)."""
        reopened = []
        for session_id in self.open_drafts.ids() if self.open_drafts else []:
            try:
                session = self.services.sessions.get(session_id)
            except NeedlelogError:
                session = None
            if session is None or session.is_signed or session.is_discarded:
                if self.open_drafts:
                    self.open_drafts.closed(session_id)
                continue
            editor = self.open_session(session_id)
            if editor is not None:
                reopened.append(editor)
        return reopened

    def set_private(self, private: bool) -> None:
        self.private = private
        for editor in self.editors.values():
            editor.set_private(private)

    def save_all(self) -> None:
        """Save every open draft now (before the lock hides them)."""
        for editor in self.editors.values():
            editor.save_now()

    def stop_timer(self, timer: RunningTimer) -> None:
        """Stop through the open editor when there is one (it holds the newest text), else through the service.

        The timer is found by its start, not by its site's place, which may have changed since.
        """
        editor = self.editors.get(timer.session_id)
        if editor is not None:
            index = next((i for i, row in enumerate(editor.rows) if row.timer_started == timer.started), None)
            if index is not None:
                editor.stop_timer(index)
            self.timers_changed.emit()
            return
        try:
            session = self.services.sessions.stop_timer(timer.session_id, timer.site_index, timer.started)
        except NeedlelogError as exc:
            self.problem.emit(str(exc))
            self.timers_changed.emit()
            return
        self.session_changed.emit(session)

    def close_all(self, forget: bool = False) -> bool:
        """Close every editor, each saving its draft; False (and that editor in front) if one must stay open.

        Drafts stay listed in open-drafts.json so that they reopen at the next start; ``forget`` (a sign-out)
        takes them off, so that the next person's window does not open someone else's drafts.
        """
        for editor in list(self.editors.values()):
            if not editor.try_to_close():
                editor.raise_()  # its reason is on screen; the program stays open rather than lose text
                return False
        for session_id, editor in list(self.editors.items()):
            editor.blockSignals(True)
            editor.close()
            if forget:
                self._editor_closed(session_id)
        return True

    def _editor_closed(self, session_id: int) -> None:
        self.editors.pop(session_id, None)
        if self.open_drafts is not None:
            self.open_drafts.closed(session_id)
