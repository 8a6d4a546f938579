"""Help → About needlelog: the version, the chart in use, its schema, the licence and the third-party notices."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QPushButton
from pytestqt.qtbot import QtBot

from needlelog import __version__
from needlelog.db.migrate import HEAD
from needlelog.services.store import Services
from needlelog.ui.dialogs import about
from needlelog.ui.dialogs.about import AboutDialog

PASSWORD = "needle-test-pass"


def shown(dialog: AboutDialog, name: str) -> str:
    return dialog.findChild(QLabel, name).text()


def test_the_about_box_shows_the_version_the_database_and_the_schema(qtbot: QtBot, seeded_chart: Services) -> None:
    dialog = AboutDialog(seeded_chart)
    qtbot.addWidget(dialog)
    dialog.show()
    assert shown(dialog, "aboutVersion") == __version__
    assert f"needlelog {__version__}" in shown(dialog, "aboutTitle")
    assert shown(dialog, "aboutDatabase") == seeded_chart.location
    assert seeded_chart.location.endswith("clinic.sqlite")
    assert shown(dialog, "aboutSchema") == f"{HEAD} (this program's)"
    assert "MIT License" in shown(dialog, "aboutLicence")
    text = dialog.findChild(QPlainTextEdit, "aboutText")
    assert text.isReadOnly()
    assert text.toPlainText().startswith("MIT License\n\nCopyright (c) 2026 the needlelog authors")


def test_the_about_box_shows_the_notices_or_says_where_they_come_from(
    qtbot: QtBot, seeded_chart: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = AboutDialog(seeded_chart)
    qtbot.addWidget(dialog)
    dialog.show()
    text = dialog.findChild(QPlainTextEdit, "aboutText")
    monkeypatch.setattr(about, "notices_file", lambda: tmp_path / "missing.txt")
    qtbot.mouseClick(dialog.findChild(QPushButton, "aboutShowNotices"), Qt.MouseButton.LeftButton)
    assert text.toPlainText() == about.NO_NOTICES
    notices = tmp_path / "THIRD-PARTY-NOTICES.txt"
    notices.write_text("PySide6_Essentials 6.9.0: LGPL-3.0-only\n", encoding="utf-8")
    monkeypatch.setattr(about, "notices_file", lambda: notices)
    qtbot.mouseClick(dialog.findChild(QPushButton, "aboutShowNotices"), Qt.MouseButton.LeftButton)
    assert text.toPlainText() == "PySide6_Essentials 6.9.0: LGPL-3.0-only\n"
    assert text.accessibleName() == "Third-party notices"
    qtbot.mouseClick(dialog.findChild(QPushButton, "aboutShowLicence"), Qt.MouseButton.LeftButton)
    assert text.toPlainText().startswith("MIT License")


def test_help_about_opens_the_about_box_window_modal_from_the_menu(qtbot: QtBot, seeded_chart: Services) -> None:
    from needlelog.ui.main_window import MainWindow

    admin = seeded_chart.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
    seeded_chart.accounts.login("admin", PASSWORD)
    window = MainWindow(seeded_chart, admin)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    item = window.findChild(QAction, "actionAbout")
    assert item in help_menu.actions() and item.text() == "&About needlelog"
    item.trigger()
    dialog = window.dialogs[-1]
    assert isinstance(dialog, AboutDialog) and dialog.isVisible()
    assert dialog.windowModality() == Qt.WindowModality.WindowModal  # open(), not exec()
    assert shown(dialog, "aboutVersion") == __version__
    assert shown(dialog, "aboutDatabase") == seeded_chart.location
    dialog.reject()
    assert dialog not in window.dialogs
