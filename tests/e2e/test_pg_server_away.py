"""The server goes away mid-session (issue 16, item 3): the draft stays on screen and in an owner-only
recovery file on this PC, the window says so in words, and it is saved once the server is back.

The program reaches the server through a relay the test cuts and mends (tests/pg_server.py: every open
connection dropped, every new one closed at once, as a server switched off does to a PC), so the shared
server, and every other test on it, is never cut off.
"""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from needlelog.db.engine import open_engine
from needlelog.domain.errors import StorageError
from needlelog.domain.model import Clinic, Clinician, Consent
from needlelog.domain.vocab import ConsentMethod
from needlelog.services.recovery import DraftRecovery, session_from_json, session_to_json
from needlelog.services.store import Services, open_chart
from needlelog.ui.editor.server_away import save_kept_drafts
from needlelog.ui.main_window import MainWindow
from needlelog.ui.session_editor import SessionEditor
from tests.conftest import TEST_HASHER, TEST_WRAPPING, make_patient
from tests.e2e.pg_load import _signable
from tests.pg_server import ServerLink, fresh_database

PG_URL = os.environ.get("NEEDLELOG_TEST_PG_URL")


@pytest.fixture
def link() -> Iterator[ServerLink]:
    if not PG_URL:
        pytest.skip("NEEDLELOG_TEST_PG_URL is not set")
    with fresh_database(PG_URL) as chart:
        made = ServerLink(chart.url)
        yield made
        made.close()


def open_editor(qtbot: QtBot, services: Services) -> SessionEditor:
    services.clinic.save_clinic(Clinic(name="Bow River Physiotherapy"))
    clinician = services.clinic.add_clinician(Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417"))
    patient = services.patients.create(
        make_patient("C777", consent=Consent(date.today() - timedelta(days=1), ConsentMethod.WRITTEN, "D"))
    )
    window = MainWindow(services, clinician)
    qtbot.addWidget(window)
    window.show()
    window.show_patient(patient.id)
    editor = window.new_session()
    assert editor is not None
    qtbot.addWidget(editor)
    qtbot.waitExposed(editor)
    editor.notes.setFocus()
    qtbot.waitUntil(editor.notes.hasFocus)
    return editor


@pytest.mark.postgres
@pytest.mark.timeout(60)
def test_a_draft_typed_while_the_server_is_away_is_kept_and_saved_when_it_is_back(
    qtbot: QtBot, link: ServerLink
) -> None:
    services = open_chart(link.url, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    try:
        editor = open_editor(qtbot, services)
        qtbot.keyClicks(editor.notes, "Needles in at the neck. ")
        qtbot.waitUntil(lambda: services.sessions.get(editor.session.id or 0).notes == "Needles in at the neck. ")
        link.cut()
        qtbot.keyClicks(editor.notes, "Typed while the server was away.")
        state = editor.keeper.save_state
        qtbot.waitUntil(lambda: "saved as soon as the chart is back" in state.text(), timeout=10_000)
        assert state.text().startswith("Not saved: The chart could not be read or written")
        typed = "Needles in at the neck. Typed while the server was away."
        assert editor.notes.toPlainText() == typed  # on screen
        kept = DraftRecovery(services.location).pending()
        assert [k.session.notes for k in kept] == [typed]  # and on this PC, for the owner alone
        assert stat.S_IMODE(kept[0].path.stat().st_mode) == 0o600
        assert stat.S_IMODE(kept[0].path.parent.stat().st_mode) == 0o700
        link.mend()
        qtbot.waitUntil(lambda: "(the chart is back)" in state.text(), timeout=20_000)
        assert services.sessions.get(editor.session.id or 0).notes == typed
        assert DraftRecovery(services.location).pending() == []
    finally:
        services.close()


def test_a_kept_draft_is_saved_at_the_next_start_unless_it_was_saved_elsewhere(tmp_path: Path) -> None:
    services = open_chart(tmp_path / "chart.sqlite", hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    try:
        clinician = services.clinic.add_clinician(Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417"))
        patient = services.patients.create(
            make_patient("C777", consent=Consent(date.today() - timedelta(days=1), ConsentMethod.WRITTEN, "D"))
        )
        draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0)
        full = _signable(draft, "Zoë <b>&amp; 李")
        assert session_from_json(session_to_json(full)) == full  # every field goes to the file and back
        recovery = DraftRecovery(services.location, tmp_path / "recovery")
        recovery.keep(replace(draft, notes="kept while away"))
        assert recovery.save_pending(services.sessions) == (1, [])
        assert services.sessions.get(draft.id or 0).notes == "kept while away"
        recovery.keep(replace(draft, notes="stale"))  # read at version 1; the chart is at 2 now
        saved, problems = recovery.save_pending(services.sessions)
        assert saved == 0 and "saved from another window or PC" in problems[0]
        assert [k.session.notes for k in recovery.pending()] == ["stale"]  # kept for the clinician
    finally:
        services.close()


def test_a_server_that_never_answers_is_given_up_in_words() -> None:
    """A server gone from the network (a PC whose packets go nowhere) must not hold the window for the system's
    minutes: the connection is given up after the engine's connect timeout, in one sentence."""
    silent = socket.create_server(("127.0.0.1", 0))  # the kernel completes the handshake; nobody ever answers
    try:
        port = silent.getsockname()[1]
        with pytest.raises(StorageError, match="Cannot reach the database server at") as refused:
            open_engine(f"postgresql+psycopg://pc:secret@127.0.0.1:{port}/chart", create=False)
        assert "secret" not in str(refused.value) and "\n" not in str(refused.value).strip()
    finally:
        silent.close()


def test_the_next_sign_in_saves_what_was_kept_and_says_so(tmp_path: Path) -> None:
    services = open_chart(tmp_path / "chart.sqlite", hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    try:
        clinician = services.clinic.add_clinician(Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417"))
        patient = services.patients.create(
            make_patient("C777", consent=Consent(date.today() - timedelta(days=1), ConsentMethod.WRITTEN, "D"))
        )
        draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0)
        assert save_kept_drafts(services) == ""  # nothing kept: nothing said
        DraftRecovery(services.location).keep(replace(draft, notes="typed while the chart was away"))
        assert save_kept_drafts(services) == "1 draft(s) kept on this PC while the chart was away are saved."
        assert services.sessions.get(draft.id or 0).notes == "typed while the chart was away"
        assert DraftRecovery(services.location).pending() == []
    finally:
        services.close()
