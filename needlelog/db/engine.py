"""Opening a clinic's database: a SQLite file by default, any SQLAlchemy URL otherwise.

SQLite is opened the way a legal record deserves: WAL, ``synchronous=FULL``, foreign keys
on, a busy timeout, every transaction ``BEGIN IMMEDIATE`` (a writer waits its turn instead
of failing half-way) except a long read's snapshot (:func:`read_snapshot`), the file readable by
its owner only. A file on a network drive or in
a cloud-sync folder is refused: SQLite's locking is unreliable there (SQLite's own
documentation), and PostgreSQL mode is the way to share a chart between PCs.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterable
from pathlib import Path, PurePath
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    NoSuchModuleError,
    OperationalError,
)

from needlelog.domain.errors import StorageError

BUSY_TIMEOUT_MS = 10_000
SNAPSHOT = "needlelog_read_snapshot"  # execution option: begin a read-only transaction DEFERRED
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "9p",
        "afs",
        "ceph",
        "glusterfs",
        "davfs",
        "fuse.sshfs",
        "fuse.rclone",
        "fuse.davfs",
        "fuse.gvfsd-fuse",
    }
)
CLOUD_SYNC_FOLDERS = (
    "dropbox",
    "onedrive",
    "google drive",
    "googledrive",
    "icloud drive",
    "icloud",
    "box sync",
    "pcloud",
)
POSTGRES_HINT = "to share one chart between PCs, use PostgreSQL mode (--db postgresql://...)"


def is_url(target: str) -> bool:
    return "://" in target


def sqlite_path(url: URL) -> Path | None:
    """The file behind a SQLite URL, or None for another engine or an in-memory database."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def mount_type(path: Path, mounts: Iterable[str] | None = None) -> str | None:
    """The file-system type of the mount holding ``path`` (Linux ``/proc/self/mounts``)."""
    if mounts is None:
        try:
            mounts = Path("/proc/self/mounts").read_text().splitlines()
        except OSError:
            return None
    best, best_type = "", None
    target = str(path)
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        if (target == point or target.startswith(point.rstrip("/") + "/")) and len(point) >= len(best):
            best, best_type = point, parts[2]
    return best_type


def refuse_shared_location(path: Path, mounts: Iterable[str] | None = None) -> None:
    """Raise :class:`StorageError` when ``path`` lies where SQLite's locking cannot be trusted."""
    text = str(path)
    if text.startswith(("\\\\", "//")):
        raise StorageError(f"{path} is on a network share; SQLite files must be on a local disk: {POSTGRES_HINT}.")
    fs_type = mount_type(path, mounts)
    if fs_type in NETWORK_FILESYSTEMS:
        raise StorageError(
            f"{path} is on a network file system ({fs_type}); SQLite files must be on a local disk: {POSTGRES_HINT}."
        )
    for part in PurePath(text).parts[:-1]:
        if part.lower() in CLOUD_SYNC_FOLDERS:
            raise StorageError(
                f"{path} is in a cloud-sync folder ({part}), which can corrupt a SQLite file: "
                f"keep it on a local disk, or {POSTGRES_HINT}."
            )


def resolve_target(target: str | os.PathLike[str]) -> URL:
    """Turn ``--db`` (a path or a URL) into a URL, refusing what cannot work."""
    text = os.fspath(target)
    if is_url(text):
        try:
            url = make_url(text)
        except ArgumentError:
            raise StorageError(f"{text!r} is not a database URL.") from None
        path = sqlite_path(url)
        if path is None:
            return url
    else:
        path = Path(text).expanduser()
    path = path.absolute()
    if not path.parent.is_dir():
        raise StorageError(f"The folder {path.parent} does not exist.")
    if path.is_dir():
        raise StorageError(f"{path} is a folder, not a database file.")
    refuse_shared_location(path)
    return URL.create("sqlite+pysqlite", database=str(path))


def _owner_only(path: Path) -> None:
    if os.name != "posix":
        return
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            if candidate.exists() and stat.S_IMODE(candidate.stat().st_mode) != 0o600:
                candidate.chmod(0o600)
        except OSError:
            pass  # a file we do not own: the OS decides, as SPEC §4 allows


def _configure_sqlite(engine: Engine, path: Path | None) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide where transactions begin (SQLAlchemy's SQLite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if path is not None:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()
        if path is not None:
            _owner_only(path)

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # A read snapshot (a long export) begins DEFERRED: in WAL mode it then blocks no writer.
        snapshot = connection.get_execution_options().get(SNAPSHOT, False)
        connection.exec_driver_sql("BEGIN DEFERRED" if snapshot else "BEGIN IMMEDIATE")


def read_snapshot(engine: Engine) -> Engine:
    """The same engine for transactions that only read, for long: one consistent snapshot that never
    makes a writer wait (an export of a thousand notes must not stall a clinician's autosave)."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{SNAPSHOT: True})
    return engine.execution_options(isolation_level="REPEATABLE READ")


def open_engine(target: str | os.PathLike[str], *, create: bool = True, echo: bool = False) -> Engine:
    """An engine on ``target``, checked by connecting once; errors come back as :class:`StorageError`.

    With ``create=False`` a SQLite file that does not exist yet is refused instead of created.
    """
    url = resolve_target(target)
    path = sqlite_path(url)
    if path is not None and not create and not path.exists():
        raise StorageError(f"There is no database at {path}.")
    if path is not None and os.name == "posix" and not path.exists():
        # Create the file owner-only from the first byte, before SQLite writes anything into it.
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    try:
        engine = create_engine(url, echo=echo, pool_pre_ping=url.get_backend_name() != "sqlite")
    except (ArgumentError, NoSuchModuleError) as exc:
        raise StorageError(f"Cannot use the database URL {url.render_as_string(hide_password=True)}: {exc}") from None
    if url.get_backend_name() == "sqlite":
        _configure_sqlite(engine, path)
    try:
        with engine.connect():
            pass
    except DatabaseError as exc:
        engine.dispose()
        raise StorageError(describe_open_failure(url, exc)) from None
    return engine


def describe_open_failure(url: URL, exc: DatabaseError) -> str:
    path = sqlite_path(url)
    original = str(getattr(exc, "orig", exc))
    if path is not None and ("not a database" in original or "malformed" in original):
        return f"{path} is not a needlelog database (SQLite says: {original})."
    if isinstance(exc, OperationalError) and path is None:
        return f"Cannot reach the database server at {url.render_as_string(hide_password=True)}: {original.strip()}"
    where = path if path is not None else url.render_as_string(hide_password=True)
    return f"Cannot open the database {where}: {original.strip()}"
