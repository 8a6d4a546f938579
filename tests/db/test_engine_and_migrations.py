"""Storage: SQLite opened as a legal record deserves, migrations that never drift, refusals in words."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from needlelog.db import migrate
from needlelog.db.engine import open_engine, refuse_shared_location
from needlelog.db.models import Base
from needlelog.domain.errors import StorageError
from needlelog.services.store import engine_at_head


def test_models_and_migrations_do_not_drift(db_path: Path) -> None:
    engine = open_engine(db_path)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_known_revisions_are_the_scripts_in_order() -> None:
    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    ordered = [rev.revision for rev in reversed(list(scripts.walk_revisions()))]
    assert tuple(ordered) == migrate.KNOWN_REVISIONS
    assert scripts.get_current_head() == migrate.HEAD


def test_a_new_file_is_created_at_head_with_the_pragmas_and_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    engine = engine_at_head(path)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
    assert migrate.schema_revision(engine) == migrate.HEAD
    engine.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_newer_schema_is_refused_in_words(db_path: Path) -> None:
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StorageError, match="schema 9999, newer than this needlelog knows"):
        engine_at_head(db_path)


def test_a_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(StorageError, match="not a needlelog database"):
        engine_at_head(path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("this is a letter, not a database " * 100)
    with pytest.raises(StorageError, match=r"notes.txt is not a needlelog database"):
        open_engine(path)


def test_a_missing_folder_and_a_missing_file_are_named(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match=r"The folder .*nowhere does not exist"):
        open_engine(tmp_path / "nowhere" / "chart.sqlite")
    with pytest.raises(StorageError, match="There is no database at"):
        open_engine(tmp_path / "absent.sqlite", create=False)
    assert not (tmp_path / "absent.sqlite").exists()


def test_a_device_or_a_pipe_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    """/dev/null taken for a chart once left it owner-only (the program ran as root): a PostgreSQL server on the
    same PC could then not start. Neither a device nor a pipe is a chart, and neither is touched."""
    before = os.stat(os.devnull).st_mode
    with pytest.raises(StorageError, match=r"is a device or a pipe, not a database file"):
        open_engine(Path(os.devnull))
    assert os.stat(os.devnull).st_mode == before
    pipe = tmp_path / "chart.sqlite"
    os.mkfifo(pipe, 0o666)
    with pytest.raises(StorageError, match=r"chart.sqlite is a device or a pipe"):
        open_engine(pipe)
    assert stat.S_IMODE(pipe.stat().st_mode) == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


MOUNTS = [
    "/dev/sda1 / ext4 rw 0 0",
    "server:/export /mnt/clinic nfs4 rw 0 0",
    "//nas/share /mnt/nas cifs rw 0 0",
]


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/mnt/clinic/chart.sqlite", "network file system (nfs4)"),
        ("/mnt/nas/sub/chart.sqlite", "network file system (cifs)"),
        ("/home/ana/Dropbox/chart.sqlite", "cloud-sync folder (Dropbox)"),
        ("/home/ana/OneDrive/clinic/chart.sqlite", "cloud-sync folder (OneDrive)"),
        ("\\\\server\\share\\chart.sqlite", "network share"),
    ],
)
def test_network_and_cloud_folders_are_refused_with_a_pointer_to_postgresql(path: str, words: str) -> None:
    with pytest.raises(StorageError, match="PostgreSQL mode") as refused:
        refuse_shared_location(Path(path), MOUNTS)
    assert words in str(refused.value)


def test_a_local_disk_is_accepted() -> None:
    refuse_shared_location(Path("/home/ana/clinic/chart.sqlite"), MOUNTS)
    refuse_shared_location(Path("/mnt/clinicx/chart.sqlite"), MOUNTS)  # a prefix of a mount is not inside it


def test_an_upgrade_first_backs_up_the_old_file_beside_it(tmp_path: Path) -> None:
    old = tmp_path / "clinic.sqlite"
    shutil.copyfile(Path(__file__).resolve().parents[1] / "fixtures" / "schema-0001.sqlite", old)
    engine_at_head(old, clock=lambda: datetime(2025, 3, 1, 9, 30, tzinfo=UTC)).dispose()
    # stamped by the clock it was given, not the wall clock
    (copy,) = tmp_path.glob("clinic.before-upgrade-from-0001.20250301T093000Z.sqlite")
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    with sqlite3.connect(copy) as raw:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with sqlite3.connect(old) as raw:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchone() == (migrate.HEAD,)


def test_an_interrupted_first_migration_leaves_nothing_half_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "half.sqlite"
    engine = open_engine(path)

    def fail_late(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr("alembic.operations.base.BatchOperations.create_index", fail_late, raising=False)
    with pytest.raises(RuntimeError, match="power cut"):
        migrate.upgrade(engine, at=datetime(2025, 3, 1, tzinfo=UTC))
    monkeypatch.undo()
    assert migrate.schema_revision(engine) is None  # all or nothing: SQLite DDL is transactional
    migrate.upgrade(engine, at=datetime(2025, 3, 1, tzinfo=UTC))
    assert migrate.is_at_head(engine)
    engine.dispose()


def test_the_running_timer_index_is_partial_though_the_models_do_not_say_so(db_path: Path) -> None:
    """The WHERE clause lives in migration 0004 only: naming it in the models loaded every SQL dialect it
    names at each start-up (issue 14). The chart still gets the small partial index."""
    engine = engine_at_head(db_path)
    with engine.connect() as conn:
        sql = conn.execute(
            text("SELECT sql FROM sqlite_master WHERE name = 'ix_needling_site_running_timer'")
        ).scalar_one()
    engine.dispose()
    assert "WHERE timer_started_at IS NOT NULL AND timer_stopped_at IS NULL" in " ".join(sql.split())


def test_the_running_timers_are_read_through_their_partial_index(db_path: Path) -> None:
    """Not by the status index through every draft's sites (issue 14: 10,000 drafts at 500,000 sessions)."""
    from needlelog.db.sessions_repo import running_timers_query

    engine = engine_at_head(db_path)
    sql = str(running_timers_query().compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
    engine.dispose()
    assert "ix_needling_site_running_timer" in plan, plan
