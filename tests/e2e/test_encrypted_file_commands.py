"""The commands that open the chart file themselves — backup, restore, check, db upgrade — on an encrypted
chart (issue 13, item 1), as the real command in its own process: without --user one line and exit 2; with it
(the password from NEEDLELOG_PASSWORD) the same work as on a plain chart, the copies encrypted too."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from needlelog.db import cipher
from needlelog.services.seeding import seed_chart
from needlelog.services.store import engine_at_head
from tests.cipher_util import ADMIN_PASSWORD, encrypt_with_accounts, unreadable_without_key
from tests.conftest import NOW
from tests.e2e.test_backup_cli import needlelog, said

ENCRYPTED = "needlelog: this chart is encrypted: give --user"


@pytest.fixture(scope="module")
def encrypted_seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes, str]:
    """A small seeded chart with an administrator, encrypted, made once; tests copy it with its side file."""
    path = tmp_path_factory.mktemp("encrypted-cli") / "seeded.sqlite"
    engine = engine_at_head(path)
    try:
        seed_chart(engine, 4, 30, seed=5, now=NOW, workers=1)
    finally:
        engine.dispose()
    key, recovery = encrypt_with_accounts(path)
    return path, key, recovery


@pytest.fixture
def chart(encrypted_seeded: tuple[Path, bytes, str], tmp_path: Path) -> Path:
    source = encrypted_seeded[0]
    target = tmp_path / "clinic.sqlite"
    shutil.copyfile(source, target)
    shutil.copyfile(cipher.side_file(source), cipher.side_file(target))
    return target


def test_each_command_on_an_encrypted_chart_without_user_is_one_line_and_exit_2(chart: Path, tmp_path: Path) -> None:
    before = chart.read_bytes()
    for command in (["backup"], ["check"], ["db", "upgrade"], ["restore", str(chart.with_name("x.sqlite"))]):
        result = needlelog(*command, "--db", str(chart), home=tmp_path / "home")
        assert result.returncode == 2, (command, result.stderr)
        assert said(result) == ENCRYPTED, command
    assert chart.read_bytes() == before
    assert not (tmp_path / "clinic-backups").exists()


def test_backup_and_check_with_user_on_an_encrypted_chart(
    chart: Path, tmp_path: Path, encrypted_seeded: tuple[Path, bytes, str]
) -> None:
    home = tmp_path / "home"
    password = {"NEEDLELOG_PASSWORD": ADMIN_PASSWORD}
    checked = needlelog("check", "--db", str(chart), "--user", "admin", home=home, **password)
    assert checked.returncode == 0, checked.stderr
    assert "ok (integrity, foreign keys, schema at head; encrypted; seals verified)" in said(checked)
    wrong = needlelog("check", "--db", str(chart), "--user", "admin", home=home, NEEDLELOG_PASSWORD="not it")
    assert wrong.returncode == 2 and said(wrong) == "needlelog: Wrong user name or password."
    backed = needlelog("backup", "--db", str(chart), "--user", "admin", home=home, **password)
    assert backed.returncode == 0, backed.stderr
    assert said(backed).startswith(f"backed up {chart} to ") and "checked ok" in said(backed)
    copies = sorted((tmp_path / "clinic-backups").glob("clinic-*.sqlite"))
    assert len(copies) == 1 and unreadable_without_key(copies[0])
    assert cipher.side_file(copies[0]).read_bytes() == cipher.side_file(chart).read_bytes()
    copy_checked = needlelog("check", "--db", str(copies[0]), "--user", "admin", home=home, **password)
    assert copy_checked.returncode == 0, copy_checked.stderr
    recovered = needlelog(
        "check", "--db", str(copies[0]), home=home, NEEDLELOG_RECOVERY_KEY=encrypted_seeded[2]
    )  # every password lost: the recovery key opens it
    assert recovered.returncode == 0 and "seals verified" in said(recovered), recovered.stderr
    upgraded = needlelog("db", "upgrade", "--db", str(chart), "--user", "admin", home=home, **password)
    assert upgraded.returncode == 0 and said(upgraded).startswith("schema already at"), upgraded.stderr


def test_restore_with_user_and_damage_found_by_check(chart: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    password = {"NEEDLELOG_PASSWORD": ADMIN_PASSWORD}
    assert needlelog("backup", "--db", str(chart), "--user", "admin", home=home, **password).returncode == 0
    copy = next((tmp_path / "clinic-backups").glob("clinic-*.sqlite"))
    size = chart.stat().st_size
    with chart.open("r+b") as handle:
        handle.seek(size // cipher.PAGE_SIZE // 2 * cipher.PAGE_SIZE + 300)
        handle.write(b"\x5a" * 32)
    checked = needlelog("check", "--db", str(chart), "--user", "admin", home=home, **password)
    assert checked.returncode == 1, checked.stderr
    assert "damaged" in checked.stderr and "Traceback" not in checked.stderr
    assert f"needlelog restore --db {chart} {copy} --user NAME" in checked.stderr
    restored = needlelog("restore", "--db", str(chart), str(copy), "--user", "admin", home=home, **password)
    assert restored.returncode == 0, restored.stderr
    assert said(restored).startswith(f"restored {chart} from {copy}")
    again = needlelog("check", "--db", str(chart), "--user", "admin", home=home, **password)
    assert again.returncode == 0, again.stderr


def test_restore_with_the_recovery_key_when_every_password_is_lost(
    chart: Path, tmp_path: Path, encrypted_seeded: tuple[Path, bytes, str]
) -> None:
    home = tmp_path / "home"
    taken = needlelog("backup", "--db", str(chart), "--user", "admin", home=home, NEEDLELOG_PASSWORD=ADMIN_PASSWORD)
    assert taken.returncode == 0, taken.stderr
    copy = next((tmp_path / "clinic-backups").glob("clinic-*.sqlite"))
    chart.unlink()  # lost, with every password
    refused = needlelog("restore", "--db", str(chart), copy.name, home=home, NEEDLELOG_RECOVERY_KEY="not-the-key")
    assert refused.returncode == 2 and "recovery key" in said(refused).lower()
    restored = needlelog(
        "restore", "--db", str(chart), copy.name, home=home, NEEDLELOG_RECOVERY_KEY=encrypted_seeded[2]
    )
    assert restored.returncode == 0, restored.stderr
    assert unreadable_without_key(chart) and cipher.side_file(chart).is_file()
    with_key = needlelog("check", "--db", str(chart), home=home, NEEDLELOG_RECOVERY_KEY=encrypted_seeded[2])
    assert with_key.returncode == 0 and "encrypted; seals verified" in said(with_key), with_key.stderr


PG_URL = os.environ.get("NEEDLELOG_TEST_PG_URL")


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="NEEDLELOG_TEST_PG_URL is not set")
def test_migrate_to_moves_an_encrypted_chart_to_the_server_with_user(chart: Path, tmp_path: Path) -> None:
    from needlelog.db import chart_copy
    from needlelog.db.engine import open_engine
    from tests.pg_server import fresh_database

    assert PG_URL
    home = tmp_path / "home"
    before = chart.read_bytes()
    with fresh_database(PG_URL) as server:
        refused = needlelog("migrate-to", "--db", str(chart), "--to", server.url, home=home)
        assert refused.returncode == 2 and said(refused) == ENCRYPTED
        moved = needlelog(
            "migrate-to", "--db", str(chart), "--to", server.url, "--user", "admin", home=home,
            NEEDLELOG_PASSWORD=ADMIN_PASSWORD,
        )  # fmt: skip
        assert moved.returncode == 0, moved.stderr
        assert "verified: every table's count" in moved.stdout.splitlines()[-1]
        writer = open_engine(server.url)
        try:
            counts = chart_copy.row_counts(writer)
        finally:
            writer.dispose()
        assert counts["treatment_session"] == 30 and counts["patient"] == 4
    assert chart.read_bytes() == before  # only read
