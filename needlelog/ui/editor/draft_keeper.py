"""The draft keeper: every change is saved within two seconds (and on close, at each move of the focus, and at
Ctrl+S) without a prompt.

The autosave has a deadline, not only a debounce: a change is written at the latest :data:`AUTOSAVE_MS` after the
first change not yet saved, however long the typing goes on, and sooner when the typing pauses for
:data:`PAUSE_MS`. Moving the focus to another field or panel, or out of the window, saves at the next turn of
the event loop. A save reads the screen and writes it; it never takes the focus or moves the cursor, and a change
made while a save is running stays unsaved (and is saved by the next one).

A value the rules refuse is not written: the autosave writes the rest of the draft with that one
value left empty (:meth:`DraftKeeper.savable`), so a crash never costs more than the wrong number itself.
When another PC saved the same draft first, the conflict bar offers "mine over theirs" or "load theirs",
and nothing is saved until the clinician chooses. The save state line under the editor is the keeper's;
other panels report there through :meth:`DraftKeeper.tell`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QPushButton, QWidget

from needlelog.domain.drafts import savable_draft
from needlelog.domain.errors import ConflictError, NeedlelogError, StorageError
from needlelog.domain.model import TreatmentSession
from needlelog.domain.rules import value_problems
from needlelog.services.store import Services
from needlelog.ui.editor.server_away import ServerAway
from needlelog.ui.widgets.common import local_time, named

# The deadline: a change is stored at the latest this long after the first change not yet saved (SPEC §7 allows
# two seconds; the rest is the save itself and a busy machine's late timer).
AUTOSAVE_MS = 1500
# A pause in the typing this long saves sooner than the deadline.
PAUSE_MS = 400
SAVE_TIP = "Drafts save by themselves; this saves at once (Ctrl+S)"


class DraftKeeper(QObject):
    """Holds the draft as last stored, and saves what is on screen."""

    saved = Signal(object)  # TreatmentSession, as stored
    theirs_loaded = Signal(object)  # TreatmentSession saved elsewhere, to be shown instead of the screen

    def __init__(
        self,
        services: Services,
        session: TreatmentSession,
        screen: Callable[[], TreatmentSession],
        view_only: bool,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.clock = services.clock
        self.session = session  # the draft as last stored (its version is what the next save expects)
        self.screen = screen  # the session exactly as it is on screen
        self.view_only = view_only
        self.conflict = False
        # Changed since the last save: an untouched draft is never written (that would make
        # another PC's later save look like a conflict, and bump the version for nothing). A copy of the
        # last session starts unsaved (no id): untouched, it closes without a row or an audit line.
        self.dirty = False
        self._close_refused = False
        # When the first change not yet saved was made (time.monotonic), and how many changes so far: a save
        # that began at change n leaves the draft unsaved if change n + 1 came while it ran.
        self._first_unsaved: float | None = None
        self._changes = 0
        self._window: QWidget | None = None  # the editor whose fields' focus is watched (bind_keys)
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse timer may fire 5 % late
        self._autosave.setInterval(AUTOSAVE_MS)
        self._autosave.timeout.connect(self.save_now)
        self.server_away = ServerAway(services.location, self.save_now, self)  # a chart gone away: kept, retried
        self.conflict_bar = self._build_conflict_bar()
        self.save_state = QLabel("")
        named(self.save_state, "saveState", "Save state")
        self.save_button = QPushButton("Save now (Ctrl+S)")
        named(self.save_button, "saveButton", "Save the draft now", SAVE_TIP)
        self.save_button.setMinimumHeight(38)
        self.save_button.clicked.connect(self.save_now)

    def _build_conflict_bar(self) -> QWidget:
        bar = QWidget()
        layout = QHBoxLayout(bar)
        self.conflict_text = QLabel("")
        self.conflict_text.setWordWrap(True)
        self.conflict_text.setStyleSheet("color: #8a4b00; font-weight: bold;")
        named(self.conflict_text, "conflictMessage", "Save conflict")
        self.keep_mine = QPushButton("Save my version over theirs")
        named(self.keep_mine, "keepMine", "Save my version over theirs")
        self.keep_mine.clicked.connect(self.save_mine_over_theirs)
        self.take_theirs = QPushButton("Load their version")
        named(self.take_theirs, "takeTheirs", "Load their version")
        self.take_theirs.clicked.connect(self.load_theirs)
        layout.addWidget(self.conflict_text, 1)
        layout.addWidget(self.keep_mine)
        layout.addWidget(self.take_theirs)
        bar.hide()
        return bar

    def bind_keys(self, window: QWidget) -> None:
        """Ctrl+S in ``window``, and a save whenever the focus leaves one of its fields (for another, or for
        another window)."""
        QShortcut(QKeySequence.StandardKey.Save, window, activated=self.save_now)
        self._window = window
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_moved)

    def _focus_moved(self, old: QWidget | None, new: QWidget | None) -> None:
        """The focus left a field of the editor: an unsaved change is stored at the next turn of the event loop
        (not inside the focus change itself, which may be half-way through a panel's work)."""
        if old is None or old is new or not self.dirty or self.conflict:
            return
        window = self._window
        if window is None or not shiboken6.isValid(window):
            return
        if old is window or window.isAncestorOf(old):
            self._autosave.start(0)

    def tell(self, text: str) -> None:
        """A line of what just happened (saved, not saved and why, a PDF written, an amendment added)."""
        self.save_state.setText(text)

    # --- the draft's state ---------------------------------------------------------------
    def show_signature(self) -> None:
        """A signed note says when it was signed and its fingerprint where the save state was."""
        if self.session.is_signed:
            self.tell(f"Signed {local_time(self.session.signed_at)} · fingerprint {self.session.fingerprint[:16]}…")

    def clean(self) -> None:
        """What is on screen is what is stored: nothing to save."""
        self.dirty = False
        self._first_unsaved = None

    def settle(self, stored: TreatmentSession) -> None:
        """The draft was discarded: nothing is saved from this screen again."""
        self._autosave.stop()
        self.session = stored
        self.clean()

    def note_change(self) -> None:
        """The screen changed: saved within two seconds of the first unsaved change, however long the typing
        goes on (unless a conflict waits for the clinician)."""
        self.dirty = True
        self._changes += 1
        self._close_refused = False
        now = time.monotonic()
        if self._first_unsaved is None:
            self._first_unsaved = now
        self.tell("Changes not yet saved…")
        self.save_button.setEnabled(True)
        self.save_button.setToolTip(SAVE_TIP)
        if not self.conflict:
            self._autosave.start(autosave_delay_ms(self._first_unsaved, now))

    def set_read_only(self, read_only: bool) -> None:
        self.save_button.setEnabled(not read_only)
        if read_only:
            self.save_button.setToolTip("A signed note never changes; correct it with an amendment.")

    # --- saving --------------------------------------------------------------------------
    def savable(self) -> TreatmentSession:
        """What autosave writes: the screen, with any value the rules refuse left empty (the domain's rule)."""
        content = self.screen()
        return savable_draft(content, value_problems(content, self.clock()), self.session.service_start)

    def save_now(self) -> bool:
        """Save the draft now; True when what is stored matches the screen (or it is signed)."""
        self._autosave.stop()
        if self.view_only:
            return True
        if self.session.is_signed or self.session.is_discarded or self.conflict:
            return self.session.is_signed or self.session.is_discarded
        if not self.dirty:
            return True
        return self.save_by(self.services.sessions.save_draft)

    def store_now(self) -> bool:
        """Save now, writing even an untouched copy that has never been stored (Sign, a PDF, Discard and a
        timer's start need a stored draft); True when what is stored matches the screen."""
        if self.session.id is None:
            self.dirty = True
        return self.save_now()

    def save_by(self, use_case: Callable[[TreatmentSession], TreatmentSession]) -> bool:
        """Save what autosave would, through ``use_case`` (a save, or one the audit names, such as an undone
        timer stop); True when stored."""
        self._autosave.stop()
        if self.view_only or self.session.is_signed or self.session.is_discarded or self.conflict:
            return False
        began, changes = time.monotonic(), self._changes
        try:
            stored = use_case(self.savable())
        except ConflictError as exc:
            self.enter_conflict(str(exc))
            return False
        except StorageError as exc:  # the chart cannot be reached: kept on this PC, tried again until it is back
            self.tell(self.server_away.kept(self.savable(), exc))
            self._first_unsaved = time.monotonic()
            return False
        except NeedlelogError as exc:  # ValidationError among them
            self.tell(f"Not saved: {exc}")
            self._first_unsaved = time.monotonic()  # the next change or focus move tries again, its deadline from now
            return False
        # The first save of a copy gives it its id (and the editor its place in open-drafts.json).
        self.session = replace(self.session, id=stored.id, version=stored.version, service_start=stored.service_start)
        if self._changes != changes:  # typed while the save ran: not in what was written, saved next
            self._first_unsaved = began
            self._autosave.start(autosave_delay_ms(began, time.monotonic()))
        else:
            self.clean()
            back = self.server_away.back(self.session)
            self.tell(f"Draft saved {self.clock().astimezone().strftime('%H:%M:%S')}{back}")
            if not self.save_button.hasFocus():  # a disabled button would pass the focus on
                self.save_button.setEnabled(False)
            self.save_button.setToolTip("Nothing to save: every change is saved.")
        self.saved.emit(stored)
        return not self.dirty

    # --- a conflict ----------------------------------------------------------------------
    def enter_conflict(self, message: str) -> None:
        self.conflict = True
        self.conflict_text.setText(message)
        self.conflict_bar.show()
        self.tell("Not saved: this draft was changed elsewhere. Your text is kept here.")

    def save_mine_over_theirs(self) -> None:
        theirs = self.services.sessions.get(self.session.id or 0)
        if theirs.is_signed:
            self.conflict_text.setText("It was signed elsewhere; copy your text into an amendment.")
            return
        self.session = replace(self.session, version=theirs.version)
        self.conflict = False
        self.conflict_bar.hide()
        self.save_now()

    def load_theirs(self) -> None:
        theirs = self.services.sessions.get(self.session.id or 0)
        self.conflict = False
        self.conflict_bar.hide()
        self.theirs_loaded.emit(theirs)
        self.clean()
        self.tell("Loaded the version saved elsewhere.")

    # --- closing -------------------------------------------------------------------------
    def try_to_close(self) -> bool:
        """Save before closing; False (and the reason on screen) when closing now would lose text."""
        if self.session.is_signed or self.save_now():
            return True
        if self.conflict:
            return False
        if self._close_refused:
            return True
        self._close_refused = True
        self.tell(f"{self.save_state.text()} — not closed, so nothing is lost; close again to discard.")
        return False


def autosave_delay_ms(first_unsaved: float, now: float) -> int:
    """How long from ``now`` until the autosave: a pause of :data:`PAUSE_MS`, but never past the deadline of
    :data:`AUTOSAVE_MS` after the first unsaved change (times from ``time.monotonic()``)."""
    left = first_unsaved + AUTOSAVE_MS / 1000 - now
    return max(0, min(PAUSE_MS, round(left * 1000)))
