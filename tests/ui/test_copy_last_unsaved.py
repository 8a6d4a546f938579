"""Copy last session (Ctrl+D) opens an unsaved copy: nothing is written until the clinician changes something,
and then the copy is stored as any draft is, named in the audit trail as copied from its source."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from needlelog.domain.model import Clinic, Clinician, Consent, NeedlingSite, TreatmentSession
from needlelog.domain.vocab import BodyRegion, ConsentMethod, SessionStatus, Side
from needlelog.services.store import open_chart
from needlelog.services.workspace import OpenDrafts
from needlelog.ui import session_editor
from needlelog.ui.editor import draft_discarder
from needlelog.ui.main_window import MainWindow
from needlelog.ui.session_editor import AUTOSAVE_MS, SessionEditor
from needlelog.ui.window.patient_browser import OPEN_FIRST_AFTER_MS
from tests.conftest import TEST_HASHER, TEST_WRAPPING, make_patient

PASSWORD = "correct horse battery"


class Chart:
    """A patient with one earlier session of two sites, in a real file, the clinician signed in (the real clock:
    the editor saves times as they are now)."""

    def __init__(self, path: Path, drafts: Path) -> None:
        self.path = path
        self.drafts_file = drafts
        self.services = open_chart(path, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
        self.services.clinic.save_clinic(Clinic(name="Bow River Physiotherapy"))
        dana = Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417")
        self.clinician = self.services.accounts.add_user(dana, PASSWORD)
        self.services.accounts.login(dana.username, PASSWORD)
        self.patient = self.services.patients.create(
            # Dated the day before: the earlier visit, two hours ago, is yesterday in the first two hours of a day.
            make_patient(
                "C777", consent=Consent(date.today() - timedelta(days=1), ConsentMethod.WRITTEN, "Dana Whitford")
            )
        )
        earlier = self.services.sessions.new_draft(
            self.patient.id or 0, self.clinician.id or 0, datetime.now().astimezone() - timedelta(hours=2)
        )
        sites = tuple(
            NeedlingSite(region=BodyRegion.NECK, side=side, muscle="upper trapezius", needles=2, dwell_minutes=10)
            for side in (Side.RIGHT, Side.LEFT)
        )
        self.earlier: TreatmentSession = self.services.sessions.save_draft(replace(earlier, sites=sites))

    def drafts(self) -> OpenDrafts:
        return OpenDrafts(self.drafts_file, self.services.location)

    def rows(self) -> tuple[int, int]:
        """Sessions and audit lines in the file, counted with sqlite3 itself."""
        with closing(sqlite3.connect(self.path, timeout=5)) as raw:
            sessions = raw.execute("SELECT count(*) FROM treatment_session").fetchone()[0]
            audit = raw.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        return sessions, audit

    def audit_mark(self) -> int:
        with closing(sqlite3.connect(self.path, timeout=5)) as raw:
            return int(raw.execute("SELECT max(id) FROM audit_log").fetchone()[0])

    def audit_after(self, mark: int) -> list[tuple[str, int | None, str | None]]:
        """What the audit trail says after line ``mark``, other than that a chart was viewed."""
        with closing(sqlite3.connect(self.path, timeout=5)) as raw:
            query = "SELECT action, session_id, detail FROM audit_log WHERE id > ? AND action != 'patient_viewed'"
            return list(raw.execute(query + " ORDER BY id", (mark,)))

    def window(self, qtbot: QtBot) -> MainWindow:
        window = MainWindow(self.services, self.clinician, self.drafts())
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        qtbot.wait(OPEN_FIRST_AFTER_MS + 100)  # the browser's pause ends: it opens (views) the top match
        window.show_patient(self.patient.id)
        return window

    def copy_with_ctrl_d(self, qtbot: QtBot, window: MainWindow) -> SessionEditor:
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=10000)
        qtbot.keyClick(window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: len(window.open_editors.unsaved) == 1, timeout=10000)
        editor = window.open_editors.unsaved[0]
        qtbot.addWidget(editor)
        return editor


@pytest.fixture
def chart(tmp_path: Path) -> Iterator[Chart]:
    made = Chart(tmp_path / "clinic.sqlite", tmp_path / "open-drafts.json")
    yield made
    made.services.close()


def test_an_untouched_copy_closes_without_writing_anything(qtbot: QtBot, chart: Chart) -> None:
    window = chart.window(qtbot)
    before = chart.rows()
    editor = chart.copy_with_ctrl_d(qtbot, window)
    assert editor.session.id is None
    assert [row.site().side for row in editor.rows] == [Side.RIGHT, Side.LEFT]  # the copied sites, on screen
    assert chart.rows() == before and chart.drafts().ids() == []
    editor.close()  # no question asked, nothing saved
    assert not editor.isVisible() and window.open_editors.unsaved == []
    assert chart.rows() == before and chart.drafts().ids() == []
    assert window.close()  # and nothing keeps the program open


def test_a_note_typed_in_the_copy_stores_it_within_the_autosave_time(qtbot: QtBot, chart: Chart) -> None:
    window = chart.window(qtbot)
    sessions, mark = chart.rows()[0], chart.audit_mark()
    editor = chart.copy_with_ctrl_d(qtbot, window)
    editor.notes.setFocus()
    qtbot.keyClicks(editor.notes, "Better since last week")
    qtbot.waitUntil(lambda: chart.rows()[0] == sessions + 1, timeout=AUTOSAVE_MS + 500)
    copy_id = editor.session.id
    assert copy_id is not None and copy_id != chart.earlier.id
    stored = chart.services.sessions.get(copy_id)
    assert stored.notes == "Better since last week"
    assert [(s.region, s.side, s.needles) for s in stored.sites] == [
        (s.region, s.side, s.needles) for s in chart.earlier.sites
    ]
    # one line: created, and from which session (the history then shows the patient's chart again: viewed)
    assert chart.audit_after(mark) == [("session_created", copy_id, f"copied from session {chart.earlier.id}")]
    assert window.editors == {copy_id: editor} and window.open_editors.unsaved == []
    assert chart.drafts().ids() == [copy_id]  # listed now: a crash reopens it

    # the crash-reopen path: a new window on the same chart reopens the copy with what was typed
    again = MainWindow(chart.services, chart.clinician, chart.drafts())
    qtbot.addWidget(again)
    reopened = again.reopen_drafts()
    assert [(e.session.id, e.notes.toPlainText()) for e in reopened] == [(copy_id, "Better since last week")]
    for e in (*reopened, editor):
        qtbot.addWidget(e)
        e.close()
    assert chart.drafts().ids() == []


def test_a_timer_started_in_the_copy_is_stored_at_once(qtbot: QtBot, chart: Chart) -> None:
    window = chart.window(qtbot)
    sessions, _audit = chart.rows()
    editor = chart.copy_with_ctrl_d(qtbot, window)
    qtbot.mouseClick(editor.rows[0].timer, Qt.MouseButton.LeftButton)
    assert chart.rows()[0] == sessions + 1  # no wait: the needles' start is on the record now
    copy_id = editor.session.id
    assert copy_id is not None
    assert chart.services.sessions.get(copy_id).sites[0].timer_running
    assert [t.session_id for t in chart.services.sessions.running_timers()] == [copy_id]
    editor.stop_timer(0)
    editor.close()


def test_sign_writes_the_copy_first(qtbot: QtBot, chart: Chart) -> None:
    window = chart.window(qtbot)
    sessions = chart.rows()[0]
    editor = chart.copy_with_ctrl_d(qtbot, window)
    qtbot.mouseClick(editor.sign_button, Qt.MouseButton.LeftButton)
    # not signed (today's twitch and needles out are not charted yet), but stored, as the clinician expects
    assert editor.session.id is not None and not editor.session.is_signed
    assert chart.rows()[0] == sessions + 1 and chart.drafts().ids() == [editor.session.id]
    editor.close()


def test_save_pdf_and_discard_write_the_copy_first(
    qtbot: QtBot, chart: Chart, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = chart.window(qtbot)
    sessions, _audit = chart.rows()
    monkeypatch.setattr(session_editor, "ask_pdf_path", lambda _parent, _path: str(tmp_path / "note.pdf"))
    editor = chart.copy_with_ctrl_d(qtbot, window)
    qtbot.mouseClick(editor.pdf_button, Qt.MouseButton.LeftButton)
    assert (tmp_path / "note.pdf").stat().st_size > 0
    first = editor.session.id
    assert first is not None and chart.rows()[0] == sessions + 1
    editor.close()

    monkeypatch.setattr(draft_discarder, "ask_discard_reason", lambda _parent: "copied by mistake")
    editor = chart.copy_with_ctrl_d(qtbot, window)
    qtbot.mouseClick(editor.discarder.discard_button, Qt.MouseButton.LeftButton)
    second = editor.session.id
    assert second is not None and chart.rows()[0] == sessions + 2
    assert chart.services.sessions.get(second).status is SessionStatus.DISCARDED
    assert not editor.isVisible()
