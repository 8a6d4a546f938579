"""Garbage is collected on the GUI thread only (ui/widgets/main_thread_gc.py): a thread that allocates, as an
export or a backup does, never runs a collection that could destroy a window from the wrong thread."""

from __future__ import annotations

import gc
import threading
import weakref

from pytestqt.qtbot import QtBot

from needlelog.ui.widgets.main_thread_gc import MainThreadCollector, collect_if_due


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_a_thread_that_allocates_collects_nothing_and_the_gui_thread_collects_it_later(qtbot: QtBot) -> None:
    gc.enable()
    collector = MainThreadCollector()
    try:
        assert not gc.isenabled()
        gc.collect()
        dropped = Cycle()
        alive = weakref.ref(dropped)
        del dropped
        seen: list[bool] = []
        kept: list[object] = []

        def busy() -> None:
            kept.extend([i] for i in range(200_000))  # far past the 700 allocations that start a collection
            seen.append(alive() is not None)

        worker = threading.Thread(target=busy)
        worker.start()
        worker.join()
        assert seen == [True]  # not collected in the thread
        assert collect_if_due(collector.threshold) > 0  # the GUI thread's turn, by CPython's own thresholds
        assert alive() is None
        kept.clear()
    finally:
        collector.deleteLater()
