"""Backups of a SQLite chart (SPEC §7): verified copies, audited, thinned to 12 daily / 10 weekly / 9 monthly.

A copy is made with SQLite's online backup API into a hidden owner-only file in the backup folder,
re-opened read-only and checked (pages, schema, audit chain) and only then renamed into place; only
after that are older copies thinned (:mod:`needlelog.domain.backup_schedule`). The chart's audit trail
gets a "backup" row naming the copy. A chart unchanged since the newest copy in the folder is skipped:
the two files' :func:`~needlelog.db.health.content_marker` agree (it leaves the backup rows out, so
the row a backup writes does not count as a change).

The backup folder belongs to the PC, not to the chart (another PC sharing nothing has its own disks),
so it is kept per chart in a small JSON file in the data folder (:func:`backup_folder`), not in the
chart. Restores and damaged charts are in :mod:`needlelog.services.restoring`, re-exported here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy.orm import Session

from needlelog import paths
from needlelog.db import cipher, health, records, seals
from needlelog.domain.access import AuditAction
from needlelog.domain.backup_schedule import copies_to_remove
from needlelog.domain.errors import NeedlelogError, StorageError
from needlelog.services.backup_files import (
    backup_name_for,
    copy_chart_file,
    copy_failure,
    copy_number,
    owner_only_folder,
    parse_backup_name,
    remember_mark,
    remembered_mark,
    remove_quietly,
    sync_folder,
)
from needlelog.services.base import Access, Clock, storage_failure, utc_now
from needlelog.services.restoring import (  # one module for the window to import
    Recovery,
    RestoreResult,
    inspect_chart,
    recover_at_start,
    refuse_damaged,
    restore,
    set_aside_damaged,
)

__all__ = [
    "BackupInfo",
    "Recovery",
    "RestoreResult",
    "backup_folder",
    "choose_backup_folder",
    "default_backup_folder",
    "encrypt_plain_backups",
    "inspect_chart",
    "list_backups",
    "newest_good_backup",
    "recover_at_start",
    "refuse_damaged",
    "restore",
    "set_aside_damaged",
    "take_backup",
    "thin_backups",
]

SETTINGS_FILE = "backup-folders.json"
CHECK_OK = "ok"


@dataclass(frozen=True)
class BackupInfo:
    """One copy in the backup folder."""

    path: Path
    taken_at: datetime
    size_bytes: int
    signed_notes: int
    check: str  # "ok", or the first problem found, in words

    @property
    def good(self) -> bool:
        return self.check == CHECK_OK


# --- where the copies go -------------------------------------------------------------------


def default_backup_folder(chart: Path) -> Path:
    """Beside the data: ``<chart's folder>/<chart's stem>-backups`` (each chart its own folder)."""
    chart = Path(chart).absolute()
    return chart.with_name(f"{chart.stem}-backups")


def _settings_path() -> Path:
    return paths.data_dir() / SETTINGS_FILE


def _chosen_folders() -> dict[str, str]:
    try:
        found = json.loads(_settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # none chosen yet, or a file this program did not write: the default applies
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def backup_folder(chart: Path) -> Path:
    """The folder this PC backs ``chart`` up into: the one chosen in the settings, else the default."""
    chosen = _chosen_folders().get(str(Path(chart).absolute()))
    return Path(chosen) if chosen else default_backup_folder(chart)


def choose_backup_folder(chart: Path, folder: Path | None) -> Path:
    """Remember ``folder`` as this PC's backup folder for ``chart`` (None: back to the default)."""
    chart = Path(chart).absolute()
    chosen = _chosen_folders()
    if folder is None:
        chosen.pop(str(chart), None)
    else:
        folder = _usable_folder(chart, folder)
        chosen[str(chart)] = str(folder)
    settings = _settings_path()
    partial = settings.with_name(f".{settings.name}.partial")
    try:
        fd = os.open(partial, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(chosen, handle, indent=1, sort_keys=True)
        os.replace(partial, settings)
    except OSError as exc:
        raise StorageError(f"Cannot save the backup folder setting in {settings.parent} ({exc.strerror}).") from None
    return backup_folder(chart)


def _usable_folder(chart: Path, folder: Path) -> Path:
    try:
        folder = Path(folder).expanduser().absolute()
    except RuntimeError:
        raise StorageError(f"The backup folder {folder}: no such user's home folder.") from None
    if folder == chart or (folder.exists() and not folder.is_dir()):
        raise StorageError(f"The backup folder {folder} is a file; choose a folder.")
    return folder


# --- taking a copy -------------------------------------------------------------------------


def take_backup(
    chart: Path,
    folder: Path | None = None,
    *,
    clock: Clock = utc_now,
    reason: str = "",
    access: Access | None = None,
    key: bytes | None = None,
) -> BackupInfo | None:
    """Copy ``chart`` into ``folder`` (default: :func:`backup_folder`), check the copy, audit it, thin the
    older ones. None when the chart has not changed since the newest copy there (nothing is written).

    ``reason`` goes into the audit row ("after changes", "daily", "command line"); ``access`` says who
    is acting (the system by default). Raises :class:`StorageError` in words (a full disk included): the
    chart and every earlier copy are left as they were. ``key``: the file key of an encrypted chart; its copy
    is encrypted with the same key, and the side file of wrapped keys is copied beside it (issue 13)."""
    chart = Path(chart).absolute()
    folder = _usable_folder(chart, folder if folder is not None else backup_folder(chart))
    if not chart.is_file():
        raise StorageError(f"There is no chart at {chart} to back up.")
    try:
        if chart.stat().st_size == 0:
            raise StorageError(f"{chart} holds no needlelog chart yet; there is nothing to back up.")
        _refuse_without_its_key(chart, key)
        owner_only_folder(folder)
        if _unchanged_since_newest(chart, folder, key):
            return None
        now = clock()
        info = _verified_copy(chart, folder, now, key)
    except NeedlelogError:
        raise
    except cipher.file_errors() as exc:
        raise copy_failure(exc, folder, "the chart and the earlier backups are") from None
    identity = health.chart_identity(chart, key)  # read before the audit row, whose writer tidies the side files
    _audit(chart, info, reason, access or Access(), now, key)
    thin_backups(folder, chart, keep=info.path, identity=identity, key=key)
    return info


def _refuse_without_its_key(chart: Path, key: bytes | None) -> None:
    """An encrypted chart is copied only with its own key: without one, or with another, it would be called
    damaged (SQLCipher says "file is not a database" to both)."""
    if key is None and cipher.has_keys(chart):
        raise StorageError(f"{chart.name} is encrypted: its backup needs the key of an account signed in.")
    if key is not None and cipher.is_encrypted(chart):
        cipher.raise_if_wrong_key(chart, key)


def _unchanged_since_newest(chart: Path, folder: Path, key: bytes | None) -> bool:
    newest = _copies_of(folder, chart)
    if not newest:
        return False
    if cipher.is_encrypted(newest[0][0]) != cipher.is_encrypted(chart):
        return False  # the chart was encrypted since: its copies are to be encrypted too
    unreadable: tuple[type[Exception], ...] = (*cipher.database_errors(), UnicodeDecodeError, NeedlelogError)
    try:
        return health.content_marker(newest[0][0], key) == health.content_marker(chart, key)
    except unreadable:
        return False  # the newest copy cannot be read (or not with this key): a new one is due


def _verified_copy(chart: Path, folder: Path, now: datetime, key: bytes | None) -> BackupInfo:
    target = backup_name_for(chart, folder, now)
    partial = target.with_name(f".{target.name}.partial")
    copy_chart_file(chart, partial, key)
    # The copy's trail is the chart's: walked on from the row this PC last verified in the chart.
    problems, revision, mark = health.examine_from(partial, audit_from=remembered_mark(chart), key=key)
    if not problems and revision is None:
        remove_quietly(partial)
        raise StorageError(f"{chart} holds no needlelog chart yet; there is nothing to back up.")
    if problems:
        remove_quietly(partial)
        raise StorageError(
            f"The backup copy failed its check ({problems[0]}); no copy was kept: run `needlelog check` on the chart."
        )
    try:
        size, signed = partial.stat().st_size, health.signed_note_count(partial, key)
        if cipher.is_encrypted(partial):
            cipher.copy_side_file(chart, target)  # beside the copy before the copy is there
        os.replace(partial, target)
        sync_folder(folder)
    except BaseException:
        remove_quietly(partial)
        cipher.side_file(target).unlink(missing_ok=True)
        raise
    remember_mark(chart, mark)
    remember_mark(target, mark)
    return BackupInfo(target, now, size, signed, CHECK_OK)


def _audit(chart: Path, info: BackupInfo, reason: str, access: Access, now: datetime, key: bytes | None) -> None:
    detail = f"copy {info.path.name} in {info.path.parent}: {info.size_bytes} bytes, {info.signed_notes} signed notes"
    detail += f", checked ok; {reason}" if reason else ", checked ok"
    try:
        engine = cipher.chart_engine(chart, key)
        try:
            with Session(engine) as db, db.begin():
                if access.seal_key is not None:  # sealed by the one acting when they hold the chart key
                    db.info[seals.SEAL_KEY] = access.seal_key
                records.append_audit(db, access.entry(now, AuditAction.BACKUP, detail=detail))
        finally:
            engine.dispose()
    except Exception as exc:
        failure = exc if isinstance(exc, NeedlelogError) else storage_failure(exc)
        if failure is None:
            raise
        raise StorageError(
            f"The backup {info.path} was made and checked, but not audited in the chart: {failure}"
        ) from None


# --- the copies in a folder ----------------------------------------------------------------


def _copies_of(folder: Path, chart: Path | None) -> list[tuple[Path, datetime]]:
    """(path, taken at) of the copies in ``folder`` (of ``chart`` only, when given), newest first."""
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return []
    found = []
    for path in entries:
        parsed = parse_backup_name(path)
        if parsed is None or not path.is_file():
            continue
        stem, taken = parsed
        if chart is None or stem == Path(chart).stem:
            found.append((path, taken))
    return sorted(found, key=lambda item: (item[1], copy_number(item[0])), reverse=True)


def describe_backup(path: Path, taken_at: datetime, key: bytes | None = None) -> BackupInfo:
    """One copy with its size, signed-note count and check result (read-only); an encrypted copy is read with
    ``key`` (a copy another key encrypted is not good: it says so)."""
    try:
        problems = health.examine_from(path, audit_from=remembered_mark(path), key=key)[0]
        signed = health.signed_note_count(path, key) if not problems else 0
        size = path.stat().st_size
    except cipher.WrongKeyError:
        return BackupInfo(path, taken_at, 0, 0, "it was encrypted with another key than this chart's")
    except cipher.file_errors() as exc:
        return BackupInfo(path, taken_at, 0, 0, f"it cannot be read ({exc})")
    return BackupInfo(path, taken_at, size, signed, problems[0] if problems else CHECK_OK)


def list_backups(folder: Path, chart: Path | None = None, key: bytes | None = None) -> list[BackupInfo]:
    """The copies in ``folder`` (only ``chart``'s, when given), newest first, each checked (``key``: the
    chart's file key, for its encrypted copies)."""
    return [describe_backup(path, taken, key) for path, taken in _copies_of(folder, chart)]


def newest_good_backup(folder: Path, chart: Path | None = None, key: bytes | None = None) -> BackupInfo | None:
    """The newest copy in ``folder`` that checks out (only ``chart``'s, when given); older ones are
    checked only as far as needed."""
    for path, taken in _copies_of(folder, chart):
        info = describe_backup(path, taken, key)
        if info.good:
            return info
    return None


def thin_backups(
    folder: Path,
    chart: Path,
    *,
    keep: Path | None = None,
    identity: str | Literal[False] | None = False,
    key: bytes | None = None,
) -> list[Path]:
    """Remove ``chart``'s copies in ``folder`` that the 12/10/9 rule no longer keeps; returns them.

    Only copies of this very chart count: two PCs' charts of the same name backed up into one shared folder
    must not thin each other's copies, so a copy is this chart's when its first audit row is the chart's
    (:func:`health.chart_identity`, read now unless ``identity`` is given) or when it has none yet."""
    if identity is False:
        identity = health.chart_identity(chart, key)
    copies = [
        (path, taken) for path, taken in _copies_of(folder, chart) if _identity_of_copy(path, key) in (None, identity)
    ]
    going = set(copies_to_remove(taken for _, taken in copies))
    removed = [path for path, taken in copies if taken in going and path != keep]
    for path in removed:
        remove_quietly(path)
    return removed


_IDENTITIES: dict[tuple[str, int, int], str | None] = {}


def _identity_of_copy(path: Path, key: bytes | None = None) -> str | None:
    """:func:`health.chart_identity` of a copy, remembered while the file is unchanged (copies never change, and
    every backup looks at all of them)."""
    try:
        found = path.stat()
    except OSError:
        return None
    remembered = (str(path), found.st_mtime_ns, found.st_size)
    if remembered not in _IDENTITIES:
        if len(_IDENTITIES) > 1000:
            _IDENTITIES.clear()
        _IDENTITIES[remembered] = health.chart_identity(path, key)
    return _IDENTITIES[remembered]


def total_size(infos: Iterable[BackupInfo]) -> int:
    return sum(info.size_bytes for info in infos)


def encrypt_plain_backups(folder: Path, key: bytes, chart: Path) -> list[Path]:
    """After ``chart`` was encrypted (issue 13): each plain copy of it in ``folder`` — its backups, and the
    copies kept before an upgrade or a restore, there and beside the chart — encrypted in place with the
    chart's file key, so that no plain copy of the records stays behind. Each is encrypted into a new file
    beside it, checked (its integrity, every table's row count: :func:`~needlelog.db.cipher.encrypt_copy`) and
    only then renamed over the plain one; the chart's side file of wrapped keys is written beside it first.
    Returns the copies encrypted; a copy that fails is left plain and named in the :class:`StorageError`
    raised after the others are done."""
    chart = Path(chart).absolute()
    failed: list[str] = []
    done: list[Path] = []
    refused: tuple[type[Exception], ...] = (NeedlelogError, *cipher.file_errors())
    for path in _plain_copies(Path(folder), chart):
        try:
            cipher.copy_side_file(chart, path)
            cipher.encrypt_copy(path, path, key)
        except refused as exc:
            remove_quietly(path.with_name(f".{path.name}.partial"))
            failed.append(f"{path.name} ({' '.join(str(exc).split())[:120]})")
            continue
        for side in health.side_files(path):
            side.unlink(missing_ok=True)
        done.append(path)
    if done:
        sync_folder(Path(folder))
    if failed:
        raise StorageError(
            f"{len(failed)} plain backup(s) in {folder} could not be encrypted and stay readable without a "
            f"password: {failed[0]}; move them somewhere safe or delete them."
        )
    return done


def _plain_copies(folder: Path, chart: Path) -> list[Path]:
    """The copies of ``chart`` that are plain: its backups and the copies made before an upgrade in ``folder``,
    and beside the chart itself the copies made before an upgrade (their default place) and the charts kept
    aside by a restore. A chart set aside as damaged is left as it is (its check would fail)."""
    kept = (f"{chart.stem}.before-upgrade-from-", f"{chart.stem}.before-restore-")
    beside = {p for p in [*_files_in(folder), *_files_in(chart.parent)] if p.name.startswith(kept)}
    candidates = [path for path, _taken in _copies_of(folder, chart)] + sorted(beside)
    plain = []
    for path in candidates:
        try:
            if path.is_file() and path.stat().st_size > 0 and not cipher.is_encrypted(path) and path != chart:
                plain.append(path)
        except OSError:
            continue
    return plain


def _files_in(folder: Path) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if p.is_file() and not p.name.endswith((".keys", "-wal", "-shm"))]
    except OSError:
        return []
