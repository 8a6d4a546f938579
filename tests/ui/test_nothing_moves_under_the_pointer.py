"""Nothing moves under the pointer (issue 11, item 10), on the real editor and a real chart file: a stop
outside 5-15 minutes asks its reason below the table, a wrong lot's error moves no row, and the ledger's
message never moves Count one out; and the chart's message line forgets what became stale (a stop's reason
once the note is signed, a site's old number once the sites are renumbered)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget
from pytestqt.qtbot import QtBot

from needlelog.domain.lots import NeedleLot
from needlelog.domain.model import Clinic, Clinician, Patient
from needlelog.domain.vocab import SessionStatus
from needlelog.services.store import open_chart
from needlelog.ui.session_editor import SessionEditor
from tests.conftest import NOW, FakeClock, make_patient
from tests.ui.test_body_chart import tap
from tests.ui.test_dwell_timers import SITES, start_in_room
from tests.ui.test_needle_ledger_per_site import ready_to_sign
from tests.ui.test_session_editor import main_window, tick, type_number

LOWER_BACK, SHOULDER = SITES[1], SITES[2]  # neither over the lung


@pytest.fixture
def room(tmp_path: Path) -> Iterator[tuple[Path, FakeClock, Clinician, Patient]]:
    path = tmp_path / "room.sqlite"
    clock = FakeClock(NOW)
    services = open_chart(path, clock=clock)
    services.clinic.save_clinic(Clinic(name="Bow River Physiotherapy"))
    services.registers.add_lot(NeedleLot("Seirin", "0.30 x 50 mm", "L2304-27", date(2030, 1, 31)))
    clinician = services.clinic.add_clinician(Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417"))
    patient = services.patients.create(make_patient("C1", family_name="Okafor", given_name="Ada"))
    services.close()
    yield path, clock, clinician, patient


def at_1366(editor: SessionEditor) -> SessionEditor:
    editor.showNormal()
    editor.resize(1366, 768)
    QApplication.processEvents()
    return editor


def where(editor: SessionEditor, *widgets: QWidget) -> list[QPoint]:
    """Where each widget sits in the editor's scrolled body: what the layout does, apart from the scrolling
    that follows the focus on the tests' 800-pixel offscreen screen (a 1366-pixel one has nothing to scroll
    sideways)."""
    QApplication.processEvents()
    scroll = editor.findChild(QScrollArea, "editorScroll")
    assert scroll is not None
    return [widget.mapTo(scroll.widget(), QPoint()) for widget in widgets]


def clickable(editor: SessionEditor) -> list[QWidget]:
    """What the pointer may be on: every row's fields and buttons, Add site, Count one out."""
    return [*(w for row in editor.rows for w in row.widgets()), editor.sites.add_site_button, editor.count_out]


def test_a_stop_outside_5_15_asks_its_reason_below_the_table_and_a_wrong_lot_moves_no_row(
    qtbot: QtBot, room: tuple[Path, FakeClock, Clinician, Patient]
) -> None:
    path, clock, clinician, patient = room
    services = open_chart(path, clock=clock)
    try:
        window = main_window(qtbot, services, clinician)
        editor = at_1366(start_in_room(qtbot, window, patient, LOWER_BACK, 10))
        tap(qtbot, editor, SHOULDER)
        type_number(qtbot, editor.rows[1].needles, 1)
        first = editor.rows[0]
        before = where(editor, *clickable(editor))
        clock.advance(minutes=17, seconds=10)
        qtbot.mouseClick(first.timer, Qt.MouseButton.LeftButton)
        assert first.timer.text() == "✔ 17 min"
        assert where(editor, *clickable(editor)) == before  # site 2 stays under the pointer; so do the buttons
        reason = first.reason
        assert reason.isVisible() and reason.objectName() == "site1DwellReason"
        assert where(editor, reason)[0].y() > where(editor, editor.sites.add_site_button)[0].y()
        assert "reason" in editor.chart_message.text()
        first.lot.setText("X9999-01")  # not the clinic's
        assert "X9999-01" in editor.sites_error.text() and first.error.text()
        assert where(editor, *clickable(editor))[: len(first.widgets()) * 2] == before[: len(first.widgets()) * 2]
        window.close()
    finally:
        services.close()


def test_the_ledger_s_message_never_moves_count_one_out_or_the_sites(
    qtbot: QtBot, room: tuple[Path, FakeClock, Clinician, Patient]
) -> None:
    path, clock, clinician, patient = room
    services = open_chart(path, clock=clock)
    try:
        window = main_window(qtbot, services, clinician)
        editor = at_1366(start_in_room(qtbot, window, patient, LOWER_BACK, 10))
        for point, needles in ((SHOULDER, 3), (SITES[0], 2)):
            tap(qtbot, editor, point)
            type_number(qtbot, editor.rows[-1].needles, needles)
        long = editor.ledger_status.text()
        before = where(editor, *clickable(editor))
        clock.advance(minutes=10)
        qtbot.mouseClick(editor.rows[0].timer, Qt.MouseButton.LeftButton)
        for _ in range(5):
            qtbot.mouseClick(editor.count_out, Qt.MouseButton.LeftButton)
        tick(qtbot, editor.sharps)
        assert editor.ledger_status.text() == "✔ All needles counted out and disposed.", editor.ledger_status.text()
        assert long == "✖ 7 needles not counted out: sites 1, 2 and 3. Not yet in the sharps container."
        assert where(editor, *clickable(editor)) == before
        window.close()
    finally:
        services.close()


def test_the_chart_forgets_a_stop_s_message_once_signed_and_a_site_s_old_number_once_renumbered(
    qtbot: QtBot, room: tuple[Path, FakeClock, Clinician, Patient]
) -> None:
    path, clock, clinician, patient = room
    services = open_chart(path, clock=clock)
    try:
        window = main_window(qtbot, services, clinician)
        editor = at_1366(start_in_room(qtbot, window, patient, LOWER_BACK, 10))
        tap(qtbot, editor, SHOULDER)
        clock.advance(minutes=2)
        qtbot.mouseClick(editor.rows[0].timer, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(editor.rows[0].undo, Qt.MouseButton.LeftButton)
        assert editor.chart_message.text().startswith("Site 1: the stop is undone")
        qtbot.mouseClick(editor.rows[1].remove, Qt.MouseButton.LeftButton)
        assert len(editor.rows) == 1 and not editor.chart_message.text() and not editor.chart_message.isVisible()

        ready_to_sign(qtbot, editor)
        clock.advance(minutes=15, seconds=10)
        qtbot.mouseClick(editor.rows[0].timer, Qt.MouseButton.LeftButton)
        assert "undo the stop" in editor.chart_message.text()
        editor.rows[0].reason.setFocus()
        qtbot.keyClicks(editor.rows[0].reason, "Patient asked to rest a little longer.")
        qtbot.mouseClick(editor.sign_button, Qt.MouseButton.LeftButton)
        assert editor.session.status is SessionStatus.SIGNED
        assert not editor.chart_message.text() and not editor.chart_message.isVisible()
        window.close()
    finally:
        services.close()
