"""Backups of a chart on a PostgreSQL server (`needlelog backup|restore --db postgresql://…`, issue 16 item 5).

A copy is PostgreSQL's own: ``pg_dump --format=custom`` (a consistent snapshot while the PCs chart), written
into a hidden owner-only file in an owner-only folder, checked with ``pg_restore --list`` (the archive reads
whole and holds the audit trail's data), and only then renamed into place as ``<database>-<UTC stamp>.dump``
and recorded in the chart's audit trail; older copies are thinned by the same rule as a SQLite chart's (12
daily, 10 weekly, 9 monthly: :mod:`needlelog.domain.backup_schedule`). The password goes to the tools in their
environment (``PGPASSWORD``), never on a command line another user could read. A restore goes into an empty
database only (``pg_restore --single-transaction --exit-on-error --no-owner``, so a failed one leaves it
empty), and the restored chart is checked (schema, audit chain, every fingerprint) and its restore audited.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from needlelog import paths
from needlelog.db import chart_copy, fingerprints, migrate, records
from needlelog.db.engine import open_engine, resolve_target
from needlelog.domain.access import AuditAction, AuditEntry
from needlelog.domain.backup_schedule import copies_to_remove
from needlelog.domain.errors import StorageError
from needlelog.services.base import Access, Clock, utc_now

STAMP = "%Y%m%dT%H%M%SZ"
SUFFIX = ".dump"
TOOL_SECONDS = 3600


@dataclass(frozen=True)
class ServerBackup:
    path: Path
    size_bytes: int
    removed: int  # older copies thinned


def tool(name: str) -> str:
    """The PostgreSQL client tool ``name`` on PATH, or a StorageError that says how to get it."""
    found = shutil.which(name)
    if found is None:
        raise StorageError(
            f"{name} was not found on PATH: install PostgreSQL's client tools, of the server's major version or "
            "newer (Debian: postgresql-client; Windows: the PostgreSQL installer), or add their folder to PATH."
        )
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """``url`` as libpq takes it (no driver name, no password) and the environment that carries the password."""
    plain = url.set(drivername="postgresql", password=None)
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return plain.render_as_string(hide_password=False), env


def default_folder(url: URL) -> Path:
    return paths.data_dir() / "server-backups" / f"{url.host or 'localhost'}-{url.database}"


def _run(args: list[str], env: dict[str, str], what: str) -> str:
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=TOOL_SECONDS, check=False)
    if done.returncode != 0:
        said = " ".join(done.stderr.split())[:300] or f"exit code {done.returncode}"
        raise StorageError(f"{what} failed ({said}); nothing was changed.")
    return done.stdout


def backup_server(target: str, folder: Path | None = None, clock: Clock = utc_now) -> ServerBackup:
    """A checked ``pg_dump`` of the chart at ``target`` in ``folder`` (default: this PC's data folder)."""
    url = resolve_target(target)
    dump, restore = tool("pg_dump"), tool("pg_restore")
    folder = folder or default_folder(url)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)
    now = clock().astimezone(UTC)
    final = folder / f"{url.database}-{now.strftime(STAMP)}{SUFFIX}"
    partial = folder / f".{final.name}.partial"
    conninfo, env = _libpq(url)
    try:
        partial.touch(mode=0o600)
        _run([dump, "--format=custom", f"--file={partial}", f"--dbname={conninfo}"], env, "pg_dump")
        listing = _run([restore, "--list", str(partial)], env, "pg_restore --list")
        if "TABLE DATA public audit_log" not in listing:
            raise StorageError(f"The copy {final.name} holds no audit trail: it is not a needlelog chart's.")
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    _audit(target, AuditAction.BACKUP, f"pg_dump {final.name}, {final.stat().st_size:,} bytes", now)
    return ServerBackup(final, final.stat().st_size, _thin(folder, url))


def _thin(folder: Path, url: URL) -> int:
    taken: dict[datetime, Path] = {}
    for path in folder.glob(f"{url.database}-*{SUFFIX}"):
        stamp = path.name.removeprefix(f"{url.database}-").removesuffix(SUFFIX)
        try:
            taken[datetime.strptime(stamp, STAMP).replace(tzinfo=UTC)] = path
        except ValueError:
            continue  # not one of ours
    gone = copies_to_remove(taken)
    for moment in gone:
        taken[moment].unlink(missing_ok=True)
    return len(gone)


def restore_server(target: str, dump: Path, clock: Clock = utc_now) -> int:
    """Restore ``dump`` into the empty database at ``target``, check it, audit it; returns its signed notes."""
    if not dump.is_file():
        raise StorageError(f"There is no backup at {dump}.")
    url = resolve_target(target)
    restore = tool("pg_restore")
    engine = open_engine(target, create=False)
    try:
        if migrate.schema_revision(engine) is not None:
            raise StorageError(
                f"The database {url.database} is not empty: a server's backup is restored into an empty database "
                "(create one, restore into it, then point the PCs at it)."
            )
    finally:
        engine.dispose()
    conninfo, env = _libpq(url)
    args = [restore, "--single-transaction", "--exit-on-error", "--no-owner", f"--dbname={conninfo}", str(dump)]
    _run(args, env, "pg_restore")
    engine = open_engine(target, create=False)
    try:
        if not migrate.is_at_head(engine):  # a copy made by an older version (a newer one is refused here)
            migrate.upgrade(engine, at=clock())
        problems = fingerprints.fingerprint_problems(engine)
        broken = records.audit_chain_problem(engine)
        if broken or problems:
            raise StorageError(f"The restored chart does not check out: {broken or problems[0]}.")
        signed = len(chart_copy.fingerprints(engine))
    finally:
        engine.dispose()
    _audit(target, AuditAction.RESTORE, f"from {dump.name}", clock())
    return signed


def _audit(target: str, action: AuditAction, detail: str, now: datetime) -> None:
    engine = open_engine(target, create=False)
    try:
        user, role = Access().who()
        with Session(engine) as db, db.begin():
            records.append_audit(db, AuditEntry(now, user, role, action, detail=detail))
    finally:
        engine.dispose()
