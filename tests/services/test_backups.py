"""Backups, restores and damaged charts on real SQLite files (issue 12, items 1-3 and 7, and the drill).

Each test works on its own chart copied from the migrated template, in its own folder; a damaged chart
is made the way a disk makes one: bytes overwritten in the middle of the file.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest

from needlelog.db import migrate
from needlelog.domain.backup_schedule import copies_to_keep
from needlelog.domain.errors import StorageError
from needlelog.domain.rules import fingerprint
from needlelog.domain.vocab import SessionStatus
from needlelog.services import backup_files, backups, restoring
from needlelog.services.backups import (
    choose_backup_folder,
    default_backup_folder,
    inspect_chart,
    list_backups,
    newest_good_backup,
    recover_at_start,
    refuse_damaged,
    restore,
    set_aside_damaged,
    take_backup,
)
from needlelog.services.seeding import seed_chart
from needlelog.services.store import check_database, engine_at_head, open_chart
from tests.conftest import NOW, TEST_HASHER, TEST_WRAPPING, FakeClock, make_patient

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def audit_rows(path: Path) -> list[tuple[str, str]]:
    with closing(sqlite3.connect(path)) as raw:
        return raw.execute("SELECT action, detail FROM audit_log ORDER BY id").fetchall()


def patient_count(path: Path) -> int:
    with closing(sqlite3.connect(path)) as raw:
        return int(raw.execute("SELECT COUNT(*) FROM patient").fetchone()[0])


def add_patient(path: Path, clock: FakeClock, chart_number: str) -> None:
    """A change made through the program (audited like every use case)."""
    chart = open_chart(path, clock=clock, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    try:
        chart.patients.create(make_patient(chart_number))
    finally:
        chart.close()


def damage(path: Path, pages: int = 4) -> None:
    """Overwrite ``pages`` pages in the middle of the file with garbage, as a failing disk would."""
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek((size // 2) // 4096 * 4096)
        handle.write(bytes((i * 37 + 11) % 256 for i in range(4096 * pages)))


def seeded_chart(path: Path, patients: int = 6, sessions: int = 40) -> None:
    engine = engine_at_head(path)
    try:
        seed_chart(engine, patients, sessions, seed=3, now=NOW, workers=1)
    finally:
        engine.dispose()


def signed_notes_verify(path: Path) -> int:
    """Every signed note's fingerprint recomputed from what the chart reads back; returns how many."""
    chart = open_chart(path, clock=FakeClock(NOW), hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    try:
        signers = {c.id: c for c in chart.clinic.clinicians()}
        count = 0
        for summary in chart.patients.search("", limit=500):
            patient = chart.patients.get(summary.id)
            for row in chart.sessions.history(summary.id, limit=500):
                note = chart.sessions.get(row.id)
                if note.status is not SessionStatus.SIGNED:
                    continue
                assert note.signed_at is not None and note.signed_by_id is not None
                assert fingerprint(note, patient, signers[note.signed_by_id], note.signed_at) == note.fingerprint
                count += 1
        return count
    finally:
        chart.close()


# --- taking copies ---------------------------------------------------------------------------


def test_a_backup_is_a_checked_owner_only_copy_and_is_audited(db_path: Path, clock: FakeClock) -> None:
    add_patient(db_path, clock, "C1")
    info = take_backup(db_path, clock=clock, reason="after changes")
    assert info is not None and info.good
    assert info.path.parent == default_backup_folder(db_path) == db_path.with_name("chart-backups")
    assert info.taken_at == NOW and info.size_bytes == info.path.stat().st_size
    assert stat.S_IMODE(info.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(info.path.parent.stat().st_mode) == 0o700
    assert sorted(p.name for p in info.path.parent.iterdir()) == [info.path.name]  # no side file, no partial
    assert patient_count(info.path) == 1
    action, detail = audit_rows(db_path)[-1]
    assert action == "backup" and info.path.name in detail and "checked ok; after changes" in detail
    assert check_database(db_path) == []  # the chain holds with the backup row in it
    assert check_database(info.path) == []


def test_an_unchanged_chart_is_skipped_and_its_own_audit_row_is_no_change(db_path: Path, clock: FakeClock) -> None:
    first = take_backup(db_path, clock=clock)
    assert first is not None
    clock.advance(hours=2)
    assert take_backup(db_path, clock=clock) is None  # the backup row written by the first copy is not a change
    assert [p.path for p in list_backups(first.path.parent)] == [first.path]
    add_patient(db_path, clock, "C2")
    clock.advance(minutes=1)
    second = take_backup(db_path, clock=clock)
    assert second is not None and second.path != first.path
    assert [i.path for i in list_backups(first.path.parent)] == [second.path]  # the day's newest copy is kept
    clock.advance(days=1)
    add_patient(db_path, clock, "C3")
    third = take_backup(db_path, clock=clock)
    assert third is not None
    assert [i.path for i in list_backups(first.path.parent)] == [third.path, second.path]  # newest first


def test_copies_within_one_second_are_numbered_and_the_last_is_the_newest(db_path: Path, clock: FakeClock) -> None:
    """A clock that does not move (or a fast clinic): the third copy of one second is the newest, and a
    chart unchanged since it is skipped."""
    made = []
    for chart_number in ("S1", "S2", "S3"):
        add_patient(db_path, clock, chart_number)
        info = take_backup(db_path, clock=clock)
        assert info is not None
        made.append(info.path.name)
    assert made == [
        "chart-20260310T163000Z.sqlite",
        "chart-20260310T163000Z-2.sqlite",
        "chart-20260310T163000Z-3.sqlite",
    ]
    assert [i.path.name for i in list_backups(default_backup_folder(db_path))] == made[::-1]
    assert take_backup(db_path, clock=clock) is None


def test_a_copy_into_another_folder_is_not_skipped_because_of_the_first(
    db_path: Path, clock: FakeClock, tmp_path: Path
) -> None:
    assert take_backup(db_path, clock=clock) is not None
    other = tmp_path / "usb" / "needlelog"
    info = take_backup(db_path, other, clock=clock)
    assert info is not None and info.path.parent == other
    assert stat.S_IMODE(other.stat().st_mode) == 0o700


@pytest.mark.timeout(60)
def test_copies_are_thinned_to_12_daily_10_weekly_9_monthly(db_path: Path, clock: FakeClock) -> None:
    """A changed copy every fourth day (two on some days) for 14 months: the folder keeps the rule's copies,
    never more than 31."""
    folder = default_backup_folder(db_path)
    made = []
    chart = open_chart(db_path, clock=clock, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    try:
        for day in range(0, 420, 4):
            for hour in (0, 8) if day % 20 == 0 else (0,):
                clock.now = NOW + timedelta(days=day, hours=hour)
                chart.patients.create(make_patient(f"T{day}-{hour}"))
                info = take_backup(db_path, folder, clock=clock)
                assert info is not None
                made.append(info.taken_at)
            assert len(list(folder.iterdir())) <= 31
    finally:
        chart.close()
    kept = [i.taken_at for i in list_backups(folder)]
    assert set(kept) == copies_to_keep(made)
    assert max(made) in kept and len(kept) <= 31
    assert len({k.astimezone().date() for k in kept}) == len(kept)  # one copy a day at most
    assert all(i.good for i in list_backups(folder))


def test_two_charts_of_one_name_sharing_a_folder_do_not_thin_each_others_copies(
    db_path: Path, clock: FakeClock, template_db: Path, tmp_path: Path
) -> None:
    """Two PCs, each with its own needlelog.sqlite, backed up to one shared folder for a month."""
    shared = tmp_path / "nas" / "needlelog"
    first, second = tmp_path / "pc1" / "chart.sqlite", tmp_path / "pc2" / "chart.sqlite"
    for path in (first, second):
        path.parent.mkdir()
        shutil.copyfile(template_db, path)
    made: dict[Path, list[Path]] = {first: [], second: []}
    for day in range(30):
        for path in (first, second):
            clock.now = NOW + timedelta(days=day, minutes=1 if path == second else 0)
            add_patient(path, clock, f"D{day}")
            info = take_backup(path, shared, clock=clock)
            assert info is not None
            made[path].append(info.path)
    on_disk = {p.name for p in shared.iterdir()}
    for path in (first, second):
        kept = [p for p in made[path] if p.name in on_disk]
        assert made[path][-1] in kept and 12 <= len(kept) <= 31  # each chart its own 12 days and more
    assert len(on_disk) == sum(len([p for p in made[c] if p.name in on_disk]) for c in made)


def test_a_damaged_chart_is_not_backed_up_and_earlier_copies_stay(db_path: Path, clock: FakeClock) -> None:
    seeded_chart(db_path)
    first = take_backup(db_path, clock=clock)
    assert first is not None
    add_patient(db_path, clock, "C3")
    damage(db_path)
    clock.advance(hours=1)
    with pytest.raises(StorageError, match="malformed") as refused:
        take_backup(db_path, clock=clock)
    # Where the garbage lands decides which check finds it: reading the chart, or checking the copy; either way
    # no copy is kept and the earlier ones stay (the page it hits moves whenever the schema adds a table).
    said = str(refused.value)
    assert "\n" not in said and ("earlier backups are untouched" in said or "no copy was kept" in said)
    assert [p.name for p in first.path.parent.iterdir()] == [first.path.name]
    assert newest_good_backup(first.path.parent) == first


def test_the_backup_folder_is_a_setting_of_this_pc(db_path: Path, tmp_path: Path) -> None:
    assert backups.backup_folder(db_path) == default_backup_folder(db_path)
    chosen = choose_backup_folder(db_path, tmp_path / "elsewhere")
    assert chosen == tmp_path / "elsewhere" == backups.backup_folder(db_path)
    settings = tmp_path / "home" / "backup-folders.json"
    assert stat.S_IMODE(settings.stat().st_mode) == 0o600
    assert backups.backup_folder(tmp_path / "other.sqlite") == default_backup_folder(tmp_path / "other.sqlite")
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(StorageError, match="is a file; choose a folder"):
        choose_backup_folder(db_path, tmp_path / "a-file")
    with pytest.raises(StorageError, match="is a file; choose a folder"):
        take_backup(db_path, db_path)
    assert choose_backup_folder(db_path, None) == default_backup_folder(db_path)


# --- restoring -------------------------------------------------------------------------------


def test_restore_brings_the_copy_back_keeps_the_chart_aside_and_is_audited(db_path: Path, clock: FakeClock) -> None:
    add_patient(db_path, clock, "C1")
    first = take_backup(db_path, clock=clock)
    assert first is not None
    add_patient(db_path, clock, "C2")
    clock.advance(hours=3)
    result = restore(db_path, first.path, clock=clock)
    assert patient_count(db_path) == 1
    assert result.aside is not None and patient_count(result.aside) == 2  # what was charted since is kept
    assert result.taken_at == NOW and result.migrated_from is None
    action, detail = audit_rows(db_path)[-1]
    assert action == "restore" and first.path.name in detail and result.aside.name in detail
    assert check_database(db_path) == [] and check_database(result.aside) == []
    assert first.path.exists() and check_database(first.path) == []  # the backup itself is untouched
    assert not [p for p in db_path.parent.iterdir() if ".restoring" in p.name or p.name.startswith(".restore")]
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


def _same_bytes(path: Path) -> bytes:
    return path.read_bytes()


@pytest.mark.parametrize("kind", ["damaged", "not a chart", "newer", "missing", "itself"])
def test_restore_refuses_a_bad_backup_and_leaves_the_chart_as_it_was(
    db_path: Path, clock: FakeClock, tmp_path: Path, kind: str
) -> None:
    add_patient(db_path, clock, "C1")
    first = take_backup(db_path, clock=clock)
    assert first is not None
    bad = first.path
    if kind == "damaged":
        seeded_chart(db_path)
        clock.advance(hours=1)
        good = take_backup(db_path, clock=clock)
        assert good is not None
        damage(good.path)
        bad = good.path
    elif kind == "not a chart":
        bad = tmp_path / "letter.sqlite"
        bad.write_text("Dear clinic, " * 400)
    elif kind == "newer":
        with closing(sqlite3.connect(bad)) as raw, raw:
            raw.execute("UPDATE alembic_version SET version_num = 'ffff'")
    elif kind == "missing":
        bad = tmp_path / "nothing-here.sqlite"
    else:
        bad = db_path
    before = _same_bytes(db_path)
    with pytest.raises(StorageError) as refused:
        restore(db_path, bad, clock=clock)
    assert "\n" not in str(refused.value)
    assert _same_bytes(db_path) == before
    assert sorted(p.name for p in db_path.parent.iterdir() if p.name.startswith("chart")) == [
        "chart-backups",
        "chart.sqlite",
    ]


def test_a_restore_that_fails_at_the_swap_rolls_back(
    db_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_patient(db_path, clock, "C1")
    first = take_backup(db_path, clock=clock)
    assert first is not None
    add_patient(db_path, clock, "C2")
    engine = engine_at_head(db_path)  # keep a write-ahead log beside the chart, as a running program does
    Path(f"{db_path}-wal").touch()
    names = sorted(p.name for p in db_path.parent.iterdir())

    def refuse(source: object, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(restoring.os, "replace", refuse)
    with pytest.raises(StorageError, match="is full"):
        restore(db_path, first.path, clock=clock)
    monkeypatch.undo()
    engine.dispose()
    assert patient_count(db_path) == 2 and check_database(db_path) == []
    assert sorted(p.name for p in db_path.parent.iterdir() if not p.name.endswith("-shm")) == [
        n for n in names if not n.endswith("-shm")
    ]


def test_a_chart_open_in_another_program_is_not_restored_under_it(db_path: Path, clock: FakeClock) -> None:
    """Another process with the chart open would go on writing into the file kept aside: refused, in words."""
    first = take_backup(db_path, clock=clock)
    assert first is not None
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys\n"
            "c = sqlite3.connect(sys.argv[1])\n"
            "c.execute('SELECT COUNT(*) FROM patient').fetchone()\n"
            "print('open', flush=True)\n"
            "sys.stdin.readline()\n",
            str(db_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        before = db_path.read_bytes()
        with pytest.raises(StorageError, match="open in another needlelog window or program; close it there"):
            restore(db_path, first.path, clock=clock)
        assert db_path.read_bytes() == before
    finally:
        holder.communicate("\n", timeout=30)
    assert restore(db_path, first.path, clock=clock).aside is not None  # closed: now it goes


def test_an_old_schema_backup_is_upgraded_on_restore_with_its_fingerprints(db_path: Path, clock: FakeClock) -> None:
    """Item 7: a copy made by schema 0005 (the committed fixture) restores at head, every signed note intact."""
    old = db_path.with_name("schema-0005.sqlite")
    shutil.copyfile(FIXTURES / "schema-0005.sqlite", old)
    result = restore(db_path, old, clock=clock)
    assert result.migrated_from == "0005"
    assert check_database(db_path) == []
    assert signed_notes_verify(db_path) == result.signed_notes > 0
    assert audit_rows(db_path)[-1][0] == "restore"
    assert not [p for p in db_path.parent.iterdir() if "before-upgrade" in p.name or p.name.startswith(".restore")]


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("schema-*.sqlite")), ids=lambda p: p.stem)
def test_every_released_schema_restores_and_checks(fixture: Path, db_path: Path, clock: FakeClock) -> None:
    old = db_path.with_name(fixture.name)
    shutil.copyfile(fixture, old)
    result = restore(db_path, old, clock=clock)
    assert result.migrated_from == (None if fixture.stem.endswith(migrate.HEAD) else fixture.stem[-4:])
    assert check_database(db_path) == []


# --- a damaged chart at start-up -------------------------------------------------------------


def test_inspect_names_damage_read_only_and_finds_nothing_wrong_with_a_sound_or_new_chart(
    db_path: Path, tmp_path: Path
) -> None:
    assert inspect_chart(db_path) == []
    assert inspect_chart(tmp_path / "not-yet.sqlite") == []
    (tmp_path / "empty.sqlite").touch()
    assert inspect_chart(tmp_path / "empty.sqlite") == []
    seeded_chart(db_path)
    damage(db_path)
    before = db_path.read_bytes()
    problems = inspect_chart(db_path)
    assert problems and all("\n" not in p for p in problems)
    assert db_path.read_bytes() == before  # read only: not a byte written
    assert check_database(db_path) == problems


@pytest.mark.parametrize("edit", ["changed", "removed"])
def test_an_edited_audit_trail_is_damage_found_at_start_up(db_path: Path, clock: FakeClock, edit: str) -> None:
    for number in ("A1", "A2", "A3"):
        add_patient(db_path, clock, number)
    with closing(sqlite3.connect(db_path)) as raw, raw:
        raw.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        raw.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        triggers = [r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
        for name in triggers:
            if "audit" in name:
                raw.execute(f'DROP TRIGGER "{name}"')
        if edit == "changed":
            raw.execute("UPDATE audit_log SET detail = 'nothing to see' WHERE id = 2")
        else:
            raw.execute("DELETE FROM audit_log WHERE id = 2")
    problems = inspect_chart(db_path)
    why = "was changed after it was written" if edit == "changed" else "does not follow the row before it"
    assert len(problems) == 1 and problems[0].startswith("audit trail: row ") and why in problems[0]


def _drop_audit_triggers(raw: sqlite3.Connection) -> None:
    for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        if "audit" in name:
            raw.execute(f'DROP TRIGGER "{name}"')


def test_start_up_walks_the_trail_on_from_the_row_it_verified_last(db_path: Path, clock: FakeClock) -> None:
    """Millions of audit rows in ten years: start-up checks the rows added since the newest one it verified."""
    for number in ("M1", "M2"):
        add_patient(db_path, clock, number)
    assert inspect_chart(db_path) == []
    with closing(sqlite3.connect(db_path)) as raw:
        newest = raw.execute("SELECT id, row_hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    assert backup_files.remembered_mark(db_path) == tuple(newest)
    for number in ("M3", "M4"):
        add_patient(db_path, clock, number)
    with closing(sqlite3.connect(db_path)) as raw, raw:
        _drop_audit_triggers(raw)
        raw.execute("UPDATE audit_log SET detail = 'changed' WHERE id = ?", (newest[0] + 1,))
    problems = inspect_chart(db_path)
    assert len(problems) == 1 and f"row {newest[0] + 1} " in problems[0]
    assert backup_files.remembered_mark(db_path) == tuple(newest)  # a failed walk moves no mark


def test_a_trail_that_is_not_the_one_verified_is_walked_whole(db_path: Path, clock: FakeClock) -> None:
    """A mark the file does not hold (a chart restored or replaced since) counts for nothing."""
    for number in ("W1", "W2", "W3"):
        add_patient(db_path, clock, number)
    backup_files.remember_mark(db_path, (3, "f" * 64))
    with closing(sqlite3.connect(db_path)) as raw, raw:
        _drop_audit_triggers(raw)
        raw.execute("UPDATE audit_log SET detail = 'changed' WHERE id = 1")
    problems = inspect_chart(db_path)
    assert len(problems) == 1 and problems[0].startswith("audit trail: row 1 ")
    assert check_database(db_path) == problems  # `check` always walks the whole trail


def test_a_command_that_writes_can_refuse_a_damaged_chart_first(db_path: Path) -> None:
    refuse_damaged(db_path)  # sound: passes
    seeded_chart(db_path)
    damage(db_path)
    before = db_path.read_bytes()
    with pytest.raises(StorageError, match=r"is damaged \(.*\); it was not opened: `needlelog check --db"):
        refuse_damaged(db_path)
    assert db_path.read_bytes() == before


def test_a_bad_byte_in_the_schema_itself_is_named_not_raised(db_path: Path, clock: FakeClock) -> None:
    """SQLite's own error message then quotes bytes that are not text: still damage in words."""
    data = bytearray(db_path.read_bytes())
    at = data.find(b"CREATE TABLE needle_lot")
    assert at > 0
    data[at + 13] = 0xFF
    db_path.write_bytes(bytes(data))
    problems = inspect_chart(db_path)
    assert problems and problems[0].startswith("the file is damaged")
    assert check_database(db_path) == problems
    with pytest.raises(StorageError, match="damaged"):
        take_backup(db_path, clock=clock)
    with pytest.raises(StorageError, match="cannot be restored: the file is damaged"):
        restore(db_path.with_name("other.sqlite"), db_path, clock=clock)


def test_scattered_bad_bytes_in_the_audit_trail_are_named_not_raised(db_path: Path, clock: FakeClock) -> None:
    add_patient(db_path, clock, "BADBYTES")
    data = bytearray(db_path.read_bytes())
    at = data.find(b"BADBYTES")
    assert at > 0
    data[at : at + 2] = b"\xff\xfe"  # not UTF-8: a reader that decodes strictly raises
    db_path.write_bytes(bytes(data))
    problems = check_database(db_path)
    assert problems  # the patient's row no longer matches what its audit row or index says
    assert isinstance(inspect_chart(db_path), list)


def test_a_chart_left_with_a_hot_journal_is_not_called_damaged(db_path: Path, tmp_path: Path) -> None:
    """A program killed in the middle of a write leaves a rollback journal that only a writer can roll back;
    the read-only look checks a rolled-back copy instead, and the chart is not touched."""
    with closing(sqlite3.connect(db_path)) as raw:
        raw.execute("PRAGMA journal_mode = DELETE")
    killed = (
        "import os, sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('PRAGMA cache_size = 1')\n"
        "c.execute('BEGIN')\n"
        "c.executemany('INSERT INTO needle_lot (brand, size, lot, expiry, added_at) VALUES (?, ?, ?, ?, ?)',"
        " [('b', '0.25x30', f'L{i}', '2030-01-01', '2026-01-01 00:00:00') for i in range(3000)])\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", killed, str(db_path)], check=True, timeout=60)
    journal = Path(f"{db_path}-journal")
    assert journal.exists() and journal.stat().st_size > 0
    before = db_path.read_bytes(), journal.read_bytes()
    assert inspect_chart(db_path) == []
    assert check_database(db_path) == []
    assert (db_path.read_bytes(), journal.read_bytes()) == before


def test_a_damaged_chart_is_set_aside_with_its_side_files_never_deleted(db_path: Path, clock: FakeClock) -> None:
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{db_path}{suffix}").write_bytes(suffix.encode())
    content = db_path.read_bytes()
    aside = set_aside_damaged(db_path, clock=clock)
    assert aside.name == "chart.sqlite.20260310T163000Z.damaged"
    assert aside.read_bytes() == content and not db_path.exists()
    for suffix in ("-wal", "-shm", "-journal"):
        assert Path(f"{aside}{suffix}").read_bytes() == suffix.encode()
        assert not Path(f"{db_path}{suffix}").exists()
    db_path.write_bytes(content)
    again = set_aside_damaged(db_path, clock=clock)  # the same second: a second name, the first kept
    assert again != aside and aside.exists() and again.exists()


@pytest.mark.timeout(60)
def test_drill_seed_back_up_damage_start_restored_and_every_fingerprint_verifies(
    db_path: Path, clock: FakeClock
) -> None:
    """The backup / restore drill (issue 12, "Done when"), at the service level."""
    seeded_chart(db_path, patients=12, sessions=120)
    signed = signed_notes_verify(db_path)
    assert signed > 50
    info = take_backup(db_path, clock=clock, reason="drill")
    assert info is not None and info.signed_notes == signed
    clock.advance(hours=5)
    damage(db_path)
    recovery = recover_at_start(db_path, clock=clock)
    assert recovery is not None and recovery.problems
    assert recovery.damaged.exists() and recovery.damaged.name.endswith(".damaged")
    assert inspect_chart(recovery.damaged) == recovery.problems  # kept as it was found
    assert recovery.restored is not None and recovery.restored.backup == info.path
    assert recovery.restored.aside is None  # the damaged file was already aside
    assert inspect_chart(db_path) == [] and check_database(db_path) == []
    assert signed_notes_verify(db_path) == signed
    action, detail = audit_rows(db_path)[-1]
    assert action == "restore" and info.path.name in detail
    assert recover_at_start(db_path, clock=clock) is None  # the next start finds it sound


def test_a_damaged_chart_without_a_backup_is_still_set_aside(db_path: Path, clock: FakeClock) -> None:
    seeded_chart(db_path)
    damage(db_path)
    recovery = recover_at_start(db_path, clock=clock)
    assert recovery is not None and recovery.restored is None
    assert recovery.damaged.exists() and not db_path.exists()


# --- a full disk -----------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 300 KB file system mounted for the test (tmpfs; needs root, else the test is skipped)."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a size-limited folder needs root to mount tmpfs")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(mount)], check=False)
    if made.returncode != 0:
        pytest.skip("tmpfs cannot be mounted here")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_during_backup_leaves_the_chart_and_earlier_copies_intact(
    db_path: Path, clock: FakeClock, small_disk: Path
) -> None:
    seeded_chart(db_path)  # about 190 KB: one copy fits in 300 KB, two do not
    first = take_backup(db_path, small_disk, clock=clock)
    assert first is not None
    add_patient(db_path, clock, "C9")
    clock.advance(hours=1)
    before = db_path.read_bytes()
    with pytest.raises(StorageError, match="is full") as full:
        take_backup(db_path, small_disk, clock=clock)
    assert "untouched" in str(full.value)
    assert [p.name for p in small_disk.iterdir()] == [first.path.name]  # no partial copy left behind
    assert newest_good_backup(small_disk) == first
    assert db_path.read_bytes() == before and check_database(db_path) == []


def test_a_full_disk_during_restore_leaves_the_chart_as_it_was(
    db_path: Path, clock: FakeClock, small_disk: Path
) -> None:
    """The chart's own folder is full: the staged copy cannot be written, nothing is swapped, nothing is left."""
    seeded_chart(db_path)
    first = take_backup(db_path, clock=clock)
    assert first is not None
    chart = small_disk / "chart.sqlite"
    shutil.copyfile(db_path, chart)  # about 190 KB of 300 KB: a second copy beside it does not fit
    before = chart.read_bytes()
    with pytest.raises(StorageError, match="is full") as full:
        restore(chart, first.path, clock=clock)
    assert "the chart is untouched" in str(full.value)
    assert chart.read_bytes() == before
    assert sorted(p.name for p in small_disk.iterdir()) == ["chart.sqlite"]
