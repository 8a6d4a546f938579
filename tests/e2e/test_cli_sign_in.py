"""The command line signs in (issue 13, item 3): a chart with accounts is exported only through one, with its
rights, audited under its name; the password comes from NEEDLELOG_PASSWORD or a prompt, never the command line.
And a damaged chart is never opened for writing by `seed` or `db upgrade`."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from needlelog.domain.model import Clinician
from needlelog.domain.vocab import Role
from needlelog.services.store import Services, open_chart
from tests.conftest import TEST_HASHER, TEST_WRAPPING
from tests.db.test_signed_notes import signed_and_draft  # noqa: F401 (a fixture)

PASSWORD = "front-desk-password"


def needlelog(*args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NEEDLELOG_PASSWORD"}
    if password is not None:
        env["NEEDLELOG_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "needlelog", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def chart(
    services: Services,
    clinician: Clinician,
    db_path: Path,
    signed_and_draft: tuple[int, int],  # noqa: F811
) -> Path:
    """A clinic's chart: an administrator, a manager and the clinician, each with a password, one signed note."""
    services.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
    services.accounts.set_password(clinician.id or 0, PASSWORD)
    manager = Clinician("Kiran Patel", "kpatel", authorised_to_needle=False, roles=frozenset({Role.MANAGER}))
    services.accounts.add_user(manager, PASSWORD)
    services.close()
    return db_path


def export(chart: Path, out: Path, *extra: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    return needlelog(
        "export",
        "--db",
        str(chart),
        "--from",
        "2020-01-01",
        "--to",
        "2030-12-31",
        "--out",
        str(out),
        *extra,
        password=password,
    )


def one_line(run: subprocess.CompletedProcess[str]) -> str:
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2 and len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    return lines[0]


def audit(chart: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(chart) as raw:
        return list(raw.execute("SELECT user_name, action FROM audit_log ORDER BY id"))


def test_an_export_of_a_chart_with_accounts_needs_one_and_is_audited_under_its_name(
    chart: Path, tmp_path: Path
) -> None:
    assert "give --user NAME" in one_line(export(chart, tmp_path / "a"))
    assert not (tmp_path / "a").exists()
    done = export(chart, tmp_path / "b", "--user", "kpatel", password=PASSWORD)
    assert done.returncode == 0, done.stderr
    assert list((tmp_path / "b").glob("*.pdf"))
    rows = audit(chart)
    assert ("kpatel", "login") in rows and ("kpatel", "pdf_exported") in rows
    assert not [user for user, action in rows if action == "pdf_exported" and user != "kpatel"]


def test_the_accounts_rights_and_password_hold_on_the_command_line(chart: Path, tmp_path: Path) -> None:
    assert "may not export" in one_line(export(chart, tmp_path / "c", "--user", "dwhitford", password=PASSWORD))
    assert "user name or password" in one_line(export(chart, tmp_path / "d", "--user", "kpatel", password="nope"))
    assert ("kpatel", "login_failed") in audit(chart)
    no_terminal = one_line(export(chart, tmp_path / "e", "--user", "kpatel"))  # stdin is not a terminal
    assert "NEEDLELOG_PASSWORD" in no_terminal
    assert not any((tmp_path / name).exists() for name in "cde")


def test_seed_and_upgrade_never_open_a_damaged_chart_for_writing(tmp_path: Path) -> None:
    path = tmp_path / "chart.sqlite"
    assert needlelog("seed", "--db", str(path), "--patients", "3", "--sessions", "9").returncode == 0
    size = path.stat().st_size
    with path.open("r+b") as damaged:
        damaged.seek(size // 2)
        damaged.write(b"\xff" * 4096)
    before = path.read_bytes()
    for args in (
        ("seed", "--db", str(path), "--patients", "1", "--sessions", "1"),
        ("db", "upgrade", "--db", str(path)),
    ):
        assert "is damaged" in one_line(needlelog(*args))
        assert path.read_bytes() == before


def test_an_export_folder_is_made_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "chart.sqlite"
    assert needlelog("seed", "--db", str(path), "--patients", "3", "--sessions", "9").returncode == 0
    out = tmp_path / "notes"
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, sys, runpy; os.umask(0); sys.argv[0] = 'needlelog'; "
            "runpy.run_module('needlelog', run_name='__main__')",
            "export",
            "--db",
            str(path),
            "--from",
            "2000-01-01",
            "--to",
            "2100-12-31",
            "--out",
            str(out),
            "--csv",
            str(tmp_path / "notes.csv"),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert out.stat().st_mode & 0o777 == 0o700
    files = [*out.glob("*.pdf"), tmp_path / "notes.csv"]
    assert len(files) > 1 and all(f.stat().st_mode & 0o777 == 0o600 for f in files)


def test_recover_sets_a_lost_password_with_the_recovery_key(tmp_path: Path) -> None:
    path = tmp_path / "clinic.sqlite"
    services = open_chart(path, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    services.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
    recovery = services.accounts.take_recovery_key() or ""
    services.close()

    def recover(key: str, password: str | None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k not in ("NEEDLELOG_PASSWORD", "NEEDLELOG_RECOVERY_KEY")}
        env["NEEDLELOG_RECOVERY_KEY"] = key
        if password is not None:
            env["NEEDLELOG_PASSWORD"] = password
        return subprocess.run(
            [sys.executable, "-m", "needlelog", "recover", "--db", str(path), "--user", "admin"],
            check=False,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            stdin=subprocess.DEVNULL,
        )

    assert "not the recovery key" in one_line(recover("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH", "a-new-password"))
    assert "at least" in one_line(recover(recovery, "short"))
    done = recover(recovery, "a-brand-new-password")
    assert done.returncode == 0 and "password set with the recovery key" in done.stdout, done.stderr
    checked = needlelog("check", "--db", str(path), "--user", "admin", password="a-brand-new-password")
    assert checked.returncode == 0 and "seals verified" in checked.stdout, checked.stderr
    assert ("admin", "login") not in audit(path)  # check reads only
