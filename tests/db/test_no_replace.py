"""A stored record cannot be replaced (schema 0008, issue 13): SQLite's REPLACE removes the row in its way
without firing DELETE triggers, so ``INSERT OR REPLACE`` once rewrote amendments, signed notes and the audit
trail with plain ``sqlite3``. Every protected table is attacked here on a real file, and ``needlelog check``
names a protective trigger that was dropped or weakened."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from needlelog.domain.model import AdverseEvent, Clinician, Patient
from needlelog.domain.vocab import AdverseEventKind
from needlelog.services.store import Services, check_database
from tests.conftest import FakeClock
from tests.db.test_signed_notes import SITE, signed_and_draft  # noqa: F401 (a fixture)

TABLES = (
    "treatment_session",
    "needling_site",
    "trigger_point",
    "adverse_event",
    "adverse_follow_up",
    "amendment",
    "audit_log",
)
REFUSED = "a stored record cannot be replaced"


@pytest.fixture
def chart(
    services: Services,
    patient: Patient,
    clinician: Clinician,
    clock: FakeClock,
    db_path: Path,
    signed_and_draft: tuple[int, int],  # noqa: F811
) -> tuple[Path, int, int]:
    """A signed note with an adverse event, an amendment and a follow-up (appended with plain SQL, which the
    append-only tables allow), and a draft."""
    signed, draft = signed_and_draft
    stored = services.sessions.get(draft)
    event = AdverseEvent(AdverseEventKind.FAINTING_INJURY, "Fainted; bruised elbow")
    second = services.sessions.sign(
        replace(stored, adverse_events=(event,), service_start=clock.now - timedelta(minutes=50)), clinician.id or 0
    )
    with sqlite3.connect(db_path) as raw:
        at = clock.now.isoformat(sep=" ")
        raw.execute(
            "INSERT INTO amendment (session_id, author_id, written_at, reason, text) VALUES (?, ?, ?, 'typo', 'L2')",
            (signed, clinician.id, at),
        )
        raw.execute(
            "INSERT INTO adverse_follow_up (session_id, author_id, written_at, text) VALUES (?, ?, ?, 'called')",
            (second.id, clinician.id, at),
        )
    fresh = services.sessions.new_draft(patient.id or 0, clinician.id or 0, clock.now - timedelta(minutes=5))
    return db_path, signed, services.sessions.save_draft(replace(fresh, notes="draft", sites=(SITE,))).id or 0


def snapshot(raw: sqlite3.Connection) -> dict[str, list[tuple[object, ...]]]:
    return {table: raw.execute(f"SELECT * FROM {table} ORDER BY id").fetchall() for table in TABLES}


@pytest.mark.parametrize("table", TABLES)
def test_insert_or_replace_of_a_stored_row_is_refused_on_every_protected_table(
    table: str, chart: tuple[Path, int, int]
) -> None:
    path, _signed, _draft = chart
    raw = sqlite3.connect(path)
    before = snapshot(raw)
    assert before[table], f"the chart holds no {table} row to attack"
    for verb in ("INSERT OR REPLACE", "REPLACE"):
        with pytest.raises(sqlite3.IntegrityError, match=REFUSED):
            raw.execute(f"{verb} INTO {table} SELECT * FROM {table} WHERE id = (SELECT min(id) FROM {table})")
        raw.rollback()
    assert snapshot(raw) == before
    raw.close()


def test_the_attacks_named_in_the_issue_are_refused(chart: tuple[Path, int, int]) -> None:
    path, signed, draft = chart
    raw = sqlite3.connect(path)
    before = snapshot(raw)
    attacks = [
        "INSERT OR REPLACE INTO amendment SELECT id, session_id, author_id, written_at, 'x', 'FORGED' FROM amendment",
        f"INSERT OR REPLACE INTO treatment_session SELECT * FROM treatment_session WHERE id = {signed}",
        # a draft's site moved onto a signed note's place (session, position): REPLACE would delete the signed one
        f"UPDATE OR REPLACE needling_site SET session_id = {signed}, position = 0 WHERE session_id = {draft}",
        f"UPDATE OR REPLACE treatment_session SET id = {signed} WHERE id = {draft}",
        "INSERT OR REPLACE INTO audit_log SELECT * FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)",
    ]
    for attack in attacks:
        with pytest.raises(sqlite3.IntegrityError, match=REFUSED):  # 0008's words: no older trigger stops these
            raw.execute(attack)
        raw.rollback()
    assert snapshot(raw) == before
    raw.close()


def test_a_drafts_rows_are_still_saved_as_ever(services: Services, chart: tuple[Path, int, int]) -> None:
    """The program deletes and inserts a draft's sites on every save: the new triggers let it."""
    _path, signed, _draft = chart
    stored = services.sessions.get(signed)
    draft = services.sessions.new_draft(
        stored.patient_id, stored.clinician_id, stored.service_start - timedelta(days=1)
    )
    saved = services.sessions.save_draft(replace(draft, sites=stored.sites))
    again = services.sessions.save_draft(replace(saved, sites=tuple(reversed(saved.sites)) + stored.sites))
    assert len(services.sessions.get(again.id or 0).sites) == 2 * len(stored.sites)


def test_check_names_a_dropped_or_weakened_protective_trigger(chart: tuple[Path, int, int]) -> None:
    path, _signed, _draft = chart
    assert check_database(path) == []
    with sqlite3.connect(path) as raw:
        raw.execute("DROP TRIGGER amendment_no_replace")
        raw.execute("DROP TRIGGER signed_session_no_update")
        raw.execute(
            "CREATE TRIGGER signed_session_no_update BEFORE UPDATE ON treatment_session FOR EACH ROW "
            "WHEN 0 BEGIN SELECT RAISE(ABORT, 'never'); END"
        )
    problems = check_database(path)
    assert any("amendment_no_replace is missing" in p for p in problems), problems
    assert any("signed_session_no_update has been changed" in p for p in problems), problems
    run = subprocess.run(
        [sys.executable, "-m", "needlelog", "check", "--db", str(path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1 and "amendment_no_replace is missing" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
