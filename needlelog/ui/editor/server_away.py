"""A draft that cannot reach its chart (a server gone away, a disk that refuses): kept, and tried again.

The draft keeper hands a failed save here: the draft, as on screen, goes to an owner-only recovery file on
this PC (:mod:`needlelog.services.recovery`), the save state line says so in words, and the save is tried
again every :data:`RETRY_MS` until the chart takes it; then the recovery file goes. The text never leaves
the screen, and nothing asks.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from needlelog.domain.errors import StorageError
from needlelog.domain.model import TreatmentSession
from needlelog.services.recovery import DraftRecovery
from needlelog.services.store import Services

RETRY_MS = 3000
RETRY_AT_MOST_MS = 30_000  # the wait doubles while the chart stays away: a save that must time out costs the
# window a few seconds (saves run on its thread), so a long outage must not cost them every 3 s


class ServerAway(QObject):
    """The recovery file of one editor's draft, and the timer that tries the save again."""

    def __init__(self, location: str, retry: Callable[[], object], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.recovery = DraftRecovery(location)
        self.away = False
        self._retry = QTimer(self)
        self._retry.setInterval(RETRY_MS)
        self._retry.timeout.connect(retry)

    def kept(self, session: TreatmentSession, error: StorageError) -> str:
        """The save failed: keep ``session`` on this PC, try again soon; returns the words for the save state."""
        interval = min(self._retry.interval() * 2, RETRY_AT_MOST_MS) if self.away else RETRY_MS
        self.away = True
        self._retry.start(interval)
        try:
            self.recovery.keep(session)
        except OSError as exc:  # this PC's own disk refuses too: the screen still holds it
            where = f"it could not be kept on this PC either ({exc.strerror or exc})"
        else:
            where = "it is kept here and in a recovery file on this PC"
        return f"Not saved: {error} Your draft is not lost: {where}, and is saved as soon as the chart is back."

    def back(self, session: TreatmentSession) -> str:
        """A save reached the chart: no recovery file, no retry; returns what to add to "Draft saved"."""
        self._retry.stop()
        self.recovery.clear(session)
        was_away, self.away = self.away, False
        return " (the chart is back)" if was_away else ""


def save_kept_drafts(services: Services) -> str:
    """At a sign-in, before any editor reopens: store the drafts kept on this PC while the chart was away;
    returns what to say (nothing when there were none)."""
    saved, problems = DraftRecovery(services.location).save_pending(services.sessions)
    said = [f"{saved} draft(s) kept on this PC while the chart was away are saved."] if saved else []
    return " ".join(said + problems)
