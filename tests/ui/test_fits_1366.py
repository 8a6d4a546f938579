"""The session editor on a 1366×768 screen (issue 11, item 10): ten sites without a horizontal scroll bar and
nothing cut off, a site's error that moves no row, a "what stops signing" list that follows the fixes, and one way
of counting a dwell timer in the editor and the dock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QScrollArea
from pytestqt.qtbot import QtBot

from needlelog.domain.figure import anchor_points
from needlelog.domain.model import Clinician, Patient
from needlelog.domain.timers import RunningTimer, dwell_clock
from needlelog.domain.vocab import BodyRegion, Side
from needlelog.services.store import Services
from needlelog.ui.session_editor import SessionEditor
from tests.ui.test_session_editor import chart, main_window  # noqa: F401 (chart is a fixture)

TEN = [
    (BodyRegion.NECK, Side.RIGHT),
    (BodyRegion.NECK, Side.LEFT),
    (BodyRegion.CHEST, Side.LEFT),
    (BodyRegion.SHOULDER, Side.RIGHT),
    (BodyRegion.FOREARM_HAND, Side.RIGHT),
    (BodyRegion.UPPER_BACK, Side.RIGHT),
    (BodyRegion.THIGH, Side.LEFT),
    (BodyRegion.LOWER_BACK, Side.MIDLINE),
    (BodyRegion.HIP_GLUTEAL, Side.RIGHT),
    (BodyRegion.HEAD_JAW, Side.RIGHT),
]


def editor_with_ten_sites(qtbot: QtBot, services: Services, clinician: Clinician, patient: Patient) -> SessionEditor:
    window = main_window(qtbot, services, clinician)
    window.show_patient(patient.id or 0)
    editor = window.new_session()
    assert editor is not None
    qtbot.addWidget(editor)  # closed after the test: no window is left on screen for the next one
    for i, (region, side) in enumerate(TEN):
        point = anchor_points(region, side)[0]
        row = editor.place_marker(point.view, point.x + 0.01 * (i % 3), point.y + 0.01 * (i % 2))
        assert row is not None, region
        row.muscle.setCurrentText(row.muscle.itemText(0))
    editor.showNormal()
    editor.resize(1366, 768)
    QApplication.processEvents()
    return editor


def test_ten_sites_fit_1366_by_768_without_a_horizontal_scroll_bar_or_a_cut_region(
    qtbot: QtBot,
    chart: tuple[Services, Clinician, Patient, Path],  # noqa: F811
) -> None:
    services, clinician, patient, _path = chart
    editor = editor_with_ten_sites(qtbot, services, clinician, patient)
    scroll = editor.findChild(QScrollArea, "editorScroll")
    assert scroll is not None
    bar = scroll.horizontalScrollBar()
    assert bar.maximum() == 0 and not bar.isVisible(), bar.maximum()
    for row in editor.rows:
        # every column in view, the last (✕) too
        corner = row.remove.mapTo(scroll.viewport(), QPoint(row.remove.width(), 0))
        assert corner.x() <= scroll.viewport().width(), corner.x()
        # the region's whole name is shown, not cut
        region: QComboBox = row.region
        shown = (
            region.style()
            .subElementRect(region.style().SubElement.SE_ComboBoxFocusRect, _option(region), region)
            .width()
        )
        assert region.fontMetrics().horizontalAdvance(region.currentText()) <= shown + 2, region.currentText()


def _option(combo: QComboBox) -> object:
    from PySide6.QtWidgets import QStyleOptionComboBox

    option = QStyleOptionComboBox()
    option.initFrom(combo)
    option.editable = combo.isEditable()
    return option


def test_a_site_s_error_moves_no_row_below_it(
    qtbot: QtBot,
    chart: tuple[Services, Clinician, Patient, Path],  # noqa: F811
) -> None:
    services, clinician, patient, _path = chart
    editor = editor_with_ten_sites(qtbot, services, clinician, patient)
    before = [row.region.mapTo(editor, QPoint()) for row in editor.rows]
    editor.rows[2].dwell.set_number(16)  # out of range: site 3's error
    QApplication.processEvents()
    assert "Site 3: dwell time must be 5 to 15 minutes" in editor.rows[2].error.text()
    assert "Site 3: dwell" in editor.rows[2].number.toolTip() and "#c0392b" in editor.rows[2].number.styleSheet()
    assert "Site 3: dwell" in editor.sites_error.text()  # under the table: below every row
    assert [row.region.mapTo(editor, QPoint()) for row in editor.rows] == before


def test_the_list_of_what_stops_signing_follows_the_fixes(
    qtbot: QtBot,
    chart: tuple[Services, Clinician, Patient, Path],  # noqa: F811
) -> None:
    services, clinician, patient, _path = chart
    editor = editor_with_ten_sites(qtbot, services, clinician, patient)
    qtbot.mouseClick(editor.sign_button, Qt.MouseButton.LeftButton)

    def listed() -> list[str]:
        return [editor.problems.item(i).text() for i in range(editor.problems.count())]

    assert any("Choose the condition" in text for text in listed())
    editor.condition.setFocus()
    qtbot.keyClick(editor.condition, Qt.Key.Key_N)
    assert not any("Choose the condition" in text for text in listed()), listed()
    assert any("twitch" in text for text in listed())


def test_the_row_and_the_dock_count_a_timer_the_same_way() -> None:
    from tests.conftest import NOW

    timer = RunningTimer(1, 0, "A B", "C1", "Site 1", NOW, 8)
    assert dwell_clock(NOW, 8, NOW + timedelta(minutes=3)) == "5:00"
    assert dwell_clock(NOW, 8, NOW + timedelta(minutes=10, seconds=5)) == "+2:05"
    assert timer.remaining(NOW + timedelta(minutes=3)) == timedelta(minutes=5)


def test_every_quick_pick_shows_its_whole_muscle_and_the_picks_are_in_reach_without_scrolling(
    qtbot: QtBot,
    chart: tuple[Services, Clinician, Patient, Path],  # noqa: F811
) -> None:
    """A long name ("thoracic erector spinae", "flexor digitorum brevis") takes a row of its own instead of being
    cut; after a tap at 1366×768 the twitch and the quick-picks are inside the visible part of the editor."""
    services, clinician, patient, _path = chart
    editor = editor_with_ten_sites(qtbot, services, clinician, patient)
    scroll = editor.findChild(QScrollArea, "editorScroll")
    assert scroll is not None and scroll.verticalScrollBar().value() == 0
    for region in (BodyRegion.UPPER_BACK, BodyRegion.ANKLE_FOOT, BodyRegion.NECK, BodyRegion.HIP_GLUTEAL):
        point = anchor_points(region, Side.LEFT)[0]
        assert editor.place_marker(point.view, point.x, point.y) is not None
        QApplication.processEvents()
        shown = [button for button in editor.quick_picks if button.isVisible()]
        assert shown, region
        for button in shown:
            needed = button.fontMetrics().horizontalAdvance(button.text())
            assert needed + 8 <= button.width(), (button.text(), needed, button.width())
            bottom = button.mapTo(scroll.viewport(), QPoint(0, button.height())).y()
            assert bottom <= scroll.viewport().height(), (button.text(), bottom, scroll.viewport().height())
        tops = [button.mapTo(editor, QPoint()).y() for button in shown]
        assert tops == sorted(tops)  # Ctrl+1 to Ctrl+6 in reading order
