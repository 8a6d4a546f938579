"""Encryption at rest (issue 13, item 1): an encrypted chart opened with an account's password or the recovery key,
and a plain chart's file encrypted once every active account holds a copy of its key.

The encryption is a step the program and the command line take on the chart's *file*, when a key holder has the
chart open (:func:`encrypt_when_ready`), never inside the account use cases: charts built with the services alone
(the tests' and the benchmarks' seeded charts) stay plain until someone signs in to them through the program.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from needlelog.db import keyfile, keyring
from needlelog.db.argon2_memory import WorkingMemory
from needlelog.db.cipher import encrypt_copy, file_key
from needlelog.db.engine import shown, sqlite_path
from needlelog.domain.errors import NeedlelogError, StorageError
from needlelog.services.access import PasswordCheck
from needlelog.services.base import Access, Clock, utc_now
from needlelog.services.store import Services, encrypted_chart, open_chart


def chart_file(target: str | os.PathLike[str]) -> Path:
    """The encrypted chart's file that ``target`` names; a :class:`StorageError` when it is not one."""
    path = encrypted_chart(target)
    if path is None:
        raise StorageError(f"{shown(os.fspath(target))} is not an encrypted needlelog chart.")
    return path


def file_key_of(chart_key: bytes) -> bytes:
    """SQLCipher's key to the chart's file, from the chart key."""
    return file_key(chart_key)


def unlock(target: str | os.PathLike[str], username: str, password: str, clock: Clock = utc_now) -> bytes:
    """The chart key ``username``'s password unwraps from the encrypted chart's file of keys: a locked account is
    refused, a wrong password counted (five lock the account) and kept for the audit trail; :class:`PermissionDenied`
    in the sign-in's own words."""
    return keyfile.sign_in_key(chart_file(target), username, password, clock())


@dataclass(frozen=True)
class Unlocked:
    """What the sign-in window's Enter gave on an encrypted chart: the chart key the password unwrapped, and the
    same password being checked meanwhile against the account's hash in the file of keys (None when the file
    holds none), for :meth:`AccountService.login`."""

    chart_key: bytes
    check: PasswordCheck | None


def unlock_for_sign_in(
    target: str | os.PathLike[str],
    username: str,
    password: str,
    clock: Clock = utc_now,
    memory: WorkingMemory | None = None,
) -> Unlocked:
    """:func:`unlock`, then the password's check against the account's hash started on the other core
    (:class:`PasswordCheck`), to run while the chart is opened (issue 14); both derivations in ``memory``, the
    sign-in's working memory, when it is given (:mod:`needlelog.db.argon2_memory`)."""
    path = chart_file(target)
    chart_key, copy = keyfile.sign_in_copy(path, username, password, clock(), memory)
    stored = copy.checked_beside()
    return Unlocked(chart_key, PasswordCheck(stored, password, memory) if stored else None)


def open_unlocked(
    target: str | os.PathLike[str], chart_key: bytes, clock: Clock = utc_now, *, upgrade: bool = True, **costs: object
) -> Services:
    """The encrypted chart opened with the key :func:`unlock` gave; the wrong passwords given before it opened
    are written to its audit trail now."""
    path = chart_file(target)
    services = open_chart(target, clock, create=False, upgrade=upgrade, key=file_key(chart_key), **costs)  # type: ignore[arg-type]
    try:
        services.accounts.record_failures_before_open(*keyfile.take_unaudited(path))
    except BaseException:
        services.close()
        raise
    return services


def open_with_password(
    target: str | os.PathLike[str],
    username: str,
    password: str,
    clock: Clock = utc_now,
    *,
    upgrade: bool = True,
    **costs: object,
) -> tuple[Services, bytes]:
    """The encrypted chart opened with the key ``username``'s password unwraps from its file of keys, and that
    chart key (for :meth:`AccountService.login`, which then signs in as on a plain chart: the password hash,
    the lock, the audit). A wrong password is counted there (five lock the account) and written to the audit
    trail by the next opening; :class:`PermissionDenied` in the sign-in's own words."""
    chart_key = unlock(target, username, password, clock)
    return open_unlocked(target, chart_key, clock, upgrade=upgrade, **costs), chart_key


def open_with_recovery(
    target: str | os.PathLike[str], recovery: str, clock: Clock = utc_now, *, upgrade: bool = False, **costs: object
) -> Services:
    """The encrypted chart opened with the administrator's recovery key (`needlelog recover`)."""
    path = chart_file(target)
    key = keyfile.file_key_from_recovery(path, recovery)
    return open_chart(target, clock, create=False, upgrade=upgrade, key=key, **costs)  # type: ignore[arg-type]


def waiting_for(services: Services) -> list[str] | None:
    """Why the open chart's file is not encrypted yet: the active accounts that hold no copy of its key (none:
    it can be encrypted now). None when there is nothing to encrypt here: a server, a file already encrypted,
    a chart without a key yet, or nobody holding it in memory."""
    engine = services._engine
    path = sqlite_path(engine.url)
    if path is None or engine.url.drivername == "sqlite+pysqlcipher" or services.access.chart_key is None:
        return None
    with Session(engine) as db, db.begin():
        if not keyring.has_chart_key(db):
            return None
        return keyring.active_without_copy(db)


def waiting_words(names: list[str] | None) -> str:
    """What an administrator is told while keyless accounts keep the chart's file plain; empty otherwise."""
    if not names:
        return ""
    who = ", ".join(names)
    return (
        f"The chart's file is not encrypted yet: {who} {'holds' if len(names) == 1 else 'hold'} no copy of its key. "
        "Set their passwords in Users; it is encrypted at the next sign-in after that."
    )


def encrypt_when_ready(services: Services, clock: Clock = utc_now) -> tuple[Services, str | None]:
    """The open plain chart's file encrypted, when the one acting holds its key and every active account holds a
    copy (:func:`waiting_for`): the services of the chart as it is now (new ones when it was encrypted: the old
    are closed), and what went wrong when the encryption failed (the chart is then as it was, opened again)."""
    if waiting_for(services) != []:
        return services, None
    try:
        return encrypt_chart(services, clock), None
    except NotEncrypted as failed:
        return failed.services, str(failed)


class NotEncrypted(StorageError):
    """The encryption failed before the encrypted copy took the plain file's place: the chart is as it was, and
    ``services`` has it open again, signed in as before."""

    def __init__(self, words: str, services: Services) -> None:
        super().__init__(words)
        self.services = services


def encrypt_chart(services: Services, clock: Clock = utc_now) -> Services:
    """Encrypt the open plain chart's file in place: its file of keys written first (from the chart's table), a
    backup taken, the write-ahead log folded in, an encrypted copy made and checked beside it and renamed over
    it, the chart opened again encrypted, and audited ("chart encrypted"). Returns the new services, signed in
    as the old ones were (the old are closed). A failure before the rename leaves the plain chart as it was
    (:class:`NotEncrypted`, with it open again)."""
    path = sqlite_path(services._engine.url)
    key = services.access.chart_key
    if path is None or key is None:
        raise StorageError("Only a chart file whose key is held can be encrypted.")
    with Session(services._engine) as db, db.begin():
        keyfile.write_from_chart(path, db)  # before the file needs it: a crash after the rename still opens
    access = services.access
    costs = dict(zip(("hasher", "wrapping"), services.accounts.costs(), strict=True))
    services.close()
    try:
        backup = _backup(path, clock, access)
        _fold_in_write_ahead_log(path)
        encrypt_copy(path, path, file_key(key))
    except (NeedlelogError, OSError, sqlite3.Error) as exc:
        plain = open_chart(path, clock, create=False, **costs)  # type: ignore[arg-type]
        plain.access.__dict__.update(access.__dict__)
        raise NotEncrypted(f"The chart's file could not be encrypted, so it stays as it was: {exc}", plain) from None
    for suffix in ("-wal", "-shm"):  # the plain file's, emptied above; the encrypted file starts its own
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    encrypted = open_chart(path, clock, create=False, key=file_key(key), **costs)  # type: ignore[arg-type]
    encrypted.access.__dict__.update(access.__dict__)  # who is signed in, their key, a recovery key to show
    encrypted.accounts.record_encryption(f"the chart's file encrypted with SQLCipher; {backup}")
    _encrypt_backups(path, file_key(key))
    return encrypted


def _backup(path: Path, clock: Clock, access: Access) -> str:
    """A checked backup of the plain chart before its file is replaced; what was done, in words."""
    from needlelog.services import backups

    info = backups.take_backup(path, clock=clock, reason="before the chart's encryption", access=access)
    if info is None:
        return "its newest backup was already of the chart as it is"
    return f"backup {info.path.name} taken first"


def _fold_in_write_ahead_log(path: Path) -> None:
    """Every committed page into the file itself, so the copy reads the whole chart and no plain write-ahead
    log is left beside the encrypted file."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _encrypt_backups(path: Path, key: bytes) -> None:
    """The plain backups left in the backup folder, encrypted in place with the same key (each with the file of
    keys beside it): no plain copy of the chart stays behind."""
    from needlelog.services import backups

    backups.encrypt_plain_backups(backups.backup_folder(path), key, path)
