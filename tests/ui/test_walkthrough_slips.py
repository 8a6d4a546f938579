"""Slips found charting in the real window, on the real editor and a real chart file: Alt+C records consent as
its button says, the chart's banner says consent comes before the first needle, Ctrl+L locks from the session
editor, and the visit's end follows the needles: a stop with another site's needles still in does not end it,
and an undone stop takes back the end it stamped."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from needlelog.domain.model import Clinician, Patient
from needlelog.domain.rules import consent_problem, local_date
from needlelog.services.store import Services, open_chart
from tests.conftest import NOW, FakeClock
from tests.ui.test_body_chart import tap
from tests.ui.test_dwell_timers import SITES, start_in_room
from tests.ui.test_lock_and_privacy import signed_in, window_with_chart_open  # noqa: F401 (a fixture)
from tests.ui.test_needle_ledger_per_site import LOWER_BACK, clinic  # noqa: F401 (a fixture)
from tests.ui.test_safety_first import editor_for, room  # noqa: F401 (a fixture)
from tests.ui.test_session_editor import main_window, type_number

RIGHT_SHOULDER = SITES[2]


def test_alt_c_records_the_consent_the_panel_offers(
    qtbot: QtBot,
    room: tuple[Services, Clinician, Patient, Patient],  # noqa: F811
) -> None:
    services, clinician, lapsed, _screened = room
    editor = editor_for(qtbot, services, clinician, lapsed)
    assert editor.safety.record_button.isVisible()
    qtbot.keyClick(editor.condition, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)  # as the button says
    stored = services.patients.get(lapsed.id or 0)
    assert consent_problem(stored, local_date(NOW), 12) is None
    assert stored.consent is not None and stored.consent.obtained_by == "Dana Whitford"
    assert not editor.safety.record_button.isVisible() and "Consent valid" in editor.safety.status.text()


def test_the_banner_of_a_patient_without_consent_says_it_is_needed_before_the_first_needle(
    qtbot: QtBot,
    room: tuple[Services, Clinician, Patient, Patient],  # noqa: F811
) -> None:
    """Not "a session can be drafted but not signed": no needling site is placed until consent is recorded."""
    services, clinician, lapsed, _screened = room
    window = main_window(qtbot, services, clinician)
    window.show_patient(lapsed.id)
    text = window.banner.consent.text()
    assert text.startswith("✖ No valid consent") and "before the first needle" in text
    assert "drafted" not in text
    window.close()


def test_ctrl_l_in_a_session_editor_locks_the_program(
    qtbot: QtBot,
    signed_in: tuple[Services, FakeClock, Clinician, Patient],  # noqa: F811
) -> None:
    services, _clock, clinician, patient = signed_in
    window, editor = window_with_chart_open(qtbot, services, clinician, patient)
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow, timeout=10000)
    qtbot.keyClick(editor.notes, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.locked and not editor.isVisible()
    assert window.unlock("correct horse battery") and editor.isVisible()
    window.close()


def test_a_stop_with_another_sites_needles_still_in_does_not_end_the_visit(
    qtbot: QtBot,
    clinic: tuple[Path, FakeClock, Clinician, list[Patient]],  # noqa: F811
) -> None:
    path, clock, clinician, patients = clinic
    services = open_chart(path, clock=clock)
    try:
        window = main_window(qtbot, services, clinician)
        editor = start_in_room(qtbot, window, patients[0], LOWER_BACK, 10)
        tap(qtbot, editor, RIGHT_SHOULDER)
        type_number(qtbot, editor.rows[1].needles, 2)  # in, its timer not started yet
        clock.advance(minutes=10)
        qtbot.mouseClick(editor.rows[0].timer, Qt.MouseButton.LeftButton)
        assert editor.rows[0].out.value() == 2
        assert not editor.end_set.isChecked()  # site 2's needles are still in: the visit goes on
        assert not editor.facts.pain_after.hasFocus()

        qtbot.mouseClick(editor.rows[1].timer, Qt.MouseButton.LeftButton)
        clock.advance(minutes=10)
        qtbot.mouseClick(editor.rows[1].timer, Qt.MouseButton.LeftButton)
        assert editor.end_set.isChecked()  # the last needles are out now
        assert services.sessions.get(editor.session.id or 0).service_end == NOW + timedelta(minutes=20)
        window.close()
    finally:
        services.close()


def test_an_undone_stop_takes_back_the_end_it_stamped_and_the_real_stop_stamps_it(
    qtbot: QtBot,
    clinic: tuple[Path, FakeClock, Clinician, list[Patient]],  # noqa: F811
) -> None:
    path, clock, clinician, patients = clinic
    services = open_chart(path, clock=clock)
    try:
        window = main_window(qtbot, services, clinician)
        editor = start_in_room(qtbot, window, patients[0], LOWER_BACK, 10)
        row = editor.rows[0]
        clock.advance(minutes=1)
        qtbot.mouseClick(row.timer, Qt.MouseButton.LeftButton)  # a slip
        assert editor.end_set.isChecked()
        qtbot.mouseClick(row.undo, Qt.MouseButton.LeftButton)
        assert not editor.end_set.isChecked()  # the needles are in again
        assert services.sessions.get(editor.session.id or 0).service_end is None

        clock.advance(minutes=9)
        qtbot.mouseClick(row.timer, Qt.MouseButton.LeftButton)  # the real stop
        assert editor.end_set.isChecked()
        assert services.sessions.get(editor.session.id or 0).service_end == NOW + timedelta(minutes=10)
        window.close()
    finally:
        services.close()


def test_an_end_entered_by_hand_stays_when_a_stop_is_undone(
    qtbot: QtBot,
    clinic: tuple[Path, FakeClock, Clinician, list[Patient]],  # noqa: F811
) -> None:
    path, clock, clinician, patients = clinic
    services = open_chart(path, clock=clock)
    try:
        window = main_window(qtbot, services, clinician)
        editor = start_in_room(qtbot, window, patients[0], LOWER_BACK, 10)
        editor.end_set.setChecked(True)  # the clinician's own entry, before any stop
        clock.advance(minutes=1)
        qtbot.mouseClick(editor.rows[0].timer, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(editor.rows[0].undo, Qt.MouseButton.LeftButton)
        assert editor.end_set.isChecked()
        window.close()
    finally:
        services.close()
