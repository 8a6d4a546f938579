"""The manager's export dialog: off the UI thread, with progress to 100% and a Cancel that stops at once."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pypdf
import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from needlelog.services import exporting
from needlelog.services.exporting import ExportCriteria, ExportResult
from needlelog.services.seeding import seed_chart
from needlelog.services.store import Services, engine_at_head, open_chart
from needlelog.ui.dialogs.export_dialog import ExportDialog
from needlelog.ui.main_window import MainWindow
from tests.conftest import NOW, FakeClock

FROM, TO = date(2025, 1, 1), date(2026, 3, 10)


@pytest.fixture
def manager_chart(tmp_path: Path) -> Iterator[Services]:
    """About 320 signed visits, all in the last 300 days."""
    path = tmp_path / "clinic.sqlite"
    engine = engine_at_head(path)
    seed_chart(engine, 30, 330, seed=21, now=NOW, workers=1, history_days=300)
    engine.dispose()
    services = open_chart(path, clock=FakeClock())
    yield services
    services.close()


@pytest.fixture
def thousand_note_chart(tmp_path: Path) -> Iterator[Services]:
    """More than 1,000 signed visits in the date range: the size SPEC §9 names."""
    path = tmp_path / "big.sqlite"
    engine = engine_at_head(path)
    seed_chart(engine, 60, 1150, seed=22, now=NOW, workers=1, history_days=300)
    engine.dispose()
    services = open_chart(path, clock=FakeClock())
    yield services
    services.close()


def dialog_for(qtbot: QtBot, services: Services, folder: Path | None = None) -> ExportDialog:
    dialog = ExportDialog(services, today=TO)
    qtbot.addWidget(dialog)
    dialog.date_from.setDate(QDate(FROM.year, FROM.month, FROM.day))
    if folder is not None:
        dialog.folder.setText(str(folder))
    dialog.open()
    qtbot.waitExposed(dialog)
    return dialog


def busiest_chart(services: Services) -> tuple[str, int]:
    counts: dict[str, int] = {}
    for note in services.exports.notes(ExportCriteria(FROM, TO)):
        counts[note.patient.chart_number] = counts.get(note.patient.chart_number, 0) + 1
    chart = max(counts, key=lambda c: counts[c])
    return chart, counts[chart]


def complete_pdfs(folder: Path) -> list[Path]:
    names = sorted(p for p in folder.iterdir() if p.suffix != ".csv")
    assert all(p.suffix == ".pdf" and not p.name.startswith(".") for p in names), names  # no temporary file
    for path in names:
        assert len(pypdf.PdfReader(path).pages) >= 1
    return names


def test_every_interactive_widget_is_named(qtbot: QtBot, manager_chart: Services) -> None:
    dialog = dialog_for(qtbot, manager_chart)
    interactive = (QAbstractButton, QComboBox, QAbstractSpinBox, QLineEdit)
    widgets = [w for w in dialog.findChildren(QWidget) if isinstance(w, interactive)]
    assert len(widgets) >= 10
    for widget in widgets:
        parent = widget.parentWidget()
        if widget.objectName().startswith("qt_") or isinstance(parent, QAbstractSpinBox | QComboBox):
            continue  # Qt's own parts of a compound widget
        assert widget.objectName(), widget
        assert widget.accessibleName(), widget.objectName()
    assert dialog.signed_only.isChecked() and dialog.per_visit.isChecked() and not dialog.csv.isChecked()
    assert dialog.clinician.itemText(0) == "All clinicians" and dialog.clinician.count() == 4


@pytest.mark.timeout(90)
def test_an_export_runs_off_the_ui_thread_and_reaches_100_percent(
    qtbot: QtBot, manager_chart: Services, tmp_path: Path
) -> None:
    chart, visits = busiest_chart(manager_chart)
    out = tmp_path / "out"
    dialog = dialog_for(qtbot, manager_chart, out)
    qtbot.keyClicks(dialog.patient, chart)
    dialog.csv.setChecked(True)
    values: list[int] = []
    dialog.progress.valueChanged.connect(values.append)
    with qtbot.waitSignal(dialog.exported, timeout=30_000) as done:
        qtbot.mouseClick(dialog.start, Qt.MouseButton.LeftButton)
        assert dialog.running and not dialog.start.isEnabled() and dialog.cancel.isEnabled()
    result: ExportResult = done.args[0]
    assert not result.cancelled and result.matched == visits
    assert dialog.progress.maximum() == visits and dialog.progress.value() == visits  # 100 %
    assert values[-1] == visits and values == sorted(values)
    assert dialog.start.isEnabled() and not dialog.cancel.isEnabled() and not dialog.running
    assert f"Exported {visits} visit notes" in dialog.status.text()
    pdfs = complete_pdfs(out)
    assert len(pdfs) == visits and all(f"_{chart}_" in p.name for p in pdfs)
    assert result.csv == out / f"visit-notes_{FROM.isoformat()}_{TO.isoformat()}.csv" and result.csv.exists()
    assert not dialog.error.text()


@pytest.mark.timeout(120)
def test_cancel_stops_a_1000_note_export_at_once(qtbot: QtBot, thousand_note_chart: Services, tmp_path: Path) -> None:
    total = thousand_note_chart.exports.count(ExportCriteria(FROM, TO))
    assert total >= 1000
    out = tmp_path / "out"
    dialog = dialog_for(qtbot, thousand_note_chart, out)
    qtbot.mouseClick(dialog.start, Qt.MouseButton.LeftButton)
    assert dialog.progress.maximum() == total
    qtbot.waitUntil(lambda: dialog.progress.value() >= 5, timeout=30_000)
    with qtbot.waitSignal(dialog.exported, timeout=30_000) as done:
        assert dialog.run is not None
        written_at_cancel = dialog.run.done
        qtbot.mouseClick(dialog.cancel, Qt.MouseButton.LeftButton)
    result: ExportResult = done.args[0]
    assert result.cancelled
    # At once: nothing is published after the cancel but what the workers had in hand (two tasks each, and
    # what the export thread published between reading the count and the click).
    in_hand = 2 * exporting.RENDER_CHUNK * (2 * (os.cpu_count() or 1) + 1)
    assert 5 <= result.written <= written_at_cancel + in_hand < total
    pdfs = complete_pdfs(out)
    assert pdfs == sorted(result.files)
    assert "Cancelled" in dialog.status.text() and dialog.start.isEnabled()


@pytest.mark.timeout(90)
def test_one_combined_pdf_is_written_into_the_folder(qtbot: QtBot, manager_chart: Services, tmp_path: Path) -> None:
    chart, visits = busiest_chart(manager_chart)
    out = tmp_path / "out"
    out.mkdir()
    dialog = dialog_for(qtbot, manager_chart, out)
    dialog.patient.setText(chart)
    qtbot.mouseClick(dialog.combined, Qt.MouseButton.LeftButton)
    assert dialog.combined.isChecked() and not dialog.per_visit.isChecked()
    with qtbot.waitSignal(dialog.exported, timeout=30_000) as done:
        dialog.start.click()
    result: ExportResult = done.args[0]
    combined = out / f"visit-notes_{FROM.isoformat()}_{TO.isoformat()}.pdf"
    assert result.combined == combined and result.files == ()
    assert len(pypdf.PdfReader(combined).outline) == visits


def test_problems_are_shown_beside_the_form_and_nothing_starts(
    qtbot: QtBot, manager_chart: Services, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    dialog = dialog_for(qtbot, manager_chart)
    dialog.start.click()
    assert dialog.run is None and "Choose a folder" in dialog.error.text()
    dialog.folder.setText(str(out))
    dialog.patient.setText("X999")
    dialog.start.click()
    assert dialog.run is None and "No patient has the chart number X999" in dialog.error.text()
    assert dialog.focusWidget() is dialog.patient
    dialog.patient.clear()
    dialog.date_to.setDate(QDate(2024, 12, 31))
    dialog.start.click()
    assert dialog.run is None and "is before the start date 2025-01-01" in dialog.error.text()
    dialog.date_from.setDate(QDate(1990, 1, 1))
    dialog.date_to.setDate(QDate(1990, 12, 31))
    dialog.start.click()
    assert dialog.run is None and not dialog.error.text() and "No visit notes match" in dialog.status.text()
    assert list(out.iterdir()) == []


def test_the_folder_is_chosen_in_a_file_dialog_that_never_blocks(
    qtbot: QtBot, manager_chart: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = dialog_for(qtbot, manager_chart)
    chooser = dialog.choose_folder()  # opened window-modal; a test answers it by its signal
    assert chooser.isVisible()
    chooser.fileSelected.emit(str(tmp_path))
    chooser.reject()
    assert dialog.folder.text() == str(tmp_path)
    picked = tmp_path / "picked"
    monkeypatch.setattr(ExportDialog, "choose_folder", lambda self: self.folder.setText(str(picked)))
    qtbot.mouseClick(dialog.choose, Qt.MouseButton.LeftButton)
    assert dialog.folder.text() == str(picked)


@pytest.mark.timeout(90)
def test_ctrl_e_opens_the_dialog_from_the_manager_menu_and_closing_cancels(
    qtbot: QtBot, manager_chart: Services, tmp_path: Path
) -> None:
    main = MainWindow(manager_chart)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)
    action = main.findChild(QAction, "actionExportNotes")
    assert action is not None and action.shortcut().toString() == "Ctrl+E"
    assert "Manager" in [a.text().replace("&", "") for a in main.menuBar().actions()]
    action.trigger()
    dialog = main.export_dialog
    assert dialog is not None and dialog.isVisible() and dialog.isModal()
    assert main.export_notes() is dialog  # a second Ctrl+E brings the same dialog forward
    dialog.date_from.setDate(QDate(FROM.year, FROM.month, FROM.day))
    dialog.date_to.setDate(QDate(TO.year, TO.month, TO.day))
    dialog.folder.setText(str(tmp_path / "out"))
    dialog.start.click()
    qtbot.waitUntil(lambda: dialog.progress.value() >= 2, timeout=30_000)
    main.close()  # closing the program cancels the export and waits for it (bench/bench_stop.py times it)
    assert dialog.run is None and not dialog.isVisible()
    assert multiprocessing.active_children() == []  # its workers stopped and joined
    complete_pdfs(tmp_path / "out")
