"""A call from another thread, made on the window's thread in the event loop's next turn."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal, Slot


class ThreadRelay(QObject):
    """Made on the window's thread; :meth:`call` may be called from any thread, and ``then`` runs on this one
    (the signal's connection is queued, since the emitting thread is not this object's)."""

    fired = Signal()

    def __init__(self, then: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.then = then
        self.fired.connect(self._deliver)

    def call(self) -> None:
        self.fired.emit()

    @Slot()
    def _deliver(self) -> None:
        self.then()
