"""The one question before needlelog quits with needles in a patient: no alarm can sound while it is closed.

A module function, so that tests answer it (``QMessageBox.question`` patched at the class) and the
sign-in window asks the same words as the main window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox, QWidget

if TYPE_CHECKING:
    from needlelog.domain.timers import RunningTimer

TITLE = "Dwell timers are running"


def timers_text(timers: list[RunningTimer], names_hidden: bool) -> str:
    """The question's words: how many timers, and whose (without names when they are hidden)."""
    count = len(timers)
    lines = [f"{count} dwell timer{'s are' if count != 1 else ' is'} still running:"]
    for timer in timers:
        who = "patient hidden" if names_hidden else f"{timer.patient_name} ({timer.chart_number})"
        site = f"site {timer.site_index + 1}" if names_hidden else timer.site_label
        lines.append(f"• {who}: {site}")
    lines.append("")
    lines.append("No alarm can sound while needlelog is closed. Quit anyway?")
    return "\n".join(lines)


def quit_anyway(parent: QWidget | None, timers: list[RunningTimer], names_hidden: bool) -> bool:
    """True when nothing is running, or the person chose to quit with timers running (asked once)."""
    if not timers:
        return True
    buttons = QMessageBox.StandardButton
    text = timers_text(timers, names_hidden)
    answer = QMessageBox.question(parent, TITLE, text, buttons.Yes | buttons.No, buttons.No)
    return answer == buttons.Yes
