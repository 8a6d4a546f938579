"""What the program says at start-up, before anyone signs in, when the chart's file is damaged (issue 12,
item 3): where the damaged file was kept, and the newest backup that checks out, offered with its date in words.

The composition root (``app.py``) finds the damage, sets the file aside and restores; this module only
words the questions and asks them. :func:`offer_backup` and :func:`tell_closing` are module functions so
that tests answer them (a real box would wait for a click).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from needlelog.ui.dialogs.restore_dialog import when_in_words
from needlelog.ui.widgets.forms import counted

TITLE = "The chart is damaged"


def _problem_words(problems: list[str]) -> str:
    shown = "\n".join(f"• {problem}" for problem in problems[:3])
    more = len(problems) - 3
    return shown + (f"\n• and {counted(more, 'more problem')}" if more > 0 else "")


def offer_text(chart: Path, aside: Path, problems: list[str], taken_at: datetime, signed: int, now: datetime) -> str:
    """The offer: what was found, where the damaged file is, and where the backup goes back to."""
    when = when_in_words(taken_at, now)
    return (
        f"The chart {chart} is damaged, and needlelog has not opened it:\n{_problem_words(problems)}\n\n"
        f"It was kept aside, untouched, as {aside}.\n\n"
        f"The newest backup that checks out was taken {when} ({counted(signed, 'signed note')}). "
        f"Restore it? You will go back to {when}; what was charted since is in the damaged file."
    )


def declined_text(aside: Path) -> str:
    return (
        f"needlelog will close without opening a chart. The damaged chart is kept as {aside}. "
        "Start needlelog again to be offered the backup, or restore one with: needlelog restore --db PATH BACKUP."
    )


def no_backup_text(chart: Path, aside: Path, problems: list[str], folder: Path) -> str:
    return (
        f"The chart {chart} is damaged, and needlelog has not opened it:\n{_problem_words(problems)}\n\n"
        f"It was kept aside, untouched, as {aside}. There is no backup that checks out in {folder}.\n\n"
        "needlelog will close: ask your IT support to recover the damaged file, or restore a copy kept "
        "elsewhere with: needlelog restore --db PATH BACKUP."
    )


def missing_offer_text(chart: Path, damaged: list[Path], taken_at: datetime, signed: int, now: datetime) -> str:
    """The offer when the chart is not there (or is an empty file) but its backups are."""
    when = when_in_words(taken_at, now)
    kept = f" A damaged chart set aside earlier is kept as {damaged[-1]}." if damaged else ""
    return (
        f"There is no chart at {chart}, but there are backups of it.{kept}\n\n"
        f"The newest backup that checks out was taken {when} ({counted(signed, 'signed note')}). "
        f"Restore it? You will go back to {when}."
    )


def missing_declined_text(chart: Path, folder: Path) -> str:
    return (
        f"needlelog will close without making a new, empty chart at {chart}. Start it again to be offered the "
        f"backup; to begin an empty chart there instead, move the backups in {folder} elsewhere first."
    )


def restore_failed_text(aside: Path | None, reason: str) -> str:
    kept = f" The damaged chart is kept as {aside}." if aside is not None else ""
    return f"The backup could not be restored: {reason} needlelog will close.{kept}"


def restored_late_text(chart: Path | str) -> str:
    """The backup is back in place after damage found while the chart was open (issue 14)."""
    return (
        f"The backup is back in place as {chart}. needlelog will close: start it again to sign in. "
        "Drafts that were open are kept on this PC and saved into the chart at the next sign-in."
    )


def cannot_recover_text(chart: Path, exc: BaseException) -> str:
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return f"The chart {chart} could not be looked at or set aside: {reason} needlelog will close."


def offer_backup(text: str) -> bool:
    """Yes restores the backup; No (or closing the box) leaves the program closed."""
    box = QMessageBox(QMessageBox.Icon.Warning, TITLE, text)
    box.setObjectName("damagedChartOffer")
    restore = box.addButton("Restore the backup", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Close needlelog", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(restore)
    box.exec()
    return box.clickedButton() is restore


def tell_closing(text: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Critical, TITLE, text)
    box.setObjectName("damagedChartClosing")
    box.exec()
