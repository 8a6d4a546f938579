"""Moving a clinic's SQLite chart onto its PostgreSQL server (`needlelog migrate-to`, SPEC §7-§8).

The file is only read (opened ``mode=ro``: SQLite itself refuses every write), and must be at this
program's schema with its audit chain whole. The server's database must be empty (no tables, or this
schema's tables without a row): a copy never merges into a chart. Every row goes across in one
transaction (:mod:`needlelog.db.chart_copy`); then, read back from the server, the copy must hold as many
rows in every table as the file, every signed note the same fingerprint as in the file and its content
still giving it, the audit chain whole and ending on the file's newest row, and every trigger enabled.
Only then is the move itself written to the server's audit trail (a ``restore`` row naming the file).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from needlelog.db import chart_copy, cipher, fingerprints, health, migrate, records
from needlelog.db.engine import open_engine, resolve_target, shown, sqlite_path
from needlelog.domain.access import AuditAction, AuditEntry
from needlelog.domain.errors import StorageError
from needlelog.services.base import Access, Clock, utc_now

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Moved:
    """What was copied and verified."""

    rows: dict[str, int]
    signed_notes: int
    seconds: float


def migrate_to(
    source: str | os.PathLike[str],
    target: str,
    progress: Progress | None = None,
    clock: Clock = utc_now,
    key: bytes | None = None,
) -> Moved:
    """Copy the SQLite chart at ``source`` into the empty PostgreSQL database at ``target`` and verify it.
    ``key``: the file key of an encrypted chart, read through SQLCipher (read-only) with it."""
    began = time.perf_counter()
    path = _source_file(source)
    if sqlite_path(resolve_target(target)) is not None:
        raise StorageError("--to must name the PostgreSQL server's database (postgresql+psycopg://...), not a file.")
    if key is not None and cipher.is_encrypted(path):
        reader = cipher.chart_engine(path, key, read_only=True)
    elif cipher.has_keys(path):
        raise StorageError(f"{shown(path)} is encrypted: sign in to move it (needlelog migrate-to --user).")
    else:
        reader = open_engine(f"sqlite:///{quote(str(path))}?mode=ro", create=False)
    try:
        _refuse_unsound_source(reader, path)
        writer = open_engine(target, create=False)
        try:
            _refuse_non_empty(writer)
            try:
                migrate.upgrade(writer, at=clock())
                copied = chart_copy.copy_rows(reader, writer, progress or (lambda _table, _done, _total: None))
            except DBAPIError as exc:
                raise StorageError(f"The server refused the copy ({_said(exc)}); {_NOTHING_KEPT}") from None
            problems = verify_copy(copied, writer)
            if problems:
                raise StorageError(
                    f"The copy on the server does not match the file: {problems[0]}"
                    f"{f' (and {len(problems) - 1} more)' if len(problems) > 1 else ''}; drop that database, "
                    "keep using the file, and report this."
                )
            _audit_the_move(writer, path, copied.rows, clock())
        finally:
            writer.dispose()
    finally:
        reader.dispose()
        health.owner_only_side_files(path)  # SQLite may leave an empty -wal/-shm beside a read-only opening
    return Moved(copied.rows, len(copied.fingerprints), time.perf_counter() - began)


_NOTHING_KEPT = "nothing was kept on the server, and the file is as it was."


def _said(exc: DBAPIError) -> str:
    return " ".join(str(exc.orig).split())[:300]


def _source_file(source: str | os.PathLike[str]) -> Path:
    path = sqlite_path(resolve_target(source))
    if path is None:
        raise StorageError("--db must name the SQLite chart file to move onto the server.")
    if not path.is_file():
        raise StorageError(f"There is no chart file at {shown(path)}.")
    return path


def _refuse_unsound_source(reader: Engine, path: Path) -> None:
    revision = migrate.schema_revision(reader)
    migrate.check_not_newer(revision)
    if revision != migrate.HEAD:
        raise StorageError(
            f"{shown(path)} is at schema {revision or 'none'}, not this program's {migrate.HEAD}: "
            f"run `needlelog db upgrade --db {shown(path)}` first (it keeps a copy of the file)."
        )
    broken = records.audit_chain_problem(reader)
    if broken is not None:
        raise StorageError(f"{shown(path)} is not moved: its {broken}; restore a backup first (needlelog check).")


def _refuse_non_empty(writer: Engine) -> None:
    revision = migrate.schema_revision(writer)  # a database with foreign tables is refused in words here
    if revision is None:
        return
    if revision != migrate.HEAD:
        raise StorageError(f"The server's database already holds a chart (schema {revision}); give an empty database.")
    held = {name: n for name, n in chart_copy.row_counts(writer).items() if n}
    if held:
        what = ", ".join(f"{n:,} {name}" for name, n in sorted(held.items())[:3])
        raise StorageError(
            f"The server's database is not empty ({what} rows); migrate-to copies only into an empty database."
        )


def verify_copy(copied: chart_copy.Held, writer: Engine) -> list[str]:
    """Every way the server's copy differs from what the file held when it was read, in words; empty when whole."""
    problems: list[str] = []
    with writer.connect() as conn:
        there = chart_copy.held(conn)
    problems += [
        f"{name}: {n:,} rows in the file, {there.rows.get(name, 0):,} on the server"
        for name, n in copied.rows.items()
        if there.rows.get(name, 0) != n
    ]
    if copied.fingerprints != there.fingerprints:
        differ = sorted(set(copied.fingerprints.items()) ^ set(there.fingerprints.items()))
        problems.append(f"signed note {differ[0][0]}: its fingerprint differs ({len(differ)} differences)")
    problems += fingerprints.fingerprint_problems(writer)
    broken = records.audit_chain_problem(writer)
    if broken is not None:
        problems.append(broken)
    if there.newest_audit_hash != copied.newest_audit_hash:
        problems.append("audit trail: the server's newest row is not the file's newest row")
    problems += [f"trigger {name} is disabled" for name in chart_copy.disabled_triggers(writer)]
    return problems


def _audit_the_move(writer: Engine, path: Path, rows: dict[str, int], now: datetime) -> None:
    sessions = rows.get("treatment_session", 0)
    detail = f"moved from the file {path.name}: {sessions:,} sessions, {rows.get('audit_log', 0):,} audit rows"
    user, role = Access().who()
    with Session(writer) as db, db.begin():
        records.append_audit(db, AuditEntry(now, user, role, AuditAction.RESTORE, detail=detail))
