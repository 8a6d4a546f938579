"""The files of backups and restores: names, owner-only copies made with SQLite's online backup API,
durable renames, and a full disk in words. Shared by :mod:`backups` and :mod:`restoring`."""

from __future__ import annotations

import errno
import json
import os
import re
from contextlib import closing, suppress
from datetime import UTC, datetime
from pathlib import Path

from needlelog import paths
from needlelog.db import cipher, health
from needlelog.domain.errors import StorageError

STAMP = "%Y%m%dT%H%M%SZ"
MARKS_FILE = "audit-verified.json"  # per PC: the audit row up to which each file's chain was verified
SQLITE_SHM_DMS = 128  # the -shm byte every open connection holds a shared lock on (SQLite's os_unix.c)
# <chart's stem>-<UTC stamp>[-n].sqlite, e.g. needlelog-20260310T163000Z.sqlite
BACKUP_NAME = re.compile(r"^(?P<stem>.+)-(?P<stamp>\d{8}T\d{6}Z)(?:-(?P<n>\d+))?\.sqlite$")


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime(STAMP)


def backup_name_for(chart: Path, folder: Path, at: datetime) -> Path:
    """A new copy's path: the chart's stem and the moment, numbered when that second is taken."""
    base = f"{chart.stem}-{stamp(at)}"
    target = folder / f"{base}.sqlite"
    n = 1
    while target.exists() or _partial(target).exists():
        n += 1
        target = folder / f"{base}-{n}.sqlite"
    return target


def parse_backup_name(path: Path) -> tuple[str, datetime] | None:
    """(the chart's stem, when the copy was taken) from a copy's name; None for any other file."""
    found = BACKUP_NAME.match(path.name)
    if found is None:
        return None
    try:
        taken = datetime.strptime(found["stamp"], STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None
    return found["stem"], taken


def copy_number(path: Path) -> int:
    """Which copy of its second a copy is (1 for the first, n for ``-n``): orders copies taken in one second."""
    found = BACKUP_NAME.match(path.name)
    return int(found["n"]) if found is not None and found["n"] else 1


def unused(path: Path) -> Path:
    """``path``, or ``path`` with a number before its suffix when something (or its side file) is there."""
    candidate, n = path, 1
    while any(p.exists() for p in (candidate, *health.side_files(candidate))):
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def _partial(target: Path) -> Path:
    return target.with_name(f".{target.name}.partial")


def owner_only_folder(folder: Path) -> None:
    """Create ``folder`` (and its parents) readable by the owner only; an existing folder is left as it is."""
    if folder.exists() and not folder.is_dir():
        raise StorageError(f"The backup folder {folder} is a file; choose a folder.")
    try:
        if not folder.exists():
            folder.mkdir(parents=True, mode=0o700)
            folder.chmod(0o700)  # mkdir's mode is masked by the umask
    except OSError as exc:
        raise StorageError(f"Cannot create the backup folder {folder} ({exc.strerror or exc}).") from None


def sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX: fsync the directory)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_chart_file(source: Path, target: Path, key: bytes | None = None) -> None:
    """``source`` copied page by page into the new owner-only file ``target`` with SQLite's online backup
    API (a consistent copy while the program writes), as one self-contained file (rollback journal, no
    write-ahead log beside it), synced to disk. ``target`` is removed when the copy fails.

    An encrypted chart (``key``, its file key) is copied by SQLCipher's backup API into a file keyed with the
    same key: the copy is encrypted page by page as it is written, and never exists in plain form."""
    key = health.key_for(source, key)
    fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    try:
        with health.read_only(source, key) as original, closing(cipher.raw_connect(target, key)) as copy:
            original.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")
        sync_file(target)
    except BaseException:
        remove_quietly(target)
        raise


def remove_quietly(path: Path) -> None:
    """Remove a file this module made (a partial copy, a copy thinned away), its SQLite side files and its side
    file of wrapped keys; what cannot go stays."""
    for candidate in (path, *health.side_files(path), cipher.side_file(path)):
        with suppress(OSError):
            candidate.unlink()


def chart_in_use(chart: Path) -> bool:
    """Whether another process has ``chart`` open (POSIX, write-ahead-log mode): every SQLite connection
    holds a shared lock on one byte of the ``-shm`` file (SQLite's "DMS" slot, byte 128) while it is open,
    and an exclusive lock on that byte is granted only when no other process holds it. Connections of this
    process do not count (POSIX locks belong to the process): the window lets go of its engine itself."""
    if os.name != "posix":
        return False
    import fcntl

    try:
        fd = os.open(f"{chart}-shm", os.O_RDWR)
    except OSError:
        return False  # no shared memory: nobody has the chart open in WAL mode
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, SQLITE_SHM_DMS)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, SQLITE_SHM_DMS)
        return False
    finally:
        os.close(fd)


def remembered_mark(path: Path) -> health.AuditMark | None:
    """The newest audit row of the file at ``path`` whose chain this PC verified (None: none remembered)."""
    try:
        found = json.loads((paths.data_dir() / MARKS_FILE).read_text(encoding="utf-8")).get(str(path.absolute()))
        return (int(found[0]), str(found[1])) if found else None
    except (OSError, ValueError, TypeError, AttributeError, IndexError, KeyError):
        return None  # none yet, or a file this program did not write: the whole trail is walked


def remember_mark(path: Path, mark: health.AuditMark | None) -> None:
    """Remember ``mark`` for the file at ``path`` (best effort: without it the next check walks the whole trail);
    marks of files that are gone are dropped."""
    with suppress(OSError, ValueError, TypeError, AttributeError):
        settings = paths.data_dir() / MARKS_FILE
        try:
            marks = json.loads(settings.read_text(encoding="utf-8"))
            marks = marks if isinstance(marks, dict) else {}
        except (OSError, ValueError):
            marks = {}
        marks = {k: v for k, v in marks.items() if Path(k).exists()}
        if mark is None:
            marks.pop(str(path.absolute()), None)
        else:
            marks[str(path.absolute())] = list(mark)
        partial = settings.with_name(f".{settings.name}.{os.getpid()}.partial")
        fd = os.open(partial, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(marks, handle, indent=0, sort_keys=True)
        os.replace(partial, settings)


def is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return isinstance(exc, cipher.database_errors()) and "full" in str(exc).lower()


def copy_failure(exc: BaseException, folder: Path, what: str) -> StorageError:
    """Why a copy into ``folder`` failed, in words; ``what`` says what stays untouched."""
    if is_disk_full(exc):
        return StorageError(f"The folder {folder} is full; {what} untouched: free some space or choose another folder.")
    if isinstance(exc, UnicodeDecodeError) or (
        isinstance(exc, cipher.database_errors()) and ("malformed" in str(exc) or "not a database" in str(exc))
    ):
        return StorageError(f"The chart is damaged (SQLite says: {exc}); {what} untouched: run `needlelog check`.")
    detail = " ".join(str(getattr(exc, "strerror", None) or exc).split())[:200]
    return StorageError(f"Cannot write a copy in {folder} ({detail}); {what} untouched.")
