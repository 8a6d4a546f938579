"""Restoring a backup, and a damaged chart found at start-up (SPEC §7).

A restore never loses the chart it replaces: the backup is checked (pages, schema, audit chain),
copied beside the chart into a hidden staging file, brought to this program's schema if it is older,
given its "restore" audit row and checked again; only then is the current chart kept aside (a hard
link, so that there is never a moment without a chart) with its side files, and the staging file
renamed over it with ``os.replace`` (atomic on one file system). Any failure before the rename
removes the staging file and leaves the chart as it was; a failed rename puts the side files back.

The chart must not be open elsewhere while it is restored (the window closes its engine first):
a connection still open would keep writing into the file kept aside.

A damaged chart (:func:`inspect_chart`) is only ever read through a read-only connection; it is moved
aside as ``<name>.<stamp>.damaged`` with its side files beside it (never deleted), so SQLite can
still open it for whatever can be saved from it.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from needlelog.db import cipher, health, migrate, records, seals
from needlelog.db.page_check import EarlyPageCheck
from needlelog.domain.access import AuditAction
from needlelog.domain.errors import NeedlelogError, StorageError
from needlelog.services.backup_files import (
    chart_in_use,
    copy_chart_file,
    copy_failure,
    parse_backup_name,
    remember_mark,
    remembered_mark,
    remove_quietly,
    stamp,
    sync_file,
    sync_folder,
    unused,
)
from needlelog.services.base import Access, Clock, storage_failure, utc_now


@dataclass(frozen=True)
class RestoreResult:
    """What a restore did: which backup, where the chart it replaced was kept, what was migrated."""

    chart: Path
    backup: Path
    aside: Path | None  # the chart as it was before (None: there was none)
    taken_at: datetime | None  # when the backup was taken, when its name says so
    migrated_from: str | None  # the backup's older schema revision, or None when it was at head
    signed_notes: int


@dataclass(frozen=True)
class Recovery:
    """What start-up did with a damaged chart."""

    problems: list[str]
    damaged: Path  # where the damaged file now is
    restored: RestoreResult | None  # None: no backup checked out


def inspect_chart(
    chart: Path, early: EarlyPageCheck | None = None, *, pages: bool = True, key: bytes | None = None
) -> list[str]:
    """The damage found in ``chart`` at start-up, in words (empty: sound, or not there yet), read-only.

    A schema newer than this program is not damage (the program refuses to open it, and says why).
    ``early``: the page check the program started on the file at its start (:mod:`needlelog.db.page_check`);
    ``pages=False``: the whole file's page check is left to the caller (the program's start: after the window).
    ``key``: the file key of an encrypted chart (a key that opens none of its pages is a
    :class:`~needlelog.db.cipher.WrongKeyError`, not damage)."""
    chart = Path(chart)
    try:
        if not chart.is_file() or chart.stat().st_size == 0:
            return []
        problems, _revision, mark = health.examine_from(
            chart, audit_from=remembered_mark(chart), early=early, pages=pages, key=key
        )
        if not problems:
            remember_mark(chart, mark)  # the next start walks on from here
        return problems
    except OSError as exc:
        return [f"the file cannot be read ({exc.strerror or exc})"]


def refuse_damaged(chart: Path, key: bytes | None = None) -> None:
    """Raise :class:`StorageError` naming the damage when ``chart`` is damaged, before anything opens it for
    writing (a command that writes: seed, upgrade); a sound, new or empty chart passes."""
    problems = inspect_chart(chart, key=key)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise StorageError(
            f"{chart} is damaged ({problems[0]}{more}); it was not opened: "
            f"`needlelog check --db {chart}` names the newest good backup."
        )


def set_aside_damaged(chart: Path, *, clock: Clock = utc_now) -> Path:
    """Move ``chart`` and its -wal/-shm/-journal files aside as ``<name>.<stamp>.damaged`` (never deleted);
    returns the new path of the chart file."""
    chart = Path(chart).absolute()
    if not chart.exists():
        raise StorageError(f"There is no chart at {chart} to set aside.")
    aside = unused(chart.with_name(f"{chart.name}.{stamp(clock())}.damaged"))
    try:
        os.rename(chart, aside)
        for side, kept in zip(health.side_files(chart), health.side_files(aside), strict=True):
            if side.exists():
                os.rename(side, kept)
        cipher.copy_side_file(chart, aside)  # the damaged file still opens with its keys; the chart keeps its own
        sync_folder(chart.parent)
    except OSError as exc:
        raise StorageError(f"Cannot move the damaged chart {chart} aside ({exc.strerror or exc}).") from None
    return aside


def recover_at_start(
    chart: Path, folder: Path | None = None, *, clock: Clock = utc_now, key: bytes | None = None
) -> Recovery | None:
    """Start-up's answer to a damaged chart: None when it is sound; otherwise it is moved aside and the
    newest copy in ``folder`` (default: the chart's backup folder) that checks out is restored."""
    chart = Path(chart).absolute()
    problems = inspect_chart(chart, key=key)
    if not problems:
        return None
    from needlelog.services.backups import backup_folder, newest_good_backup  # backups re-exports this module

    folder = folder if folder is not None else backup_folder(chart)
    damaged = set_aside_damaged(chart, clock=clock)
    best = newest_good_backup(folder, chart, key)
    restored = restore(chart, best.path, clock=clock, key=key) if best is not None else None
    return Recovery(problems, damaged, restored)


def restore(
    chart: Path, backup: Path, *, clock: Clock = utc_now, access: Access | None = None, key: bytes | None = None
) -> RestoreResult:
    """Replace ``chart`` by a checked copy of ``backup`` (migrated if older), keeping the current chart aside.

    ``key``: the file key an encrypted backup opens with (the chart's, or the one its own side file gives); the
    restored chart is encrypted as the backup is, with the backup's side file of wrapped keys put beside it
    (the chart's own kept beside the chart set aside). Raises :class:`StorageError` in words and leaves the
    chart as it was when anything fails."""
    chart, backup = Path(chart).absolute(), Path(backup).expanduser().absolute()
    revision = _restorable_revision(chart, backup, key)
    now = clock()
    staging = chart.with_name(f".{chart.name}.restoring-{stamp(now)}")
    remove_quietly(staging)  # a staging file left by a restore that was killed: never a chart
    aside = unused(chart.with_name(f"{chart.stem}.before-restore-{stamp(now)}{chart.suffix}"))
    try:
        copy_chart_file(backup, staging, key)
        _prepare(staging, backup, revision, aside if chart.exists() else None, access or Access(), now, key)
        problems, _revision, mark = health.examine_from(staging, thorough=True, key=key)
        if problems:
            raise StorageError(f"The restored copy of {backup.name} failed its check ({problems[0]}); nothing changed.")
        sync_file(staging)
        kept = _swap(chart, staging, aside, backup)
        remember_mark(chart, mark)
    except NeedlelogError:
        remove_quietly(staging)
        raise
    except cipher.file_errors() as exc:
        remove_quietly(staging)
        raise copy_failure(exc, chart.parent, "the chart is") from None
    named = parse_backup_name(backup)
    return RestoreResult(
        chart,
        backup,
        kept,
        named[1] if named else None,
        revision if revision != migrate.HEAD else None,
        health.signed_note_count(chart, key),
    )


IN_USE = "The chart {chart} is open in another needlelog window or program; close it there, then restore."


def _restorable_revision(chart: Path, backup: Path, key: bytes | None) -> str:
    if backup == chart:
        raise StorageError(f"{backup} is the chart itself; choose a backup copy to restore.")
    if chart_in_use(chart):
        raise StorageError(IN_USE.format(chart=chart))
    if not backup.is_file():
        raise StorageError(f"There is no backup at {backup}.")
    if key is None and cipher.has_keys(backup):
        raise StorageError(f"The backup {backup.name} is encrypted: sign in to restore it (needlelog restore --user).")
    try:
        problems = health.file_problems(backup, thorough=True, key=key)
    except cipher.WrongKeyError:
        raise StorageError(
            f"The backup {backup.name} was encrypted with another key than the one given (another clinic's chart, "
            "or a chart encrypted again since): restore it with the password of an account it was backed up "
            "with, or its recovery key. Nothing changed."
        ) from None
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise StorageError(f"The backup {backup.name} cannot be restored: {problems[0]}{more}.")
    revision = health.schema_revision_of(backup, key)
    if revision is None:
        raise StorageError(f"The backup {backup.name} holds no needlelog chart.")
    migrate.check_not_newer(revision)
    return revision


def _prepare(
    staging: Path, backup: Path, revision: str, aside: Path | None, access: Access, now: datetime, key: bytes | None
) -> None:
    """Bring the staging copy to head, audit the restore in it, and leave it as one self-contained file."""
    key = health.key_for(staging, key)
    engine = cipher.chart_engine(staging, key)
    try:
        if revision != migrate.HEAD:
            with tempfile.TemporaryDirectory(dir=staging.parent, prefix=".restore-") as scratch:
                migrate.upgrade(engine, Path(scratch), at=now)  # its own copy-before-upgrade goes with scratch
        detail = f"restored from {backup.name} (schema {revision})"
        detail += f"; the chart before was kept as {aside.name}" if aside is not None else "; there was no chart before"
        _write_audit(engine, access, now, detail)
    finally:
        engine.dispose()
    with closing(cipher.raw_connect(staging, key)) as conn:
        conn.isolation_level = None
        conn.execute("PRAGMA journal_mode = DELETE")  # the log folded in: one file to rename


def _write_audit(engine: Engine, access: Access, now: datetime, detail: str) -> None:
    try:
        with Session(engine) as db, db.begin():
            if access.seal_key is not None:  # sealed by the one acting when they hold the chart key
                db.info[seals.SEAL_KEY] = access.seal_key
            records.append_audit(db, access.entry(now, AuditAction.RESTORE, detail=detail))
    except Exception as exc:
        failure = storage_failure(exc)
        if failure is None:
            raise
        raise failure from None


def _swap(chart: Path, staging: Path, aside: Path, backup: Path) -> Path | None:
    """Keep ``chart`` (and its side files) as ``aside``, then rename ``staging`` over ``chart``; an encrypted
    backup's side file of wrapped keys goes beside the chart first (the chart's own kept beside ``aside``)."""
    if chart_in_use(chart):  # opened while the backup was being checked
        raise StorageError(IN_USE.format(chart=chart))
    if not chart.exists():
        cipher.copy_side_file(backup, chart)
        os.replace(staging, chart)
        sync_folder(chart.parent)
        return None
    try:
        os.link(chart, aside)  # the chart stays where it is until the rename replaces it
        linked = True
    except OSError:
        linked = False  # a file system without hard links: a plain rename, undone below on failure
        os.rename(chart, aside)
    moved: list[tuple[Path, Path]] = []
    keys_kept = False
    try:
        keys_kept = cipher.copy_side_file(chart, aside)
        for side, kept in zip(health.side_files(chart), health.side_files(aside), strict=True):
            if side.exists():
                os.rename(side, kept)  # a stale write-ahead log must never be replayed onto the restored file
                moved.append((kept, side))
        cipher.copy_side_file(backup, chart)
        os.replace(staging, chart)
        sync_folder(chart.parent)
    except OSError:
        if keys_kept:
            cipher.copy_side_file(aside, chart)
        for kept, side in reversed(moved):
            os.rename(kept, side)
        if linked:
            os.unlink(aside)
        else:
            os.rename(aside, chart)
        raise
    return aside


__all__ = [
    "Recovery",
    "RestoreResult",
    "inspect_chart",
    "recover_at_start",
    "refuse_damaged",
    "restore",
    "set_aside_damaged",
]
