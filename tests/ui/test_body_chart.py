"""The body chart driven with the mouse and the keyboard: taps make sites, markers move and go, cautions show."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from needlelog.domain.model import Clinic, Clinician, Consent, Patient, Screening, TriggerPoint
from needlelog.domain.vocab import MUSCLES, Aftercare, BodyRegion, ConsentMethod, FigureView, Precaution, Side
from needlelog.services.store import Services, open_chart
from needlelog.ui import session_editor
from needlelog.ui.main_window import MainWindow
from needlelog.ui.session_editor import SessionEditor
from needlelog.ui.widgets.body_chart import MARKER_FILL
from tests.conftest import make_patient
from tests.ui.test_session_editor import main_window, pick

RIGHT_UPPER_TRAPEZIUS = TriggerPoint(FigureView.BACK, 0.6, 0.168)


@pytest.fixture
def room(tmp_path: Path) -> Iterator[tuple[Services, Clinician, Patient, Path]]:
    path = tmp_path / "room2.sqlite"
    services = open_chart(path)
    services.clinic.save_clinic(Clinic(name="Bow River Physiotherapy"))
    clinician = services.clinic.add_clinician(Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417"))
    patient = services.patients.create(
        make_patient(
            "C778",
            consent=Consent(date.today() - timedelta(days=1), ConsentMethod.WRITTEN, "Dana Whitford"),
            screening=Screening(frozenset({Precaution.RECENT_SURGERY}), BodyRegion.SHOULDER),
        )
    )
    yield services, clinician, patient, path
    services.close()


def open_editor(qtbot: QtBot, window: MainWindow, session_id: int | None = None) -> SessionEditor:
    editor = window.open_session(session_id) if session_id else window.new_session()
    assert editor is not None
    qtbot.addWidget(editor)
    editor.resize(1366, 768)
    qtbot.waitExposed(editor)
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow, timeout=10000)  # focus checks need the window active
    return editor


def tap(qtbot: QtBot, editor: SessionEditor, point: TriggerPoint, shift: bool = False) -> QPoint:
    where = editor.chart.to_widget(point).toPoint()
    modifier = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
    qtbot.mouseClick(editor.chart, Qt.MouseButton.LeftButton, modifier, pos=where)
    return where


def drawn_colour(editor: SessionEditor, centre: QPointF) -> QColor:
    """The colour painted just inside a marker's left edge (the number sits in its middle)."""
    image = editor.chart.grab().toImage()
    inside = QPoint(round(centre.x() - editor.chart.marker_radius() * 0.6), round(centre.y()))
    return image.pixelColor(inside)


def test_a_tap_on_the_right_upper_trapezius_from_behind_is_a_right_neck_site_kept_where_it_was_tapped(
    qtbot: QtBot, room: tuple[Services, Clinician, Patient, Path]
) -> None:
    services, clinician, patient, path = room
    window = main_window(qtbot, services, clinician)
    window.show_patient(patient.id)
    editor = open_editor(qtbot, window)
    tapped = tap(qtbot, editor, RIGHT_UPPER_TRAPEZIUS)

    assert len(editor.rows) == 1
    row = editor.rows[0]
    assert (row.region.code(), row.side.code()) == (BodyRegion.NECK, Side.RIGHT)
    assert row.needles.hasFocus()  # the next keystroke is the needle count
    # the base of the neck lies over the apex of the lung
    assert editor.lung_caution.isVisible() and "site 1" in editor.lung_caution.text()
    assert editor.aftercare_checks[Aftercare.SEEK_CARE_BREATHING].isChecked()
    assert editor.save_now()
    session_id = editor.session.id or 0
    editor.close()
    window.close()
    services.close()

    reopened = open_chart(path)
    try:
        stored = reopened.sessions.get(session_id)
        site = stored.sites[0]
        assert (site.region, site.side) == (BodyRegion.NECK, Side.RIGHT)
        assert stored.lung_field_caution
        (point,) = site.trigger_points
        assert point.view is FigureView.BACK
        assert point.x == pytest.approx(RIGHT_UPPER_TRAPEZIUS.x, abs=0.005)
        assert point.y == pytest.approx(RIGHT_UPPER_TRAPEZIUS.y, abs=0.005)

        again = main_window(qtbot, reopened, clinician)
        editor = open_editor(qtbot, again, session_id)
        drawn = editor.chart.to_widget(editor.chart.markers[0][0])
        assert abs(drawn.x() - tapped.x()) <= 1 and abs(drawn.y() - tapped.y()) <= 1
        assert drawn_colour(editor, drawn) == MARKER_FILL
        again.close()
    finally:
        reopened.close()


def test_markers_drag_to_another_region_take_a_second_point_and_are_deleted_with_the_delete_key(
    qtbot: QtBot, room: tuple[Services, Clinician, Patient, Path]
) -> None:
    services, clinician, patient, _path = room
    window = main_window(qtbot, services, clinician)
    window.show_patient(patient.id)
    editor = open_editor(qtbot, window)
    chart = editor.chart
    start = tap(qtbot, editor, TriggerPoint(FigureView.BACK, 0.58, 0.45))  # right lower back
    assert (editor.rows[0].region.code(), editor.rows[0].side.code()) == (BodyRegion.LOWER_BACK, Side.RIGHT)

    # drag it across the midline and down to the left buttock: the site follows its only marker
    end = chart.to_widget(TriggerPoint(FigureView.BACK, 0.4, 0.54)).toPoint()
    qtbot.mousePress(chart, Qt.MouseButton.LeftButton, pos=start)
    for step in range(1, 6):
        qtbot.mouseMove(chart, start + (end - start) * step / 5)
    qtbot.mouseRelease(chart, Qt.MouseButton.LeftButton, pos=end)
    assert (editor.rows[0].region.code(), editor.rows[0].side.code()) == (BodyRegion.HIP_GLUTEAL, Side.LEFT)
    assert editor.rows[0].trigger_points[0].x == pytest.approx(0.4, abs=0.01)

    # Shift+tap adds a second trigger point to the selected site instead of a new site
    tap(qtbot, editor, TriggerPoint(FigureView.BACK, 0.3, 0.5), shift=True)
    assert len(editor.rows) == 1 and len(editor.rows[0].trigger_points) == 2
    # a plain tap elsewhere is a new site, numbered 2 on the chart
    tap(qtbot, editor, TriggerPoint(FigureView.FRONT, 0.42, 0.25))
    assert [len(r.trigger_points) for r in editor.rows] == [2, 1]
    assert editor.rows[1].region.code() is BodyRegion.CHEST

    # select site 1 from the table, then its marker goes with Delete; the site itself stays
    editor.rows[0].needles.setFocus()
    qtbot.waitUntil(lambda: editor.chart.selected_site == 0, timeout=10000)
    chart.setFocus()
    qtbot.keyClick(chart, Qt.Key.Key_Delete)
    assert len(editor.rows) == 2 and len(editor.rows[0].trigger_points) == 1
    assert editor.save_now()
    stored = services.sessions.get(editor.session.id or 0)
    assert [len(s.trigger_points) for s in stored.sites] == [1, 1]
    window.close()


def test_the_keyboard_path_places_a_marker_and_quick_picks_name_the_muscle(
    qtbot: QtBot, room: tuple[Services, Clinician, Patient, Path]
) -> None:
    services, clinician, patient, _path = room
    window = main_window(qtbot, services, clinician)
    window.show_patient(patient.id)
    editor = open_editor(qtbot, window)
    pick(qtbot, editor.place_region, "Lower")
    pick(qtbot, editor.place_side, "M")
    editor.place_region.setFocus()
    qtbot.keyClick(editor, Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)
    assert len(editor.rows) == 1
    row = editor.rows[0]
    assert (row.region.code(), row.side.code()) == (BodyRegion.LOWER_BACK, Side.MIDLINE)
    assert row.trigger_points[0].x == 0.5 and row.trigger_points[0].view is FigureView.BACK
    assert row.needles.hasFocus()

    first = MUSCLES[BodyRegion.LOWER_BACK][0]
    assert editor.quick_picks[0].isVisible() and editor.quick_picks[0].text() == first
    qtbot.keyClick(editor, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert row.muscle.currentText() == MUSCLES[BodyRegion.LOWER_BACK][1]
    qtbot.mouseClick(editor.quick_picks[0], Qt.MouseButton.LeftButton)
    assert row.muscle.currentText() == first
    assert row.needles.hasFocus()
    qtbot.keyClicks(row.needles, "6")
    assert row.needles.number() == 6
    # markers are chosen and moved from the keyboard too
    editor.chart.setFocus()
    qtbot.keyClick(editor.chart, Qt.Key.Key_N)
    qtbot.keyClick(editor.chart, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert row.trigger_points[0].x == pytest.approx(0.52)
    assert not editor.lung_caution.isVisible()
    window.close()


def test_a_site_in_the_recently_operated_region_asks_first(
    qtbot: QtBot, room: tuple[Services, Clinician, Patient, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    services, clinician, patient, _path = room
    questions: list[str] = []
    answers = iter([False, True])

    def answer(_parent: object, question: str) -> bool:
        questions.append(question)
        return next(answers)

    monkeypatch.setattr(session_editor, "confirm_recent_surgery", answer)
    window = main_window(qtbot, services, clinician)
    window.show_patient(patient.id)
    editor = open_editor(qtbot, window)
    shoulder = TriggerPoint(FigureView.BACK, 0.8, 0.21)
    tap(qtbot, editor, shoulder)
    assert editor.rows == [] and "shoulder" in questions[0]
    assert editor.chart_message.text() == "Site not added."
    tap(qtbot, editor, shoulder)
    assert len(editor.rows) == 1 and editor.rows[0].region.code() is BodyRegion.SHOULDER
    assert editor.surgery_caution.isVisible() and "shoulder" in editor.surgery_caution.text()
    tap(qtbot, editor, TriggerPoint(FigureView.BACK, 0.55, 0.45))  # the lower back asks nothing
    assert len(questions) == 2 and len(editor.rows) == 2
    window.close()
