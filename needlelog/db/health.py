"""Integrity checks of a stored chart (`needlelog check`, start-up, every backup copy).

A SQLite file is inspected through a read-only connection (``mode=ro``): a damaged file is never
opened for writing, and text with bad bytes is read with replacement characters instead of raising
(a damaged page must be named, not crash the check). SQLite's ``integrity_check`` reads every page;
on a file above :data:`~needlelog.db.page_check.QUICK_CHECK_ABOVE` (16 MB, a clinic's first year or so) start-up
checks the header, the page count, the last page, the schema and the audit trail before the sign-in window and runs
the faster ``quick_check`` (no index cross-checks) once the main window is up, in a thread
(:mod:`needlelog.db.page_check`): a whole-file read cost 0.8 s of CPU at 500,000 sessions, time the start-up budget
(SPEC §9) does not have; `needlelog check` and restore always run the full ``integrity_check``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from needlelog.db import cipher, migrate
from needlelog.db.engine import sqlite_path, sqlite_words
from needlelog.db.models import Base
from needlelog.db.page_check import EarlyPageCheck, deferred, header_problems, page_check_pragma, page_problem_words
from needlelog.domain.access import GENESIS, AuditAction, AuditEntry, first_broken
from needlelog.domain.errors import StorageError

SQLITE_HEADER = b"SQLite format 3\x00"
SIDE_FILES = ("-wal", "-shm", "-journal")
FIRST_AUDITED = "0005"  # the audit trail's table came with this revision
NOT_SQLITE = "is not a SQLite database"
AuditMark = tuple[int, str]  # (id, row hash) of an audit row whose chain up to it was verified


def integrity_problems(engine: Engine) -> list[str]:
    """What SQLite's own checks find wrong with the file, in words; empty when all is well."""
    if sqlite_path(engine.url) is None and engine.dialect.name != "sqlite":
        return []  # the server keeps its own pages; nothing to scan from here
    problems: list[str] = []
    with engine.connect() as conn:
        rows = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")]
        if rows != ["ok"]:
            problems.extend(f"integrity check: {r}" for r in rows[:20])
        for table, rowid, parent, _fk in conn.exec_driver_sql("PRAGMA foreign_key_check"):
            problems.append(f"foreign key check: {table} row {rowid} points to a missing {parent} row")
            if len(problems) > 40:
                break
    return problems


def _lenient(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def connect_read_only(path: Path, key: bytes | None = None) -> sqlite3.Connection:
    """A connection that cannot write to ``path`` and reads bad bytes as replacement characters; keyed with
    ``key`` when the file is encrypted (a plain file is read as it is, whatever the key: a backup made before
    the chart was encrypted stays plain).

    Close it with :func:`read_only` (or call :func:`owner_only_side_files` after): SQLite may leave
    an empty -wal/-shm beside a write-ahead-logged file, created with the process's umask."""
    conn: sqlite3.Connection = cipher.raw_connect(path, key_for(path, key), readonly=True)
    conn.text_factory = _lenient
    return conn


def key_for(path: Path, key: bytes | None) -> bytes | None:
    """``key`` when the file at ``path`` is encrypted, None for a plain (or missing, or empty) one."""
    try:
        return key if key is not None and cipher.is_encrypted(path) else None
    except OSError:
        return None


@contextmanager
def read_only(path: Path, key: bytes | None = None) -> Iterator[sqlite3.Connection]:
    """:func:`connect_read_only`, closed on leaving, its side files left owner-only."""
    try:
        with closing(connect_read_only(path, key)) as conn:
            yield conn
    finally:
        owner_only_side_files(path)


def owner_only_side_files(path: Path) -> None:
    if os.name != "posix":
        return
    for side in side_files(path):
        with suppress(OSError):
            if stat.S_IMODE(side.stat().st_mode) != 0o600:
                side.chmod(0o600)


def is_sqlite_file(path: Path) -> bool:
    """Whether ``path`` starts with SQLite's header (an empty file is a chart not yet made)."""
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_HEADER))
    return head in (b"", SQLITE_HEADER)


def file_problems(path: Path, *, thorough: bool = False, key: bytes | None = None) -> list[str]:
    """What makes the SQLite chart at ``path`` unusable, found without writing to it; empty when sound.

    Pages (``quick_check`` above :data:`~needlelog.db.page_check.QUICK_CHECK_ABOVE` unless ``thorough``), the
    needlelog schema (a version row, every table at head) and the audit chain. An empty file, a file with no
    tables and a schema newer than this program are not damage (a new chart; the program refuses the newer
    one on its own), and are left to the caller. ``thorough`` adds the foreign-key check. ``key``: the file
    key of an encrypted chart (:func:`examine_from`)."""
    return examine(path, thorough=thorough, key=key)[0]


def examine(path: Path, *, thorough: bool = False, key: bytes | None = None) -> tuple[list[str], str | None]:
    """:func:`file_problems`, and the schema revision the file is at (None: no needlelog schema, or unreadable)."""
    problems, revision, _mark = examine_from(path, thorough=thorough, key=key)
    return problems, revision


def examine_from(
    path: Path,
    *,
    thorough: bool = False,
    audit_from: AuditMark | None = None,
    early: EarlyPageCheck | None = None,
    pages: bool = True,
    key: bytes | None = None,
) -> tuple[list[str], str | None, AuditMark | None]:
    """:func:`examine`, walking the audit chain on from ``audit_from`` (a row verified before, see
    :func:`walk_audit_chain`), and the mark of the newest audit row verified (None: no trail). ``early``:
    the page check already run on the file at start-up, taken when it checked this file unchanged.
    ``pages=False`` (the program's start, issue 14): above :data:`~needlelog.db.page_check.DEFER_ABOVE` only the
    header and the last page are read here, the whole file's page check is left to
    :class:`~needlelog.db.page_check.PageCheck` once the window is up.

    ``key``: the file key of an encrypted chart (issue 13). An encrypted file is checked through SQLCipher
    with it, pages included (a page whose authentication code fails is damage, named by its number); a
    key that opens none of its pages is not damage but a :class:`~needlelog.db.cipher.WrongKeyError`. Without
    a key an encrypted file cannot be told from one that is not SQLite at all, and is said to be the latter:
    the caller gives the key whenever the chart has its side file of wrapped keys."""
    key = key_for(path, key)
    if key is None and not is_sqlite_file(path):
        return [f"{path.name} {NOT_SQLITE} (its first bytes are not SQLite's header)"], None, None
    try:
        with readable(path, key) as source, read_only(source, key) as conn:
            if pages or not deferred(source.stat().st_size):
                problems = _page_problems(conn, source, thorough, early, encrypted=key is not None)
            else:
                problems = header_problems(source) if key is None else _encrypted_size_problems(conn, source)
            if thorough:
                problems += _reference_problems(conn)
            if problems:
                return problems, None, None
            problems, revision = _schema_problems(conn)
            if problems or revision is None or revision not in migrate.KNOWN_REVISIONS or revision < FIRST_AUDITED:
                return problems, revision, None
            broken, mark = walk_audit_chain(conn, audit_from)
            return ([] if broken is None else [broken]), revision, mark
    except cipher.database_errors() as exc:
        if getattr(exc, "sqlite_errorname", "").startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            # Held by another program, not damaged: it must never be set aside as damaged while in use.
            raise StorageError(sqlite_words(exc, path) or str(exc)) from None
        if key is not None:
            return _encrypted_damage(path, key, exc), None, None
        return [f"the file is damaged: SQLite cannot read it ({' '.join(str(exc).split())})"], None, None
    except UnicodeDecodeError:  # SQLite's own message quotes a damaged schema's bytes
        return ["the file is damaged: SQLite cannot read its schema (bytes that are not text)"], None, None
    except OSError as exc:
        return [f"the file cannot be checked ({exc.strerror or exc})"], None, None


def _encrypted_damage(path: Path, key: bytes, exc: Exception) -> list[str]:
    """An encrypted file SQLCipher refused: a wrong key is raised, damage named by the pages that fail."""
    cipher.raise_if_wrong_key(path, key)
    try:
        failed = cipher.hmac_failures(path, key)
    except cipher.database_errors():
        failed = []
    said = " ".join(str(exc).split())
    if not failed:
        return [f"the file is damaged: SQLCipher cannot read it ({said})"]
    shown_pages = ", ".join(str(n) for n in failed[:10]) + (" …" if len(failed) > 10 else "")
    return [f"the file is damaged: {len(failed)} encrypted page(s) fail their check (page {shown_pages}; {said})"]


def _encrypted_size_problems(conn: sqlite3.Connection, path: Path) -> list[str]:
    """:func:`~needlelog.db.page_check.header_problems` for an encrypted file, whose header is encrypted too:
    the first page is read (the page count) and the file must hold every page it counts."""
    pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
    size = path.stat().st_size
    try:
        logged = os.stat(f"{path}-wal").st_size > 0
    except OSError:
        logged = False
    if pages and not logged and size < pages * cipher.PAGE_SIZE:
        return [f"the file is damaged: it is cut short ({size} bytes where it counts {pages} pages)"]
    return []


@contextmanager
def readable(path: Path, key: bytes | None = None) -> Iterator[Path]:
    """``path``, or a rolled-back copy of it in a scratch folder when it holds a hot rollback journal.

    A program killed mid-write in rollback-journal mode leaves a journal that SQLite rolls back on the next
    write open; that is not damage, but a read-only connection cannot roll it back and refuses to read. The
    copy is rolled back instead, so the chart itself is still not written."""
    journal = Path(f"{path}-journal")
    if not journal.exists() or not _needs_rollback(path, key):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="needlelog-check-") as scratch:
        copy = Path(scratch) / path.name
        shutil.copyfile(path, copy)
        shutil.copyfile(journal, f"{copy}-journal")
        with closing(cipher.raw_connect(copy, key_for(path, key))) as conn:
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # the rollback happens here
        yield copy


def _needs_rollback(path: Path, key: bytes | None = None) -> bool:
    try:
        with read_only(path, key) as conn:
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except cipher.database_errors() as exc:
        return getattr(exc, "sqlite_errorname", "") == "SQLITE_READONLY_ROLLBACK"
    except UnicodeDecodeError:
        return False
    return False


# The page cache of SQLite's whole-file integrity check of an encrypted chart: SQLCipher decrypts and
# authenticates a page at every read from disk, and the check reads each page many times; 64 MB took the
# 500,000-session chart's check from 58 s to 21 s (docs/PERFORMANCE.md). Only there: a backup in the window
# reads each page once and must not hold 64 MB.
ENCRYPTED_CHECK_CACHE_KIB = 65536


def _page_problems(
    conn: sqlite3.Connection, path: Path, thorough: bool, early: EarlyPageCheck | None, *, encrypted: bool = False
) -> list[str]:
    pragma = page_check_pragma(path.stat().st_size, thorough=thorough)
    rows = early.rows(path, pragma) if early is not None else None
    if rows is None and encrypted and pragma == "integrity_check":
        conn.execute(f"PRAGMA cache_size = -{ENCRYPTED_CHECK_CACHE_KIB}")
    if rows is None:
        rows = [str(r[0]) for r in conn.execute(f"PRAGMA {pragma}(20)")]
    return page_problem_words(pragma, rows)


def _reference_problems(conn: sqlite3.Connection) -> list[str]:
    problems = []
    for table, rowid, parent, _fk in conn.execute("PRAGMA foreign_key_check"):
        problems.append(f"foreign key check: {table} row {rowid} points to a missing {parent} row")
        if len(problems) >= 40:
            break
    return problems


def _schema_problems(conn: sqlite3.Connection) -> tuple[list[str], str | None]:
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables:
        return [], None
    if "alembic_version" not in tables:
        return ["schema: the file has tables but no needlelog schema version; it is not a needlelog chart"], None
    revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    if revision is None:
        return ["schema: the schema version is missing (the alembic_version table has no row)"], None
    found = str(revision[0])
    if found == migrate.HEAD:
        missing = sorted(set(Base.metadata.tables) - tables)
        if missing:
            return [f"schema: the table {name} is missing" for name in missing], found
    return [], found


def audit_chain_problem(conn: sqlite3.Connection) -> str | None:
    """The first audit row whose chain is broken, in words; None when the whole trail holds."""
    return walk_audit_chain(conn, None)[0]


def walk_audit_chain(
    conn: sqlite3.Connection, start: AuditMark | None, batch: int = 5000
) -> tuple[str | None, AuditMark | None]:
    """The first audit row whose chain is broken, in words (None when it holds), and the mark (id, hash) of
    the newest row verified.

    The same rule as :func:`needlelog.db.records.audit_chain_problem` (:func:`~needlelog.domain.access.first_broken`
    on each row), read as plain tuples (ORM rows cost 27 µs a row, these 11). A clinic's trail grows by a row
    for every save, millions in ten years, so start-up and backups walk on from ``start``, the newest row an
    earlier walk verified, when that row is still there with the same hash; otherwise (a restored or replaced
    file) the whole trail is walked. `needlelog check` and a restore always walk it all."""
    if start is not None:
        found = conn.execute("SELECT row_hash FROM audit_log WHERE id = ?", (start[0],)).fetchone()
        if found is None or found[0] != start[1]:
            start = None
    cursor = conn.execute(
        "SELECT id, at, user_name, role, action, patient_id, session_id, detail, previous_hash, row_hash"
        " FROM audit_log WHERE id > ? ORDER BY id",
        (start[0] if start else 0,),
    )
    previous, mark = (start[1] if start else GENESIS), start
    while rows := cursor.fetchmany(batch):
        for row in rows:
            try:
                entry = _audit_entry(row)
            except (TypeError, ValueError) as exc:
                return f"audit trail: row {row[0]} cannot be read ({exc})", mark
            broken = first_broken([entry], previous)
            if broken is not None:
                bad, why = broken
                when = bad.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
                return f"audit trail: row {bad.id} ({when}, {bad.user}, {bad.action.value}): {why}", mark
            previous, mark = entry.row_hash, (int(str(row[0])), entry.row_hash)
    return None, mark


def _audit_entry(row: tuple[object, ...]) -> AuditEntry:
    ident, at, user, role, action, patient_id, session_id, detail, previous_hash, row_hash = row
    moment = datetime.fromisoformat(str(at))
    return AuditEntry(
        at=moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC),
        user=str(user),
        role=str(role),
        action=AuditAction(str(action)),
        patient_id=None if patient_id is None else int(str(patient_id)),
        session_id=None if session_id is None else int(str(session_id)),
        detail=str(detail),
        previous_hash=str(previous_hash),
        row_hash=str(row_hash),
        id=int(str(ident)),
    )


def schema_revision_of(path: Path, key: bytes | None = None) -> str | None:
    """The revision a sound SQLite file is at (None: no needlelog schema), read without writing."""
    with read_only(path, key) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "alembic_version" not in tables:
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


def side_files(path: Path) -> list[Path]:
    """The side files SQLite keeps beside ``path`` (write-ahead log, shared memory, rollback journal)."""
    return [Path(f"{path}{suffix}") for suffix in SIDE_FILES]


def content_marker(path: Path, key: bytes | None = None) -> str:
    """A digest of what the chart holds, cheap to read: every table's row count and highest row id, the
    sum of the row versions a save bumps, and the newest audit row, leaving out the audit rows of backups
    themselves (copying a chart must not make it look changed). Two files with the same marker hold the
    same chart as far as a backup is concerned."""
    digest = hashlib.sha256()
    with read_only(path, key) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for table in tables:
            if table.startswith("sqlite_"):
                continue
            columns = {r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')}
            where = " WHERE action != 'backup'" if table == "audit_log" else ""
            version = ', SUM("version")' if "version" in columns else ""
            row = conn.execute(f'SELECT COUNT(*), MAX(rowid){version} FROM "{table}"{where}').fetchone()
            digest.update(repr((table, *row)).encode())
        if "audit_log" in tables:
            last = conn.execute("SELECT row_hash FROM audit_log WHERE action != 'backup' ORDER BY id DESC LIMIT 1")
            digest.update(repr(last.fetchone()).encode())
        if "alembic_version" in tables:
            digest.update(repr(conn.execute("SELECT version_num FROM alembic_version").fetchall()).encode())
    return digest.hexdigest()


def chart_identity(path: Path, key: bytes | None = None) -> str | None:
    """What tells one chart from another whatever its file is called: the hash of its first audit row (a
    backup or a restored copy keeps it). None when it has none or cannot be read."""
    unreadable: tuple[type[Exception], ...] = (*cipher.database_errors(), UnicodeDecodeError)
    try:
        with read_only(path, key) as conn:
            row = conn.execute("SELECT row_hash FROM audit_log ORDER BY id LIMIT 1").fetchone()
    except unreadable:
        return None
    return None if row is None else str(row[0])


def signed_note_count(path: Path, key: bytes | None = None) -> int:
    """How many signed notes the chart at ``path`` holds (0 when it holds no sessions table)."""
    with read_only(path, key) as conn:
        try:
            row = conn.execute("SELECT COUNT(*) FROM treatment_session WHERE status = 'signed'").fetchone()
        except cipher.database_errors():
            return 0
    return int(row[0])
