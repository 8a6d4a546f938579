"""Python's cyclic garbage collector, pinned to the GUI thread.

CPython collects cycles in whichever thread crosses its allocation threshold. The program runs work in
plain threads (an export from its dialog, the automatic backup), and a collection there can destroy a
window, a dialog or a timer that sat in a reference cycle from the GUI thread, which Qt does not survive
(a segmentation fault, seen once in the test suite: "Garbage-collecting" in the export thread). So automatic
collection is switched off and the GUI thread collects on a timer, with CPython's own thresholds, the way
calibre and pyqtgraph do it. Nothing else changes: reference counting still frees everything not in a cycle
at once.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_MS = 1000


def collect_if_due(threshold: tuple[int, int, int] = (700, 10, 10)) -> int:
    """Collect the generations CPython itself would have collected by now; returns the objects found."""
    first, second, third = gc.get_count()
    if first <= threshold[0]:
        return 0
    found = gc.collect(0)
    if second > threshold[1]:
        found += gc.collect(1)
        if third > threshold[2]:
            found += gc.collect(2)
    return found


class MainThreadCollector(QObject):
    """Switches automatic collection off and collects from the GUI thread every second while it lives."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_MS)
        self._timer.timeout.connect(lambda: collect_if_due(self.threshold))
        self._timer.start()


def collect_garbage_on_the_gui_thread(app: QObject) -> MainThreadCollector:
    """Install the collector for the life of ``app`` (the QApplication)."""
    return MainThreadCollector(app)
