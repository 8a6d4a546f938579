"""Every needle accounted for at its site, and one truthful dwell, on the real editor and a real chart file:
a stopped timer counts its site out and an undo restores it; a typed dwell the timer contradicts, or a timer
past 15 minutes without a reason, stops signing; the reason prints on the note."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from needlelog.domain.access import AuditAction
from needlelog.domain.model import Clinic, Clinician, Patient
from needlelog.domain.vocab import SessionStatus
from needlelog.services.store import Services, open_chart
from needlelog.ui.session_editor import SessionEditor
from tests.conftest import NOW, FakeClock, make_patient
from tests.ui.test_dwell_timers import SITES, start_in_room
from tests.ui.test_session_editor import main_window, pick, tick, type_number

LOWER_BACK = SITES[1]  # not over the lung: these notes are not about the lung-field rule


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[tuple[Path, FakeClock, Clinician, list[Patient]]]:
    path = tmp_path / "room.sqlite"
    clock = FakeClock(NOW)
    services = open_chart(path, clock=clock)
    services.clinic.save_clinic(Clinic(name="Bow River Physiotherapy"))
    clinician = services.clinic.add_clinician(Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417"))
    patient = services.patients.create(make_patient("C1", family_name="Okafor", given_name="Ada"))
    services.close()
    yield path, clock, clinician, [patient]


def problems_of(editor: SessionEditor) -> list[str]:
    return [editor.problems.item(i).text() for i in range(editor.problems.count())]


def ready_to_sign(qtbot: QtBot, editor: SessionEditor) -> None:
    """Everything but the dwell: condition, twitch, the visit ended, the sharps."""
    pick(qtbot, editor.condition, "Low")
    pick(qtbot, editor.rows[0].twitch, "W")
    editor.end_set.setChecked(True)
    tick(qtbot, editor.sharps)


def test_a_stop_counts_its_site_out_and_an_undo_resumes_the_timer_from_its_start(
    qtbot: QtBot, clinic: tuple[Path, FakeClock, Clinician, list[Patient]]
) -> None:
    path, clock, clinician, patients = clinic
    services = open_chart(path, clock=clock)
    try:
        window = main_window(qtbot, services, clinician)
        editor = start_in_room(qtbot, window, patients[0], LOWER_BACK, 10)
        row = editor.rows[0]
        assert (row.out.value(), editor.removed.text(), row.undo.isVisible()) == (0, "0", False)
        clock.advance(minutes=1)
        qtbot.mouseClick(row.timer, Qt.MouseButton.LeftButton)  # a slip: the needles are still in
        assert (row.out.value(), editor.removed.text()) == (2, "2")  # counted out in the same action
        stored = services.sessions.get(editor.session.id or 0).sites[0]
        assert (stored.needles_out, stored.timer_stopped) == (2, clock.now)
        assert row.undo.isVisible() and not window.timers.rows

        qtbot.mouseClick(row.undo, Qt.MouseButton.LeftButton)
        assert (row.timer_stopped, row.out.value(), row.dwell.number(), editor.removed.text()) == (None, 0, 10, "0")
        stored = services.sessions.get(editor.session.id or 0).sites[0]
        assert (stored.timer_started, stored.timer_stopped, stored.needles_out) == (NOW, None, 0)
        assert [r.timer.started for r in window.timers.rows] == [NOW]  # back in the dock, from its start
        assert not row.undo.isVisible()
        audit = services.registers.audit(date(2026, 1, 1), date(2026, 12, 31))
        assert [line.entry.session_id for line in audit if line.entry.action is AuditAction.TIMER_RESUMED] == [
            editor.session.id
        ]

        clock.advance(minutes=9)  # the real stop: ten minutes from the original start
        qtbot.mouseClick(row.timer, Qt.MouseButton.LeftButton)
        assert (row.dwell.number(), row.out.value()) == (10, 2)
        assert "✔" in editor.ledger_status.text() or "sharps" in editor.ledger_status.text()
        window.close()
    finally:
        services.close()


def test_a_stop_undone_after_the_editor_was_closed_and_opened_again_resumes_with_the_clinics_dwell(
    qtbot: QtBot, clinic: tuple[Path, FakeClock, Clinician, list[Patient]]
) -> None:
    """The planned dwell is not stored, so after a reopen the undo cannot bring back the 12 typed before the
    stop: the timer still resumes from its start, and the dwell is the clinic's default again, said in words."""
    path, clock, clinician, patients = clinic
    services = open_chart(path, clock=clock)
    try:
        window = main_window(qtbot, services, clinician)
        editor = start_in_room(qtbot, window, patients[0], LOWER_BACK, 12)
        clock.advance(minutes=2)
        qtbot.mouseClick(editor.rows[0].timer, Qt.MouseButton.LeftButton)  # a slip
        session_id = editor.session.id or 0
        assert editor.try_to_close()
        editor.close()
        again = window.open_session(session_id)
        assert again is not None and again is not editor
        qtbot.addWidget(again)
        row = again.rows[0]
        assert not row.undo.isHidden()  # the stop can be undone after a reopen too
        qtbot.mouseClick(row.undo, Qt.MouseButton.LeftButton)
        assert (row.timer_stopped, row.out.value(), row.dwell.number()) == (None, 0, 10)
        said = again.findChild(QLabel, "chartMessage")
        assert said is not None and "the clinic's 10 min again" in said.text()
        stored = services.sessions.get(session_id).sites[0]
        assert (stored.timer_started, stored.timer_stopped, stored.needles_out, stored.dwell_minutes) == (
            NOW,
            None,
            0,
            10,
        )
        assert [r.timer.started for r in window.timers.rows] == [NOW]
        window.close()
    finally:
        services.close()


def test_sign_names_the_site_with_a_needle_in_and_a_typed_dwell_the_timer_contradicts(
    qtbot: QtBot, clinic: tuple[Path, FakeClock, Clinician, list[Patient]]
) -> None:
    path, clock, clinician, patients = clinic
    services = open_chart(path, clock=clock)
    try:
        window = main_window(qtbot, services, clinician)
        editor = start_in_room(qtbot, window, patients[0], LOWER_BACK, 10)
        row = editor.rows[0]
        ready_to_sign(qtbot, editor)
        clock.advance(minutes=1)
        qtbot.mouseClick(row.timer, Qt.MouseButton.LeftButton)
        type_number(qtbot, row.dwell, 10)  # typed over what the timer measured
        type_number(qtbot, row.out, 1)  # and one needle not counted out
        qtbot.mouseClick(editor.sign_button, Qt.MouseButton.LeftButton)
        listed = problems_of(editor)
        assert listed[0].startswith("• Site 1: dwell typed as 10 min, but its timer ran 1:00 (")
        assert "• Site 1: its timer ran 1:00, short of 5 minutes; write the reason on the site." in listed
        assert "• Site 1 (left lower back (lumbar)): 1 of 2 needles not counted out." in listed
        assert services.sessions.get(editor.session.id or 0).status is SessionStatus.DRAFT
        assert row.reason.isVisible()  # where the reason goes, under the row
        window.close()
    finally:
        services.close()


def test_a_timer_past_15_minutes_is_the_record_and_its_reason_prints_on_the_note(
    qtbot: QtBot, clinic: tuple[Path, FakeClock, Clinician, list[Patient]], tmp_path: Path
) -> None:
    path, clock, clinician, patients = clinic
    services: Services = open_chart(path, clock=clock)
    try:
        window = main_window(qtbot, services, clinician)
        editor = start_in_room(qtbot, window, patients[0], LOWER_BACK, 10)
        row = editor.rows[0]
        ready_to_sign(qtbot, editor)
        clock.advance(minutes=17, seconds=10)
        qtbot.mouseClick(row.timer, Qt.MouseButton.LeftButton)
        assert row.dwell.number() is None and row.timer.text() == "✔ 17 min"
        qtbot.mouseClick(editor.sign_button, Qt.MouseButton.LeftButton)
        assert problems_of(editor) == ["• Site 1: its timer ran 17:10, past 15 minutes; write the reason on the site."]
        assert editor.widget_for("sites[0].dwell_reason") is row.reason and row.reason.isVisible()
        reason = "Patient fainted in the next room; needles out as soon as I was back."
        row.reason.setFocus()
        qtbot.keyClicks(row.reason, reason)
        qtbot.mouseClick(editor.sign_button, Qt.MouseButton.LeftButton)
        assert editor.session.status is SessionStatus.SIGNED, problems_of(editor)
        target = tmp_path / "note.pdf"
        editor.printed.ask_path = lambda suggested: str(target)
        assert editor.save_pdf() == target
        text = "".join(page.extract_text() for page in PdfReader(target).pages)
        flat = "".join(text.split())
        assert "".join(reason.split()) in flat
        assert "Site1,dwell17min(outside5–15minutes)—reason:" in flat
        assert "2/2" in flat  # the site's needles in / out
        window.close()
    finally:
        services.close()
    assert timedelta(minutes=17) < clock.now - NOW
