"""Opening a clinic's database: a SQLite file by default, any SQLAlchemy URL otherwise.

SQLite is opened the way a legal record deserves: WAL, ``synchronous=FULL``, foreign keys
on, a busy timeout, every transaction ``BEGIN IMMEDIATE`` (a writer waits its turn instead
of failing half-way) except a long read's snapshot (:func:`read_snapshot`), the file readable by
its owner only. A file on a network drive or in
a cloud-sync folder is refused: SQLite's locking is unreliable there (SQLite's own
documentation), and PostgreSQL mode is the way to share a chart between PCs.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    NoSuchModuleError,
    OperationalError,
)

from needlelog.db.locations import shared_location
from needlelog.domain.errors import StorageError

BUSY_TIMEOUT_MS = 10_000
SERVER_CONNECT_TIMEOUT = 5  # seconds a PC waits for its PostgreSQL server to answer a new connection
SNAPSHOT = "needlelog_read_snapshot"  # execution option: begin a read-only transaction DEFERRED
POSTGRES_HINT = "to share one chart between PCs, use PostgreSQL mode (--db postgresql://...)"
BACKENDS = ("sqlite", "postgresql")  # the engines needlelog's migrations and tests cover
READ_ONLY = "ro"  # ``sqlite:///chart.sqlite?mode=ro``: opened so that nothing can be written
SQLITE_MODES = ("ro", "rw", "rwc")
# Per SQLite engine: the reason it takes no more writes (the file was found damaged while open), once said.
_REFUSED: weakref.WeakKeyDictionary[Engine, list[str]] = weakref.WeakKeyDictionary()
SHOWN_PATH_MAX = 100  # characters of a path a one-line message shows (a 5,000-character path is shortened)


def is_url(target: str) -> bool:
    return "://" in target


def shown(path: str | os.PathLike[str]) -> str:
    """A path as a one-line message shows it: whole when short, its two ends when long."""
    text = os.fspath(path)
    if len(text) <= SHOWN_PATH_MAX:
        return text
    half = SHOWN_PATH_MAX // 2 - 2
    return f"{text[:half]}…{text[-half:]} ({len(text):,} characters)"


def is_read_only(url: URL) -> bool:
    """Whether ``url`` asks for a read-only chart (``?mode=ro``): nothing may be written to it."""
    return url.get_backend_name() == "sqlite" and url.query.get("mode") == READ_ONLY


def sqlite_path(url: URL) -> Path | None:
    """The file behind a SQLite URL, or None for another engine or an in-memory database."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.query.get("uri") == "true" and url.database.startswith("file:"):  # a read-only chart's URI name
        return Path(unquote(url.database.removeprefix("file:")))
    return Path(url.database)


def refuse_shared_location(path: Path, mounts: Iterable[str] | None = None) -> None:
    """Raise :class:`StorageError` when ``path`` lies where SQLite's locking cannot be trusted: a network share or
    mount, a FUSE mount, a cloud-sync folder, after following symbolic links (:mod:`needlelog.db.locations`)."""
    why = shared_location(path, mounts=mounts)
    if why is None:
        return
    if "cloud-sync" in why:
        raise StorageError(
            f"{path} {why}, which can corrupt a SQLite file: keep it on a local disk, or {POSTGRES_HINT}."
        )
    raise StorageError(f"{path} {why}; SQLite files must be on a local disk: {POSTGRES_HINT}.")


def resolve_target(target: str | os.PathLike[str]) -> URL:
    """Turn ``--db`` (a path or a URL) into a URL, refusing what cannot work, in words."""
    text = os.fspath(target)
    mode: str | None = None
    if is_url(text):
        url = _parse_url(text)
        path = sqlite_path(url)
        if path is None:
            return url
        mode = _sqlite_mode(url)
    else:
        path = Path(text)
    path = _checked_location(_home(path).absolute())
    refuse_shared_location(path)
    if mode == READ_ONLY:  # SQLite opens a URI filename with mode=ro read-only: it refuses every write itself
        return URL.create("sqlite+pysqlite", database=f"file:{quote(str(path))}", query={"mode": mode, "uri": "true"})
    return URL.create("sqlite+pysqlite", database=str(path))


def _parse_url(text: str) -> URL:
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):  # a port that is not a number, a bracket left open
        raise StorageError(
            f"{shown(text)!r} is not a database URL; write it as postgresql://user@host:5432/name."
        ) from None
    backend = url.get_backend_name()
    if backend not in BACKENDS:
        raise StorageError(
            f"needlelog keeps a chart in a SQLite file or on a PostgreSQL server, not in {backend}: "
            "give a file path or a postgresql://... URL."
        )
    return url


def _sqlite_mode(url: URL) -> str | None:
    """The one option a SQLite URL may carry: ``mode`` (``ro`` is honoured: nothing is written)."""
    unknown = sorted(set(url.query) - {"mode", "uri"})
    if unknown:
        raise StorageError(f"The SQLite URL option {unknown[0]!r} is not one needlelog knows; only ?mode=ro is.")
    mode = url.query.get("mode")
    if mode is not None and mode not in SQLITE_MODES:
        raise StorageError(f"mode={mode} in the SQLite URL is not a mode; use ?mode=ro for a read-only chart.")
    return None if mode in (None, "rw", "rwc") else READ_ONLY


def _home(path: Path) -> Path:
    """``~`` and ``~user`` expanded (an unknown user is a message, not a RuntimeError)."""
    try:
        return path.expanduser()
    except RuntimeError:
        raise StorageError(f"{shown(path)}: there is no such user, so no home folder to start from.") from None


def _checked_location(path: Path) -> Path:
    """``path`` when its folder exists and it is not a folder; the system's refusal in words otherwise."""
    try:
        if not path.parent.is_dir():
            raise StorageError(f"The folder {shown(path.parent)} does not exist.")
        if path.is_dir():
            raise StorageError(f"{shown(path)} is a folder, not a database file.")
        if path.exists() and not path.is_file():
            # /dev/null, a pipe, a socket: SQLite would "open" some of them, and making one owner-only would take
            # it from every other program on the PC (a PostgreSQL server cannot start without /dev/null).
            raise StorageError(f"{shown(path)} is a device or a pipe, not a database file; give a file's path.")
    except OSError as exc:
        raise StorageError(describe_os_error(path, exc)) from None
    return path


def describe_os_error(path: Path, exc: OSError) -> str:
    """What the operating system refused about ``path``, as one sentence a person can act on."""
    if exc.errno == errno.ENAMETOOLONG:
        longest = max((len(part) for part in path.parts), default=0)
        if longest > 255:
            name = max(path.parts, key=len)
            return f"The name {name[:40]}…{name[-20:]} is too long for a file ({longest} characters; at most 255)."
        return f"The path {shown(path)} is too long for this system; choose a shorter folder."
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"{shown(path)} cannot be written: permission denied; choose a folder you may write to."
    if exc.errno == errno.EROFS:
        return f"{shown(path)} is on a read-only disk; choose a folder you may write to."
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return f"The disk holding {shown(path)} is full; free some space and try again (nothing was changed)."
    return f"{shown(path)}: {exc.strerror or exc}."


def _owner_only(path: Path) -> None:
    if os.name != "posix":
        return
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            found = candidate.stat() if candidate.exists() else None
            if found is None or not stat.S_ISREG(found.st_mode):
                continue  # only the chart's own files: never a device or a pipe
            mode = stat.S_IMODE(found.st_mode)
            if mode & 0o077:  # taken from the group and others, never given: a read-only chart stays read-only
                candidate.chmod(mode & 0o700)
        except OSError:
            pass  # a file we do not own: the OS decides, as SPEC §4 allows


def refuse_writes(engine: Engine, reason: str) -> None:
    """From now on every transaction on ``engine`` but a read snapshot is refused with ``reason``
    (:class:`StorageError`): the file was found damaged while the program had it open (issue 14), and
    nothing more may be written into it. A draft's save then keeps the draft on this PC instead."""
    refused = _REFUSED.get(engine)
    if refused is not None and not refused:
        refused.append(reason)


def _configure_sqlite(engine: Engine, path: Path | None, *, read_only: bool = False) -> None:
    refused: list[str] = []
    _REFUSED[engine] = refused

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide where transactions begin (SQLAlchemy's SQLite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if path is not None and not read_only:  # switching the journal writes to the file
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()
        if path is not None and not read_only:
            _owner_only(path)

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # A read snapshot (a long export) begins DEFERRED: in WAL mode it then blocks no writer.
        snapshot = connection.get_execution_options().get(SNAPSHOT, False)
        if refused and not snapshot:
            raise StorageError(refused[0])
        connection.exec_driver_sql("BEGIN DEFERRED" if snapshot else "BEGIN IMMEDIATE")


def read_snapshot(engine: Engine) -> Engine:
    """The same engine for transactions that only read, for long: one consistent snapshot that never
    makes a writer wait (an export of a thousand notes must not stall a clinician's autosave)."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{SNAPSHOT: True})
    return engine.execution_options(isolation_level="REPEATABLE READ")


def open_engine(target: str | os.PathLike[str], *, create: bool = True, echo: bool = False) -> Engine:
    """An engine on ``target``, checked by connecting once; errors come back as :class:`StorageError`.

    With ``create=False`` a SQLite file that does not exist yet is refused instead of created; a
    read-only target (``?mode=ro``) is never created, and SQLite itself refuses every write to it.
    """
    url = resolve_target(target)
    path = sqlite_path(url)
    read_only = is_read_only(url)
    if path is not None and (read_only or not create) and not path.exists():
        raise StorageError(f"There is no database at {shown(path)}.")
    if path is not None and os.name == "posix" and not path.exists():
        # Create the file owner-only from the first byte, before SQLite writes anything into it.
        try:
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        except OSError as exc:
            raise StorageError(describe_os_error(path, exc)) from None
        os.close(fd)
    try:
        server = url.get_backend_name() != "sqlite"
        # A server gone from the network is waited for SERVER_CONNECT_TIMEOUT s, not the system's minutes
        # (the URL's own connect_timeout wins).
        waits = {"connect_timeout": SERVER_CONNECT_TIMEOUT} if server and "connect_timeout" not in url.query else {}
        engine = create_engine(url, echo=echo, pool_pre_ping=server, connect_args=waits)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise StorageError(f"Cannot use the database URL {url.render_as_string(hide_password=True)}: {exc}") from None
    if url.get_backend_name() == "sqlite":
        _configure_sqlite(engine, path, read_only=read_only)
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
        return not_a_chart(path, f"SQLite says: {original}")
    if isinstance(exc, OperationalError) and path is None:
        return f"Cannot reach the database server at {url.render_as_string(hide_password=True)}: {original.strip()}"
    if path is not None:
        known = sqlite_words(getattr(exc, "orig", None), path)
        if known is not None:
            return known
    where = shown(path) if path is not None else url.render_as_string(hide_password=True)
    return f"Cannot open the database {where}: {original.strip()}"


def not_a_chart(path: Path, why: str) -> str:
    """Why ``path`` is refused as a chart, in words; a file that may be an encrypted chart whose file of keys was
    left behind (copied without it) is told where that file belongs (``cipher.side_file``'s name)."""
    keys = path.with_name(path.name + ".keys")
    try:
        with path.open("rb") as handle:
            plain = handle.read(16) in (b"", b"SQLite format 3\x00")
        lost = not plain and not keys.exists()
    except OSError:
        lost = False
    if lost:
        return (
            f"{shown(path)} is not a needlelog database, or it is an encrypted chart whose file of keys "
            f"{keys.name} is not beside it: copy that file back beside it (each backup has its own)."
        )
    return f"{shown(path)} is not a needlelog database ({why})."


def sqlite_errors() -> tuple[type[Exception], ...]:
    """The exception classes of a chart file's driver: ``sqlite3``'s, and ``sqlcipher3``'s (an encrypted
    chart, issue 13) once that is loaded: before, nothing can raise them, and the plain program never loads it."""
    import sys

    loaded = sys.modules.get("sqlcipher3.dbapi2")
    return (sqlite3.Error,) if loaded is None else (sqlite3.Error, loaded.Error)


def sqlite_words(error: BaseException | None, path: Path | None = None) -> str | None:
    """The sentence for a SQLite failure a person can act on (locked, read-only, full, unreadable);
    None for any other. ``path`` names the chart when it is known."""
    if not isinstance(error, sqlite_errors()):
        return None
    name = getattr(error, "sqlite_errorname", "") or ""
    chart = f"The chart {shown(path)}" if path is not None else "The chart"
    if name.startswith("SQLITE_NOTADB") and not isinstance(error, sqlite3.Error):  # SQLCipher's, with a key
        return (
            f"{chart} does not open with this key: it was encrypted with another key, it is damaged, "
            "or it is not a needlelog chart (`needlelog check --user NAME` says which). Nothing was changed."
        )
    if name.startswith("SQLITE_BUSY") or name.startswith("SQLITE_LOCKED") or "database is locked" in str(error):
        return (
            f"{chart} is locked by another program (waited {BUSY_TIMEOUT_MS // 1000} s); "
            "close the other program or try again later. Nothing was changed."
        )
    if name.startswith("SQLITE_READONLY"):
        return (
            f"{chart} is read-only (the file, its folder or its disk, or it was opened with ?mode=ro); "
            "this needs to write to it. Nothing was changed."
        )
    if name.startswith("SQLITE_FULL"):
        where = "the chart" if path is None else shown(path)
        return f"The disk holding {where} is full; free some space and try again. Nothing was changed."
    if name.startswith("SQLITE_IOERR"):  # a write the system refused: a full disk, a file-size limit, a failing disk
        return (
            f"{chart} could not be written: the disk refused it (full, a file-size limit, or failing); "
            "free some space or check the disk. Nothing was changed."
        )
    if name.startswith("SQLITE_CANTOPEN"):
        return (
            f"{chart} cannot be opened: its file or folder may not be read or written (permissions, a read-only disk)."
        )
    if name.startswith("SQLITE_PERM") or name.startswith("SQLITE_AUTH"):
        return f"{chart} may not be used: permission denied."
    return None
