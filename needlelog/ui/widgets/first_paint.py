"""Do something once a window has first been painted: what can wait until the person sees the window waits
(the chart opened behind the sign-in window, issue 14), and the start-up benchmark's marks are taken there."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget


class _FirstPaint(QObject):
    def __init__(self, widget: QWidget, then: Callable[[], None]) -> None:
        super().__init__(widget)  # lives, and goes, with the window
        self._then = then
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            # After the paint this event starts has reached the screen: the next turn of the event loop.
            QTimer.singleShot(0, self._then)
        return False


def after_first_paint(widget: QWidget, then: Callable[[], None]) -> None:
    """Call ``then`` once, in the event loop's next turn after ``widget`` is first painted."""
    _FirstPaint(widget, then)
