"""Backups, restores and damage of an encrypted chart (issue 13, item 1: the chart encrypted at rest, its files).

Real SQLCipher files made from a seeded chart with the program's own ``encrypt_copy``; every copy is checked to
be unreadable with the standard library's sqlite3 and to open with the chart's file key.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from needlelog.db import cipher, health, migrate, page_check, protections
from needlelog.db.page_check import EarlyPageCheck, PageCheck
from needlelog.domain.errors import StorageError
from needlelog.services.backups import (
    encrypt_plain_backups,
    inspect_chart,
    list_backups,
    newest_good_backup,
    recover_at_start,
    restore,
    take_backup,
)
from tests.cipher_util import encrypt_in_place, random_file_key, unreadable_without_key
from tests.conftest import NOW, FakeClock
from tests.services.test_backups import seeded_chart

SIDE = b'{"wrapped": "the chart key, wrapped for each account"}'


@pytest.fixture
def plain_seeded(db_path: Path) -> Path:
    seeded_chart(db_path, patients=3, sessions=20)
    return db_path


@pytest.fixture
def encrypted(plain_seeded: Path) -> Iterator[tuple[Path, bytes]]:
    """A seeded chart encrypted in place, with its side file of wrapped keys beside it."""
    key = random_file_key()
    encrypt_in_place(plain_seeded, key)
    cipher.side_file(plain_seeded).write_bytes(SIDE)
    cipher.side_file(plain_seeded).chmod(0o600)
    yield plain_seeded, key


def count(path: Path, key: bytes, table: str) -> int:
    with closing(cipher.raw_connect(path, key, readonly=True)) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def add_patient(path: Path, key: bytes, chart_number: str) -> None:
    """A change to the chart: a copy of its first patient under another chart number (plain SQL, keyed)."""
    with closing(cipher.raw_connect(path, key)) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(patient)") if row[1] not in ("id", "chart_number")]
        listed = ", ".join(columns)
        conn.execute(
            f"INSERT INTO patient (chart_number, {listed}) SELECT ?, {listed} FROM patient ORDER BY id LIMIT 1",
            (chart_number,),
        )
        conn.commit()


def flip_page(path: Path, page: int) -> None:
    with path.open("r+b") as handle:
        handle.seek(page * cipher.PAGE_SIZE + 200)
        handle.write(b"\xa5" * 16)


def test_the_backup_of_an_encrypted_chart_is_encrypted_with_its_key_and_carries_its_side_file(
    encrypted: tuple[Path, bytes], clock: FakeClock
) -> None:
    chart, key = encrypted
    info = take_backup(chart, clock=clock, reason="after changes", key=key)
    assert info is not None and info.good and info.signed_notes > 0
    assert cipher.is_encrypted(info.path) and unreadable_without_key(info.path)
    assert count(info.path, key, "patient") == count(chart, key, "patient") == 3
    side = cipher.side_file(info.path)
    assert side.read_bytes() == SIDE and stat.S_IMODE(side.stat().st_mode) == 0o600
    assert sorted(p.name for p in info.path.parent.iterdir()) == sorted([info.path.name, side.name])
    with closing(cipher.raw_connect(chart, key, readonly=True)) as conn:
        action, detail = conn.execute("SELECT action, detail FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    assert action == "backup" and info.path.name in detail
    assert health.file_problems(chart, thorough=True, key=key) == []
    assert take_backup(chart, clock=clock, key=key) is None  # unchanged since: skipped, as a plain one is
    listed = list_backups(info.path.parent, chart, key)
    assert [b.good for b in listed] == [True]
    assert not list_backups(info.path.parent, chart)[0].good  # without the key it cannot be checked
    assert not list_backups(info.path.parent, chart, random_file_key())[0].good
    assert "another key" in list_backups(info.path.parent, chart, random_file_key())[0].check


def test_an_encrypted_backup_restores_with_its_side_file_and_the_chart_kept_aside(
    encrypted: tuple[Path, bytes], clock: FakeClock
) -> None:
    chart, key = encrypted
    info = take_backup(chart, clock=clock, key=key)
    assert info is not None
    add_patient(chart, key, "LATER")
    cipher.side_file(chart).write_bytes(b"the chart's own, newer")
    clock.advance(hours=1)
    result = restore(chart, info.path, clock=clock, key=key)
    assert cipher.is_encrypted(chart) and unreadable_without_key(chart)
    assert count(chart, key, "patient") == 3  # the later patient went with the chart set aside
    assert result.aside is not None and count(result.aside, key, "patient") == 4
    assert cipher.side_file(chart).read_bytes() == SIDE
    assert cipher.side_file(result.aside).read_bytes() == b"the chart's own, newer"
    assert result.signed_notes == info.signed_notes
    assert health.file_problems(chart, thorough=True, key=key) == []
    with closing(cipher.raw_connect(chart, key, readonly=True)) as conn:
        assert conn.execute("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()[0] == "restore"


def test_a_backup_encrypted_with_another_key_is_refused_in_words_and_nothing_changes(
    encrypted: tuple[Path, bytes], clock: FakeClock
) -> None:
    chart, key = encrypted
    info = take_backup(chart, clock=clock, key=key)
    assert info is not None
    before = chart.read_bytes()
    with pytest.raises(StorageError, match="encrypted with another key than the one given"):
        restore(chart, info.path, clock=clock, key=random_file_key())
    with pytest.raises(StorageError, match="is encrypted: sign in to restore it"):
        restore(chart, info.path, clock=clock)
    assert chart.read_bytes() == before
    assert sorted(p.name for p in chart.parent.iterdir() if p.name.startswith(".")) == []


def test_damage_in_an_encrypted_chart_is_found_and_the_newest_good_backup_restored(
    encrypted: tuple[Path, bytes], clock: FakeClock
) -> None:
    chart, key = encrypted
    info = take_backup(chart, clock=clock, key=key)
    assert info is not None
    clock.advance(hours=2)
    flip_page(chart, chart.stat().st_size // cipher.PAGE_SIZE // 2)
    problems = inspect_chart(chart, key=key)
    assert problems and "damaged" in problems[0]
    found: list[list[str]] = []
    PageCheck(chart, found.append, key).join(timeout=15)
    assert found and "damaged" in found[0][0]
    with pytest.raises(cipher.WrongKeyError, match="another chart's key"):
        inspect_chart(chart, key=random_file_key())  # a wrong key is not damage: nothing is set aside
    assert chart.exists()
    recovery = recover_at_start(chart, clock=clock, key=key)
    assert recovery is not None and recovery.restored is not None and recovery.restored.backup == info.path
    assert recovery.damaged.exists() and cipher.side_file(recovery.damaged).read_bytes() == SIDE
    assert inspect_chart(chart, key=key) == [] and cipher.is_encrypted(chart)
    assert recover_at_start(chart, clock=clock, key=key) is None


def test_a_damaged_first_page_is_damage_not_a_wrong_key(encrypted: tuple[Path, bytes]) -> None:
    chart, key = encrypted
    flip_page(chart, 0)
    problems = inspect_chart(chart, key=key)
    assert problems and "page 1" in problems[0]
    with pytest.raises(StorageError, match="is damaged: its first page"):
        cipher.chart_engine(chart, key, read_only=True)


def test_the_page_checks_and_the_trigger_check_read_an_encrypted_chart_with_its_key(
    encrypted: tuple[Path, bytes],
) -> None:
    chart, key = encrypted
    early = EarlyPageCheck(chart, key)
    assert early.rows(chart, "integrity_check") == ["ok"]
    found: list[list[str]] = []
    check = PageCheck(chart, found.append, key)
    check.join(timeout=15)
    assert check.problems == [] and found == []
    assert protections.trigger_problems(chart, key) == []
    assert health.examine(chart, key=key)[1] == migrate.HEAD


def test_the_copy_before_an_upgrade_of_an_encrypted_chart_is_encrypted_too(
    encrypted: tuple[Path, bytes], tmp_path: Path
) -> None:
    chart, key = encrypted
    engine = cipher.open_encrypted(chart, key)
    try:
        copy = migrate.backup_before_upgrade(engine, "0013", tmp_path / "before", at=NOW)
    finally:
        engine.dispose()
    assert copy is not None and unreadable_without_key(copy)
    assert count(copy, key, "patient") == 3
    assert cipher.side_file(copy).read_bytes() == SIDE
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600


def test_plain_backups_are_encrypted_in_place_once_the_chart_is(plain_seeded: Path, clock: FakeClock) -> None:
    chart = plain_seeded
    first = take_backup(chart, clock=clock)
    assert first is not None and not cipher.is_encrypted(first.path)
    engine = cipher.chart_engine(chart, None)
    try:
        upgrade_copy = migrate.backup_before_upgrade(engine, "0013", first.path.parent, at=NOW)
    finally:
        engine.dispose()
    assert upgrade_copy is not None
    engine = cipher.chart_engine(chart, None)
    try:
        beside_chart = migrate.backup_before_upgrade(engine, "0012", None, at=NOW)  # its default place
    finally:
        engine.dispose()
    assert beside_chart is not None and beside_chart.parent == chart.parent
    kept_at_restore = chart.with_name(f"{chart.stem}.before-restore-20260310T163000Z{chart.suffix}")
    kept_at_restore.write_bytes(chart.read_bytes())
    key = random_file_key()
    encrypt_in_place(chart, key)
    cipher.side_file(chart).write_bytes(SIDE)
    done = encrypt_plain_backups(first.path.parent, key, chart)
    assert sorted(done) == sorted([first.path, upgrade_copy, beside_chart, kept_at_restore])
    for path in done:
        assert unreadable_without_key(path) and count(path, key, "patient") == 3
        assert cipher.side_file(path).read_bytes() == SIDE
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(first.path.parent.glob(".*partial"))
    good = newest_good_backup(first.path.parent, chart, key)
    assert good is not None and good.path == first.path
    assert encrypt_plain_backups(first.path.parent, key, chart) == []  # nothing plain is left
    clock.advance(days=1)
    assert take_backup(chart, clock=clock, key=key) is None  # the newest copy holds the chart as it is, encrypted
    add_patient(chart, key, "LATER")
    second = take_backup(chart, clock=clock, key=key)
    assert second is not None and cipher.is_encrypted(second.path) and count(second.path, key, "patient") == 4


def test_an_encrypted_chart_is_not_backed_up_without_its_key_nor_with_another(
    encrypted: tuple[Path, bytes], clock: FakeClock
) -> None:
    chart, _key = encrypted
    with pytest.raises(StorageError, match="is encrypted: its backup needs the key"):
        take_backup(chart, clock=clock)
    with pytest.raises(cipher.WrongKeyError, match="does not open with this key"):
        take_backup(chart, clock=clock, key=random_file_key())
    assert not list(chart.parent.glob("chart-backups/*.sqlite"))


def test_start_up_finds_an_encrypted_chart_cut_short_without_a_whole_page_check(
    encrypted: tuple[Path, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above the deferral size the program's start reads no page check before the window (issue 14): for an
    encrypted chart the page count is read through SQLCipher, its header being encrypted too."""
    chart, key = encrypted
    monkeypatch.setattr(page_check, "DEFER_ABOVE", 0)  # this small chart counts as a large one
    assert health.examine_from(chart, pages=False, key=key)[0] == []
    with chart.open("r+b") as handle:
        handle.truncate(chart.stat().st_size - 3 * cipher.PAGE_SIZE)
    problems = health.examine_from(chart, pages=False, key=key)[0]
    assert problems and "the file is damaged" in problems[0]
