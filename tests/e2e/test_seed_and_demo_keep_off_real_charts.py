"""`seed` and `demo` never touch a clinic's records (issue 13, item 3): a chart where a clinician signed a note
through the program is refused in one line, exit 2, nothing added; a seed into a demo or test chart is audited."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from needlelog.domain.model import Clinician, Patient
from needlelog.services.store import Services, check_database
from tests.db.test_signed_notes import signed_and_draft  # noqa: F401 (a fixture)


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
