"""Dwell timers with an injected clock: three at once across patients, warning, alarm, stop, restart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from needlelog.domain.model import Clinic, Clinician, Consent, Patient, TriggerPoint
from needlelog.domain.timers import TimerLevel
from needlelog.domain.vocab import ConsentMethod, FigureView
from needlelog.services.store import open_chart
from needlelog.ui.main_window import MainWindow
from needlelog.ui.session_editor import SessionEditor
from tests.conftest import NOW, FakeClock, make_patient
from tests.ui.test_body_chart import tap
from tests.ui.test_session_editor import main_window, type_number

RUNNING, WARNING, ALARM = TimerLevel.RUNNING, TimerLevel.WARNING, TimerLevel.ALARM
PLANNED = (8, 10, 12)
SITES = (
    TriggerPoint(FigureView.BACK, 0.6, 0.168),  # right upper trapezius
    TriggerPoint(FigureView.BACK, 0.42, 0.44),  # left lower back
    TriggerPoint(FigureView.BACK, 0.84, 0.23),  # right shoulder
)


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[tuple[Path, FakeClock, Clinician, list[Patient]]]:
    path = tmp_path / "rooms.sqlite"
    clock = FakeClock(NOW)
    services = open_chart(path, clock=clock)
    services.clinic.save_clinic(Clinic(name="Bow River Physiotherapy"))
    clinician = services.clinic.add_clinician(Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417"))
    consent = Consent(date(2026, 1, 5), ConsentMethod.WRITTEN, "Dana Whitford")
    patients = [
        services.patients.create(make_patient(chart, family_name=family, given_name=given, consent=consent))
        for chart, family, given in (("C1", "Okafor", "Ada"), ("C2", "Tremblay", "Luc"), ("C3", "Sato", "Emi"))
    ]
    services.close()
    yield path, clock, clinician, patients


def start_in_room(qtbot: QtBot, window: MainWindow, patient: Patient, point: TriggerPoint, dwell: int) -> SessionEditor:
    window.show_patient(patient.id)
    editor = window.new_session()
    assert editor is not None
    qtbot.addWidget(editor)
    editor.resize(1366, 768)
    qtbot.waitExposed(editor)
    tap(qtbot, editor, point)
    row = editor.rows[-1]
    type_number(qtbot, row.needles, 2)
    type_number(qtbot, row.dwell, dwell)
    qtbot.mouseClick(row.timer, Qt.MouseButton.LeftButton)
    assert row.timer_started is not None
    return editor


def at(clock: FakeClock, window: MainWindow, minutes: float) -> list[TimerLevel]:
    clock.now = NOW + timedelta(minutes=minutes)
    window.timers.tick()
    return window.timers.levels()


def test_three_timers_warn_at_their_planned_dwell_alarm_at_15_stop_fills_the_dwell_and_survive_a_restart(
    qtbot: QtBot, clinic: tuple[Path, FakeClock, Clinician, list[Patient]]
) -> None:
    path, clock, clinician, patients = clinic
    services = open_chart(path, clock=clock)
    window = main_window(qtbot, services, clinician)
    editors = [
        start_in_room(qtbot, window, patient, point, dwell)
        for patient, point, dwell in zip(patients, SITES, PLANNED, strict=True)
    ]
    dock = window.timers
    assert [row.timer.patient_name for row in dock.rows] == ["Ada Okafor", "Luc Tremblay", "Emi Sato"]
    assert dock.isVisible() and "Site 1 · neck, right" in dock.rows[0].site.text()

    assert at(clock, window, 7 + 59 / 60) == [RUNNING, RUNNING, RUNNING]
    assert dock.rows[0].left.text() == "0:01"  # a second to the planned 8 minutes
    assert at(clock, window, 8) == [WARNING, RUNNING, RUNNING]
    assert "Planned 8 min reached" in dock.rows[0].state.text()
    assert at(clock, window, 10) == [WARNING, WARNING, RUNNING]
    editors[0].tick_timers()
    # the row counts as the dock does: 2 minutes past the planned 8
    assert dock.rows[0].left.text() == "+2:00"
    assert editors[0].rows[0].timer.text() == "■ +2:00" and "#f5b041" in editors[0].rows[0].timer.styleSheet()

    # Luc's needles come out at 11 minutes: his editor is closed, so the dock stops it through the chart
    at(clock, window, 11)
    editors[1].close()
    qtbot.mouseClick(dock.rows[1].stop, Qt.MouseButton.LeftButton)
    stored = services.sessions.get(editors[1].session.id or 0)
    assert stored.sites[0].dwell_minutes == 11
    assert stored.sites[0].timer_stopped == clock.now
    assert [row.timer.patient_name for row in dock.rows] == ["Ada Okafor", "Emi Sato"]

    assert at(clock, window, 14.5) == [WARNING, WARNING]
    assert not dock.alarming
    assert at(clock, window, 15) == [ALARM, ALARM]
    assert dock.alarming and "DWELL ALARM" in dock.windowTitle()
    styles = {dock.rows[0].styleSheet()}
    window.timers.tick()  # the alarm flashes: two ticks, two looks
    styles.add(dock.rows[0].styleSheet())
    assert len(styles) == 2 and any("#c0392b" in style for style in styles)
    assert "15 MINUTES" in dock.rows[0].state.text()

    # the program is closed and opened again: the two running timers are still there
    window.close()
    services.close()
    services = open_chart(path, clock=clock)
    try:
        again = main_window(qtbot, services, clinician)
        assert [row.timer.patient_name for row in again.timers.rows] == ["Ada Okafor", "Emi Sato"]
        assert again.timers.levels() == [ALARM, ALARM]
        # stopping one from the dock with its editor open goes through the editor, which holds the newest text
        editor = again.open_session(editors[0].session.id or 0)
        assert editor is not None
        qtbot.addWidget(editor)
        clock.now = NOW + timedelta(
            minutes=15
        )  # at the alarm: 15 (a second more and the dwell is for the clinician to give)
        qtbot.mouseClick(again.timers.rows[0].stop, Qt.MouseButton.LeftButton)
        assert editor.rows[0].dwell.number() == 15
        assert services.sessions.get(editor.session.id or 0).sites[0].dwell_minutes == 15
        assert [row.timer.patient_name for row in again.timers.rows] == ["Emi Sato"]
        again.close()
    finally:
        services.close()


def test_stop_follows_a_moved_site_and_a_site_with_its_needles_in_cannot_be_removed(
    qtbot: QtBot, clinic: tuple[Path, FakeClock, Clinician, list[Patient]]
) -> None:
    path, clock, clinician, patients = clinic
    services = open_chart(path, clock=clock)
    try:
        window = main_window(qtbot, services, clinician)
        editor = start_in_room(qtbot, window, patients[0], SITES[0], 10)  # neck, started at NOW
        clock.advance(minutes=1)
        tap(qtbot, editor, SITES[1])  # lower back, started a minute later
        qtbot.mouseClick(editor.rows[1].timer, Qt.MouseButton.LeftButton)
        neck_row = next(row for row in window.timers.rows if "neck" in row.timer.site_label)
        editor.move_site(1, -1)  # the lower back is now site 1; the dock has not been told yet
        assert editor.rows[1].region.currentText() == "Neck"
        clock.advance(minutes=9)
        qtbot.mouseClick(neck_row.stop, Qt.MouseButton.LeftButton)
        assert editor.rows[1].timer_stopped == clock.now and editor.rows[1].dwell.number() == 10
        assert editor.rows[0].timer_stopped is None  # the lower back's needles are still in
        editor.remove_site(0)
        assert len(editor.rows) == 2 and "stop its dwell timer first" in editor.chart_message.text()
        window.close()
    finally:
        services.close()
