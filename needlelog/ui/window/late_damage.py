"""The chart found damaged while it is open (issue 14): the whole file's page check runs in a thread once the
main window is painted, so that the window does not wait for it. When it finds damage, the composition root
(``app.py``) stops every write to the chart first; this module brings the answer to the window's thread and
closes the window, each open draft's save refused and kept on this PC (the draft keeper's recovery files,
saved into the chart at the next sign-in). The program then ends, and ``app.py`` offers the newest good
backup as at start-up (:mod:`needlelog.ui.window.damaged_chart`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from needlelog.ui.main_window import MainWindow


class LateDamage(QObject):
    """Made on the window's thread; ``found`` may be emitted from any thread, and ``on_found`` runs on this one."""

    found = Signal(object)  # list[str]: the damage, in words

    def __init__(self, parent: QObject, on_found: Callable[[list[str]], None]) -> None:
        super().__init__(parent)
        self.on_found = on_found
        self.found.connect(self._deliver)  # queued: this object lives on the window's thread

    @Slot(object)
    def _deliver(self, problems: list[str]) -> None:
        self.on_found(problems)


def close_on_damage(window: MainWindow | None) -> None:
    """Close ``window`` without asking (its drafts' saves are refused now, and kept on this PC), then end the
    event loop: what the program says next is said by ``app.py`` once the chart is closed."""
    if window is not None:
        editors = window.open_editors
        for editor in [*editors.editors.values(), *editors.unsaved]:
            editor.keeper.save_now()  # refused: a draft with unsaved text goes to its recovery file on this PC
        window.hide()
    QApplication.exit(0)
