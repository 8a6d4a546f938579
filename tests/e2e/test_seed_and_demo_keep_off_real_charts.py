"""`seed` and `demo` never touch a clinic's records (issue 13, item 3): a chart where a clinician signed a note
through the program is refused in one line, exit 2, nothing added; a seed into a demo or test chart is audited."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import replace
from pathlib import Path

from needlelog.db.cipher import raw_connect
from needlelog.db.keyfile import file_key_for
from needlelog.domain.model import Clinician, Patient
from needlelog.services.encryption import open_with_password
from needlelog.services.store import Services, check_database, open_chart
from tests.cipher_util import unreadable_without_key
from tests.conftest import TEST_HASHER, TEST_WRAPPING
from tests.db.test_signed_notes import signed_and_draft  # noqa: F401 (a fixture)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def needlelog(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "needlelog", *args], check=False, capture_output=True, text=True, timeout=120
    )


def counts(path: Path) -> tuple[int, int, int]:
    with sqlite3.connect(path) as raw:
        return tuple(
            raw.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("patient", "treatment_session", "audit_log")
        )  # type: ignore[return-value]


def test_seed_and_demo_refuse_a_chart_with_notes_signed_by_clinicians(
    services: Services,
    patient: Patient,
    clinician: Clinician,
    db_path: Path,
    signed_and_draft: tuple[int, int],  # noqa: F811
) -> None:
    ours = replace(services.clinic.clinic(), name="Okotoks Sports Physiotherapy")  # a clinic's own, not the demo
    services.clinic.save_clinic(ours)
    services.close()
    before = counts(db_path)
    for args in (
        ("seed", "--db", str(db_path), "--patients", "5", "--sessions", "20"),
        ("demo", "--db", str(db_path), "--no-window"),
    ):
        run = needlelog(*args)
        lines = run.stderr.strip().splitlines()
        assert run.returncode == 2 and len(lines) == 1, (args, run.stderr)
        assert "signed by clinicians" in lines[0] and "Traceback" not in run.stderr
        assert counts(db_path) == before


def test_a_seed_into_a_test_chart_is_audited_and_the_chain_stays_whole(tmp_path: Path) -> None:
    path = tmp_path / "test-chart.sqlite"
    assert needlelog("seed", "--db", str(path), "--patients", "4", "--sessions", "12").returncode == 0
    assert needlelog("seed", "--db", str(path), "--patients", "2", "--sessions", "3").returncode == 0  # seeded only
    with sqlite3.connect(path) as raw:
        rows = raw.execute("SELECT role, detail FROM audit_log WHERE action = 'chart_seeded' ORDER BY id").fetchall()
    assert [role for role, _ in rows] == ["system", "system"]
    assert rows[0][1].startswith("4 synthetic patients, 12 sessions")
    assert check_database(path) == []


def test_seed_refuses_a_clinic_chart_from_before_the_audit_trail(tmp_path: Path) -> None:
    """Schema 0004 had no audit trail: its signed notes are a clinic's records all the same."""
    path = tmp_path / "old.sqlite"
    shutil.copyfile(FIXTURES / "schema-0004.sqlite", path)
    assert needlelog("db", "upgrade", "--db", str(path)).returncode == 0
    before = counts(path)
    run = needlelog("seed", "--db", str(path), "--patients", "5", "--sessions", "10")
    assert run.returncode == 2 and "signed by clinicians" in run.stderr
    assert counts(path) == before


def test_the_demo_stays_the_demo_after_a_note_is_signed_in_it(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite"
    assert needlelog("demo", "--db", str(path), "--no-window").returncode == 0
    assert unreadable_without_key(path)  # encrypted like a clinic's, opened with an account's password
    demo, chart_key = open_with_password(path, "dwhitford", "needlelog-demo", hasher=TEST_HASHER)
    try:
        demo.accounts.login("dwhitford", "needlelog-demo", chart_key)
        clinician = demo.access.user
        assert clinician is not None
        patient = demo.patients.search("")[0]
        last = demo.sessions.history(patient.id or 0, limit=1)[0]
        draft = demo.sessions.copy_last(patient.id or 0, clinician.id or 0)
        assert draft.id is not None and last.id is not None
    finally:
        demo.close()
    key = file_key_for(path, "admin", "needlelog-demo")
    # a note signed through the program, as someone trying the demo would
    with closing(raw_connect(path, key)) as raw, raw:
        raw.execute(
            "INSERT INTO audit_log (at, user_name, role, action, detail, previous_hash, row_hash) "
            "SELECT at, user_name, role, 'session_signed', '', row_hash, row_hash FROM audit_log "
            "WHERE id = (SELECT max(id) FROM audit_log)"
        )
    again = needlelog("demo", "--db", str(path), "--no-window")
    assert again.returncode == 0, again.stderr


def test_seed_refuses_a_chart_with_a_chart_key(tmp_path: Path) -> None:
    """Seeded notes carry no seal: a chart whose accounts made a key would have each named by `check --user`."""
    path = tmp_path / "test-chart.sqlite"
    assert needlelog("seed", "--db", str(path), "--patients", "2", "--sessions", "4").returncode == 0
    services = open_chart(path, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    services.accounts.create_admin("admin", "Clinic Administrator", "front-desk-password")
    services.close()
    before = counts(path)
    run = needlelog("seed", "--db", str(path), "--patients", "2", "--sessions", "4")
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2 and len(lines) == 1 and "chart key" in lines[0], run.stderr
    assert counts(path) == before
