"""The morning after the upgrade (issue 13): on a chart from before its key, the administrator signs in first and
the key is made; every other account holds no copy of it yet, and still signs in, charts and signs. What it writes
waits, named by `check --user` as "not yet sealed", until the next write that holds the key seals it; a record
without a seal that cannot be such a write (older than the sealed head, or with no audit row after it) is
tampering, named as before."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from needlelog.domain.access import AuditAction, AuditEntry, audit_hash
from needlelog.domain.vocab import Condition
from needlelog.services.store import Services, open_chart, seal_check, seal_findings
from tests.conftest import TEST_HASHER, TEST_WRAPPING, FakeClock, make_patient
from tests.db.test_signed_notes import SITE

PASSWORD = "front-desk-password"
FIXTURES = Path(__file__).parent.parent / "fixtures"
WAITS = "not yet sealed (written by an account without the key)"


def upgraded_chart(tmp_path: Path) -> Path:
    """Schema 0013 (before the key), its first clinician made an administrator; both with passwords."""
    path = tmp_path / "clinic.sqlite"
    shutil.copyfile(FIXTURES / "schema-0013.sqlite", path)
    digest = TEST_HASHER.hash(PASSWORD)
    with sqlite3.connect(path) as raw:
        raw.execute(
            "UPDATE clinician SET roles = 'admin clinician', password_hash = ? WHERE username = 'dwhitford'", (digest,)
        )
        raw.execute("UPDATE clinician SET password_hash = ? WHERE username = 'rsandhu'", (digest,))
    return path


def opened(path: Path, clock: FakeClock) -> Services:
    return open_chart(path, clock=clock, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)


def chart_and_sign(services: Services, clock: FakeClock) -> tuple[int, int]:
    """The signed-in clinician registers a patient, charts, signs and amends a visit: (the note, the amendment)."""
    user = services.access.user
    assert user is not None and user.id is not None
    patient = services.patients.create(make_patient("K100")).id or 0
    draft = services.sessions.new_draft(patient, user.id, clock.now - timedelta(minutes=40))
    done = replace(
        draft,
        condition=Condition.NECK_HEADACHE,
        service_end=clock.now - timedelta(minutes=10),
        sites=(SITE,),
        sharps_disposed=True,
    )
    signed = services.sessions.sign(done, user.id)
    services.sessions.amend(signed.id or 0, "late detail", "Less pain at the neck.")
    with sqlite3.connect(services.location) as raw:
        amendment = raw.execute("SELECT max(id) FROM amendment").fetchone()[0]
    return signed.id or 0, amendment


def run_check(path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEEDLELOG_PASSWORD": PASSWORD}
    return subprocess.run(
        [sys.executable, "-m", "needlelog", "check", "--db", str(path), "--user", "dwhitford"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def sealed(path: Path, kind: str) -> set[int]:
    with sqlite3.connect(path) as raw:
        return {row[0] for row in raw.execute("SELECT row_id FROM record_seal WHERE kind = ?", (kind,))}


def morning(tmp_path: Path) -> tuple[Path, int, int]:
    """8:00 the administrator signs in (the key is made); 8:05 a clinician without a copy signs in, charts, signs
    and amends. (path, the note, the amendment), nothing of the clinician's sealed yet."""
    path = upgraded_chart(tmp_path)
    clock = FakeClock()
    services = opened(path, clock)
    try:
        services.accounts.login("dwhitford", PASSWORD)
        assert services.access.chart_key is not None and services.accounts.take_recovery_key()
        services.accounts.sign_out()
        services.accounts.login("rsandhu", PASSWORD)  # no copy of the key: signs in all the same
        assert services.access.chart_key is None
        note, amendment = chart_and_sign(services, clock)
        services.accounts.sign_out()
    finally:
        services.close()
    return path, note, amendment


def test_a_clinician_without_the_key_charts_and_the_administrators_next_sign_in_seals_it(tmp_path: Path) -> None:
    path, note, amendment = morning(tmp_path)
    assert note not in sealed(path, "note") and amendment not in sealed(path, "amendment")
    problems, waiting = seal_findings(path, "dwhitford", PASSWORD)
    assert problems == []
    assert f"{WAITS}: signed note {note}" in waiting and f"{WAITS}: amendment {amendment}" in waiting
    before = run_check(path)
    assert before.returncode == 0, before.stderr
    assert f"{WAITS}: signed note {note}" in before.stdout and "seals verified" in before.stdout

    services = opened(path, FakeClock())
    try:
        services.accounts.login("dwhitford", PASSWORD)  # the next write with the key seals what waited
    finally:
        services.close()
    assert note in sealed(path, "note") and amendment in sealed(path, "amendment")
    assert seal_findings(path, "dwhitford", PASSWORD) == ([], [])
    after = run_check(path)
    assert after.returncode == 0 and WAITS not in after.stdout, after.stderr


def tamper(path: Path, *statements: str) -> None:
    """``statements`` with every trigger dropped, and the triggers put back: only the seals can tell."""
    with sqlite3.connect(path) as raw:
        kept = [row[0] for row in raw.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'")]
        for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            raw.execute(f'DROP TRIGGER "{name}"')
        for statement in statements:
            raw.execute(statement)
        for trigger in kept:
            raw.execute(trigger)


def append_audit_row(path: Path, action: AuditAction, session_id: int) -> None:
    """An audit row forged onto the end of the trail with a correct hash (the chain has no key): after the head."""
    with sqlite3.connect(path) as raw:
        at, previous, patient = raw.execute(
            "SELECT at, row_hash, (SELECT patient_id FROM treatment_session WHERE id = ?) FROM audit_log "
            "ORDER BY id DESC LIMIT 1",
            (session_id,),
        ).fetchone()
        entry = AuditEntry(
            datetime.fromisoformat(at).replace(tzinfo=UTC), "rsandhu", "clinician", action, patient, session_id, ""
        )
        raw.execute(
            "INSERT INTO audit_log (at, user_name, role, action, patient_id, session_id, detail, previous_hash,"
            " row_hash) VALUES (?, ?, ?, ?, ?, ?, '', ?, ?)",
            (at, "rsandhu", "clinician", action.value, patient, session_id, previous, audit_hash(entry, previous)),
        )


def _forged_copy(path: Path, note: int) -> str:
    with sqlite3.connect(path) as raw:
        columns = [c[1] for c in raw.execute("PRAGMA table_info(treatment_session)") if c[1] != "id"]
    names = ", ".join(columns)
    return f"INSERT INTO treatment_session ({names}) SELECT {names} FROM treatment_session WHERE id = {note}"


@pytest.mark.parametrize("forged_audit_row", [False, True], ids=["seal deleted", "and a signing row forged after"])
def test_a_sealed_note_whose_seal_is_deleted_does_not_pass_for_one_waiting(
    tmp_path: Path, forged_audit_row: bool
) -> None:
    path, note, _amendment = morning(tmp_path)
    services = opened(path, FakeClock())
    try:
        services.accounts.login("dwhitford", PASSWORD)  # seals the clinician's note: now older than the head
    finally:
        services.close()
    tamper(
        path,
        f"UPDATE treatment_session SET notes = 'FORGED', fingerprint = '{'ab' * 32}' WHERE id = {note}",
        f"DELETE FROM record_seal WHERE kind = 'note' AND row_id = {note}",
    )
    if forged_audit_row:
        append_audit_row(path, AuditAction.SESSION_SIGNED, note)
    problems, waiting = seal_findings(path, "dwhitford", PASSWORD)
    assert f"seal: signed note {note} has no seal: it was written without the chart key" in problems
    assert not any(f"signed note {note}" in line for line in waiting)
    result = run_check(path)
    assert result.returncode == 1 and f"signed note {note} has no seal" in result.stderr
    services = opened(path, FakeClock())
    try:
        services.accounts.login("dwhitford", PASSWORD)  # the next keyed write does not seal the forgery
    finally:
        services.close()
    assert note not in sealed(path, "note")
    assert f"seal: signed note {note} has no seal: it was written without the chart key" in seal_check(
        path, "dwhitford", PASSWORD
    )


def test_a_forged_signed_row_with_no_signing_row_after_the_head_is_tampering(tmp_path: Path) -> None:
    path, note, _amendment = morning(tmp_path)  # the clinician's note waits: a forged copy must not
    tamper(path, _forged_copy(path, note))
    with sqlite3.connect(path) as raw:
        forged = raw.execute("SELECT max(id) FROM treatment_session").fetchone()[0]
    problems, waiting = seal_findings(path, "dwhitford", PASSWORD)
    assert f"seal: signed note {forged} has no seal: it was written without the chart key" in problems
    assert f"{WAITS}: signed note {note}" in waiting and not any(str(forged) in line for line in waiting)
