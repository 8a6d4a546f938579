"""The open editors: one session editor window per session, opened or brought forward, listed in
open-drafts.json while open so that a crash or a power cut reopens them, and closed together.

A copy of the last session opens unsaved (no id): its editor is kept aside, out of open-drafts.json, until its
first save gives it an id; closed untouched, it leaves nothing behind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal

from needlelog.domain.errors import NeedlelogError
from needlelog.domain.model import Clinician, TreatmentSession
from needlelog.domain.timers import RunningTimer
from needlelog.services.store import Services
from needlelog.services.workspace import OpenDrafts

if TYPE_CHECKING:  # loaded when the first editor opens, not with the main window (issue 14)
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
        self.unsaved: list[SessionEditor] = []  # copies not yet written: no id to list them by
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
            session = self.services.sessions.open(session_id)  # audited once: the note (and its patient) viewed
            patient = self.services.patients.get(session.patient_id)
        except NeedlelogError as exc:
            self.problem.emit(str(exc))
            return None
        from needlelog.ui.session_editor import SessionEditor

        editor = SessionEditor(self.services, session, patient, who)
        self.editors[session_id] = editor
        if self.open_drafts is not None and not session.is_signed:
            self.open_drafts.opened(session_id)
        return self._show(editor)

    def open_unsaved(self, session: TreatmentSession) -> SessionEditor | None:
        """Open the editor of a copy not yet stored; its first save writes it and lists it by its id.

        Nothing is read that would be audited: the patient's chart is already open in the window, and an
        untouched copy must leave no trace.
        """
        if self.clinician is None:
            return None
        try:
            patient = self.services.patients.get(session.patient_id)
        except NeedlelogError as exc:
            self.problem.emit(str(exc))
            return None
        from needlelog.ui.session_editor import SessionEditor

        editor = SessionEditor(self.services, session, patient, self.clinician)
        self.unsaved.append(editor)
        editor.saved.connect(self._unsaved_stored)
        return self._show(editor)

    def _show(self, editor: SessionEditor) -> SessionEditor:
        editor.set_private(self.private)
        editor.saved.connect(self.session_changed)
        editor.signed.connect(self.session_changed)
        editor.discarded.connect(self.session_changed)
        editor.closed.connect(self._editor_closed)
        screen = editor.screen()
        if screen is not None:  # without a window manager, maximising alone does nothing
            editor.setGeometry(screen.availableGeometry())
        editor.showMaximized()  # the whole screen: the sites table needs every pixel of 1366
        editor.activateWindow()
        editor.condition.setFocus(Qt.FocusReason.ActiveWindowFocusReason)
        return editor

    def reopen_drafts(self) -> list[SessionEditor]:
        """Reopen the drafts that were open when the program last stopped (a crash, a power cut)."""
        reopened = []
        for session_id in self.open_drafts.ids() if self.open_drafts else []:
            try:
                session = self.services.sessions.get(session_id)  # opening it below is what is audited
            except NeedlelogError:
                session = None
            if session is None or session.is_signed or session.is_discarded:
                if self.open_drafts:
                    self.open_drafts.closed(session_id)
                continue
            user = self.services.access.user
            if user is not None and session.clinician_id != user.id:
                continue  # a colleague's draft: theirs to reopen at their next start, not this person's
            editor = self.open_session(session_id)
            if editor is not None:
                reopened.append(editor)
        return reopened

    def _unsaved_stored(self) -> None:
        """A copy's first save: its editor is listed by its new id, and in open-drafts.json."""
        for editor in list(self.unsaved):
            session_id = editor.session.id
            if session_id is not None:
                self.unsaved.remove(editor)
                self.editors[session_id] = editor
                if self.open_drafts is not None:
                    self.open_drafts.opened(session_id)

    def _all(self) -> list[SessionEditor]:
        return [*self.editors.values(), *self.unsaved]

    def set_private(self, private: bool) -> None:
        self.private = private
        for editor in self._all():
            editor.set_private(private)

    def save_all(self) -> None:
        """Save every open draft now (before the lock hides them); an untouched copy stays unwritten."""
        for editor in self._all():
            editor.save_now()

    def unsaved_changes(self) -> list[str]:
        """The open drafts whose screen differs from what is stored (the patient's chart number each)."""
        return [editor.windowTitle() for editor in self._all() if editor.keeper.dirty and not editor.view_only]

    def stop_timer(self, timer: RunningTimer) -> None:
        """Stop through the open editor when there is one (it holds the newest text), else through the service.

        The timer is found by its start, not by its site's place, which may have changed since.
        """
        editor = self.editors.get(timer.session_id)
        if editor is not None and not editor.view_only:
            index = next((i for i, row in enumerate(editor.rows) if row.timer_started == timer.started), None)
            if index is not None:
                editor.stop_timer(index)
            self.timers_changed.emit()
            return
        # No editor of one's own: a colleague's draft (open here read-only, or not at all) is stopped through the
        # service, which allows it (needles taken out for a colleague), and a read-only editor shows the result.
        try:
            session = self.services.sessions.stop_timer(timer.session_id, timer.site_index, timer.started)
        except NeedlelogError as exc:
            self.problem.emit(str(exc))
            self.timers_changed.emit()
            return
        if editor is not None:
            editor.show_session(session)
        self.session_changed.emit(session)

    def close_all(self, forget: bool = False) -> bool:
        """Close every editor, each saving its draft; False (and that editor in front) if one must stay open.

        Drafts stay listed in open-drafts.json so that they reopen at the next start; ``forget`` (a sign-out)
        takes them off, so that the next person's window does not open someone else's drafts.
        """
        for editor in self._all():
            if not editor.try_to_close():
                editor.raise_()  # its reason is on screen; the program stays open rather than lose text
                return False
        for editor in self.unsaved:  # untouched copies: nothing to keep
            editor.blockSignals(True)
            editor.close()
        self.unsaved.clear()
        for session_id, editor in list(self.editors.items()):
            editor.blockSignals(True)
            editor.close()
            if forget:
                self._editor_closed(session_id)
        return True

    def _editor_closed(self, session_id: int) -> None:
        if not session_id:  # an untouched copy: never listed, never stored
            closing = self.sender()
            self.unsaved = [editor for editor in self.unsaved if editor is not closing]
            return
        self.editors.pop(session_id, None)
        if self.open_drafts is not None:
            self.open_drafts.closed(session_id)
