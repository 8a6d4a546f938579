"""The chart's key copies beside the encrypted chart (issue 13, item 1): ``<chart file name>.keys``.

An encrypted chart cannot be read before its key, so the wrappings the chart's ``key_wrapping`` table holds are
kept beside it too, in a plain owner-only (0600) JSON file: for each active account its user name, its id (the
wrapping's associated data), the Argon2id parameters and salt, the nonce and the ciphertext, and the recovery
key's copy, and each account's password hash as the chart holds it (issue 14: the sign-in checks the password
against it on one core while the copy opens on the other). No secret is in it in the clear: each copy opens only
with its account's password (AES-GCM proves it) or the recovery key, and the hash is Argon2id at the copy's own
cost, so that someone guessing passwords with the file learns nothing the copy did not already let them test.
The hash only saves time: the sign-in takes it as checked only when it is the very hash the opened chart holds
for that account (``AccountService.login``), and checks the chart's own otherwise. The file is rewritten from the
table, atomically (a temporary file, fsync, rename), after each use case that changes a wrapping or who is active
commits (:func:`write_from_chart`).

It also counts the wrong passwords given before the chart could be opened (the chart is closed then): five lock
the account for five minutes, as in the chart, and each is written to the chart's audit trail by the next
sign-in that opens it (:func:`take_unaudited`).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from needlelog.domain.access import FAILED_LOGINS_BEFORE_LOCK, LOGIN_LOCK
from needlelog.domain.errors import PermissionDenied, StorageError

if TYPE_CHECKING:
    from needlelog.db.argon2_memory import WorkingMemory

SUFFIX = ".keys"
VERSION = 1
WRONG_LOGIN = "Wrong user name or password."
KEEP_UNAUDITED = 200  # wrong names typed in a row are kept to this many; older ones are counted, not listed


def side_path(chart: Path) -> Path:
    """Where the side file of ``chart`` lives: beside it, its name with ``.keys`` added."""
    return chart.with_name(chart.name + SUFFIX)


@dataclass(frozen=True)
class AccountCopy:
    """One account's copy of the chart key, as the chart's ``key_wrapping`` table holds it."""

    username: str
    account_id: int
    kdf: str
    nonce: str
    wrapped: str
    # The account's password hash as the chart holds it, so that the sign-in checks the password against it while
    # the copy is being opened, on the other core (services/encryption.py: unlock_for_sign_in); "" when not
    # known (a file written before it was kept). Not part of the copy: a hash made again does not change it.
    password_hash: str = field(default="", compare=False)

    def checked_beside(self) -> str:
        """The hash the sign-in checks beside the chart's opening: this one when it costs no more than the copy
        the password has just opened (someone who can write this file cannot make the check run for longer than
        the opening of the copy itself did); "" otherwise, and the sign-in checks the chart's own hash itself."""
        hashed, copied = _cost_of_hash(self.password_hash), _cost_of_copy(self.kdf)
        if hashed is None or copied is None:
            return ""
        return self.password_hash if all(h <= c for h, c in zip(hashed, copied, strict=True)) else ""


def _cost_of_hash(encoded: str) -> tuple[int, int, int] | None:
    """(memory, passes, lanes) of an Argon2 hash string; None when it is not one."""
    from argon2 import extract_parameters
    from argon2.exceptions import InvalidHashError

    try:
        parameters = extract_parameters(encoded)
    except (InvalidHashError, ValueError):
        return None
    return parameters.memory_cost, parameters.time_cost, parameters.parallelism


def _cost_of_copy(kdf: str) -> tuple[int, int, int] | None:
    """(memory, passes, lanes) of a copy's ``argon2id$m=..,t=..,p=..$salt``; None when it is not one."""
    try:
        name, params, _salt = kdf.split("$")
        values = dict(part.split("=") for part in params.split(","))
        return (int(values["m"]), int(values["t"]), int(values["p"])) if name == "argon2id" else None
    except (ValueError, KeyError):
        return None


@dataclass(frozen=True)
class UnauditedFailure:
    """A wrong password (or a locked account tried) before the chart opened, for its audit trail."""

    username: str
    at: datetime
    role: str  # "unknown" when the name holds no copy here
    detail: str
    locked: bool = False  # this failure locked the account


@dataclass
class SideFile:
    accounts: list[AccountCopy] = field(default_factory=list)
    recovery: tuple[str, str, str] | None = None  # kdf, nonce, wrapped
    failures: dict[str, tuple[int, datetime | None]] = field(default_factory=dict)  # name -> count, locked until
    unaudited: list[UnauditedFailure] = field(default_factory=list)
    dropped: int = 0  # unaudited failures beyond KEEP_UNAUDITED

    def copy_of(self, username: str) -> AccountCopy | None:
        name = username.strip().lower()
        return next((copy for copy in self.accounts if copy.username.lower() == name), None)


# --- reading ------------------------------------------------------------------------------


def read(chart: Path) -> SideFile:
    """The side file of ``chart``; a :class:`StorageError` in words when it is missing or not one."""
    path = side_path(chart)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StorageError(
            f"{path.name}, the file of keys beside the encrypted chart, is missing: put it back from the chart's "
            "backup folder, where each backup keeps its own."
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StorageError(f"{path.name}, the file of keys beside the chart, cannot be read ({exc}).") from None
    try:
        return _from_json(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise StorageError(f"{path.name} is not a needlelog file of keys (it was changed or damaged).") from None


def _from_json(data: dict[str, Any]) -> SideFile:
    if data.get("version") != VERSION:
        raise ValueError("version")
    accounts = [
        AccountCopy(
            str(a["username"]),
            int(a["account_id"]),
            str(a["kdf"]),
            str(a["nonce"]),
            str(a["wrapped"]),
            str(a.get("password_hash") or ""),
        )
        for a in data.get("accounts", [])
    ]
    rec = data.get("recovery")
    recovery = None if rec is None else (str(rec["kdf"]), str(rec["nonce"]), str(rec["wrapped"]))
    failures = {
        str(name): (int(entry["count"]), _when(entry.get("locked_until")))
        for name, entry in data.get("failures", {}).items()
    }
    unaudited = [
        UnauditedFailure(
            str(u["username"]),
            datetime.fromisoformat(u["at"]),
            str(u["role"]),
            str(u["detail"]),
            bool(u.get("locked", False)),
        )
        for u in data.get("unaudited", [])
    ]
    return SideFile(accounts, recovery, failures, unaudited, int(data.get("dropped", 0)))


def _when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


# --- the keys -------------------------------------------------------------------------------


def chart_key_for(chart: Path, username: str, password: str) -> bytes:
    """The chart key from ``username``'s copy, opened with ``password``; :class:`PermissionDenied` ("Wrong user
    name or password.") otherwise, after the same Argon2id work for an unknown name, a name with no copy here and
    a wrong password, so that the answer's time does not tell which names exist. Counts nothing (the sign-in
    window's :func:`sign_in_key` does)."""
    return _unwrap(read(chart), username, password)


def file_key_for(chart: Path, username: str, password: str) -> bytes:
    """SQLCipher's key to ``chart`` (:func:`needlelog.db.cipher.file_key` of the chart key) from ``username``'s
    password; :class:`PermissionDenied` as :func:`chart_key_for`."""
    from needlelog.db.cipher import file_key

    return file_key(chart_key_for(chart, username, password))


def file_key_from_recovery(chart: Path, recovery: str) -> bytes:
    """SQLCipher's key to ``chart`` from the administrator's recovery key."""
    from needlelog.db.cipher import file_key

    return file_key(chart_key_from_recovery(chart, recovery))


def chart_key_from_recovery(chart: Path, recovery: str) -> bytes:
    from needlelog.db.chart_key import Wrapped, WrongKey, unwrap_with_recovery

    side = read(chart)
    if side.recovery is None:
        raise PermissionDenied("This chart's file of keys holds no recovery copy: sign in with an account instead.")
    try:
        return unwrap_with_recovery(Wrapped(*side.recovery), recovery)
    except WrongKey:
        raise PermissionDenied(
            "This is not the recovery key of this chart: check it against the printed copy."
        ) from None


def _unwrap(side: SideFile, username: str, password: str, memory: WorkingMemory | None = None) -> bytes:
    from needlelog.db.chart_key import Wrapped, WrongKey, unwrap_with_password

    copy = side.copy_of(username)
    if copy is None:
        _decoy(side, password, memory)
        raise PermissionDenied(WRONG_LOGIN)
    try:
        stored = Wrapped(copy.kdf, copy.nonce, copy.wrapped)
        return unwrap_with_password(stored, password, copy.account_id, memory)
    except WrongKey:
        raise PermissionDenied(WRONG_LOGIN) from None


def _decoy(side: SideFile, password: str, memory: WorkingMemory | None = None) -> None:
    """One Argon2id derivation at the cost the chart's copies use (in the same memory as theirs), and a copy that
    does not open."""
    from needlelog.db.chart_key import KEY_WRAPPING, Wrapped, WrongKey, unwrap_with_password

    kdf = side.accounts[0].kdf.rsplit("$", 1)[0] if side.accounts else f"argon2id${_params(KEY_WRAPPING)}"
    decoy = Wrapped(f"{kdf}${secrets.token_hex(16)}", secrets.token_hex(12), secrets.token_hex(48))
    with contextlib.suppress(WrongKey):
        unwrap_with_password(decoy, password, 0, memory)


def _params(cost: Any) -> str:
    return f"m={cost.memory_cost},t={cost.time_cost},p={cost.parallelism}"


# --- the sign-in window before the chart opens ------------------------------------------------


def sign_in_key(chart: Path, username: str, password: str, now: datetime, memory: WorkingMemory | None = None) -> bytes:
    """The chart key for the sign-in window, before the chart can be opened: a locked account is refused, a
    wrong password counted (five lock the account for five minutes) and kept for the chart's audit trail;
    the right one clears the count. The words and the Argon2id work are those of the chart's own sign-in, done
    in ``memory`` when it is given (:mod:`needlelog.db.argon2_memory`), for every name alike."""
    return sign_in_copy(chart, username, password, now, memory)[0]


def sign_in_copy(
    chart: Path, username: str, password: str, now: datetime, memory: WorkingMemory | None = None
) -> tuple[bytes, AccountCopy]:
    """:func:`sign_in_key`, with the account's copy it opened (and the hash the file holds beside it)."""
    side = read(chart)
    name = username.strip().lower()
    copy = side.copy_of(name)
    until = side.failures.get(name, (0, None))[1]
    if copy is not None and until is not None and until > now:
        _decoy(side, password, memory)
        _keep_failure(chart, side, UnauditedFailure(copy.username, now, "locked", "account locked"))
        raise PermissionDenied(
            f"This account is locked after {FAILED_LOGINS_BEFORE_LOCK} failed logins; "
            f"try again at {until.astimezone().strftime('%H:%M')}."
        )
    try:
        key = _unwrap(side, name, password, memory)
    except PermissionDenied:
        raise PermissionDenied(_count_failure(chart, side, copy, username, now)) from None
    if name in side.failures:
        del side.failures[name]
        _write(chart, side)
    assert copy is not None  # a copy opened: the name has one
    return key, copy


def _count_failure(chart: Path, side: SideFile, copy: AccountCopy | None, typed: str, now: datetime) -> str:
    if copy is None:
        shown = "".join(ch for ch in typed.strip() if ch.isprintable())[:80] or "?"
        _keep_failure(chart, side, UnauditedFailure(shown, now, "unknown", "before the chart opened"))
        return WRONG_LOGIN
    name = copy.username.lower()
    count = side.failures.get(name, (0, None))[0] + 1
    detail = f"failure {count}, before the chart opened"
    if count < FAILED_LOGINS_BEFORE_LOCK:
        side.failures[name] = (count, None)
        _keep_failure(chart, side, UnauditedFailure(copy.username, now, "account", detail))
        return WRONG_LOGIN
    side.failures[name] = (0, now + LOGIN_LOCK)
    _keep_failure(chart, side, UnauditedFailure(copy.username, now, "account", detail, locked=True))
    return f"{WRONG_LOGIN} The account is now locked for {int(LOGIN_LOCK.total_seconds() // 60)} minutes."


def _keep_failure(chart: Path, side: SideFile, failure: UnauditedFailure) -> None:
    side.unaudited.append(failure)
    if len(side.unaudited) > KEEP_UNAUDITED:
        side.dropped += len(side.unaudited) - KEEP_UNAUDITED
        side.unaudited = side.unaudited[-KEEP_UNAUDITED:]
    _write(chart, side)


def locks(chart: Path, now: datetime) -> dict[str, datetime]:
    """The accounts locked by wrong passwords given before the chart opened, and until when (lower-case names)."""
    side = read(chart)
    return {name: until for name, (_, until) in side.failures.items() if until is not None and until > now}


def take_unaudited(chart: Path) -> tuple[list[UnauditedFailure], int]:
    """The failures kept for the audit trail (and how many more were dropped), cleared from the file: called
    once they are written to the chart."""
    side = read(chart)
    taken, dropped = side.unaudited, side.dropped
    if taken or dropped:
        side.unaudited, side.dropped = [], 0
        _write(chart, side)
    return taken, dropped


# --- writing ----------------------------------------------------------------------------------


def write_copies(chart: Path, accounts: list[AccountCopy], recovery: tuple[str, str, str] | None) -> None:
    """The side file with these copies, the failures counted so far kept (a new file when there is none)."""
    path = side_path(chart)
    try:
        side = read(chart) if path.exists() else SideFile()
    except StorageError:
        side = SideFile()  # a damaged file is replaced by the table's copies; the counts start again
    before = {copy.username.lower(): copy for copy in side.accounts}
    side.accounts = sorted(accounts, key=lambda copy: copy.username.lower())
    side.recovery = recovery
    # A name gone, or whose copy changed (a new password: set by an administrator or with the recovery key),
    # starts again with no wrong passwords counted, as the chart's reset of a password does.
    unchanged = {copy.username.lower() for copy in accounts if before.get(copy.username.lower()) == copy}
    side.failures = {name: value for name, value in side.failures.items() if name in unchanged}
    _write(chart, side)


def write_from_chart(chart: Path, db: Any) -> None:
    """The side file rewritten from the chart's ``key_wrapping`` table (``db``: a session on the open chart),
    with the copies of the active accounts only: a deactivated account's password no longer opens the file
    (the table keeps its copy, for the day it is active again)."""
    from sqlalchemy import select

    from needlelog.db.models import ClinicianRow, KeyWrappingRow

    accounts: list[AccountCopy] = []
    recovery = None
    rows = db.execute(
        select(KeyWrappingRow, ClinicianRow).outerjoin(ClinicianRow, ClinicianRow.id == KeyWrappingRow.clinician_id)
    )
    for wrapping, account in rows:
        if wrapping.clinician_id is None:
            recovery = (wrapping.kdf, wrapping.nonce, wrapping.wrapped)
        elif account is not None and account.active and account.password_hash:
            copy = AccountCopy(account.username, account.id, wrapping.kdf, wrapping.nonce, wrapping.wrapped)
            # The hash only where it costs a guesser at least what the copy beside it does: it adds no easier way
            # to test a password against the file (the program makes both at the same cost).
            hashed, copied = _cost_of_hash(account.password_hash), _cost_of_copy(wrapping.kdf)
            if hashed is not None and copied is not None and hashed[0] >= copied[0] and hashed[1] >= copied[1]:
                copy = replace(copy, password_hash=account.password_hash)
            accounts.append(copy)
    write_copies(chart, accounts, recovery)


def _to_json(side: SideFile) -> dict[str, Any]:
    return {
        "version": VERSION,
        "about": "needlelog: the chart key wrapped for each account and for the recovery key; no secret in clear",
        "accounts": [copy.__dict__ for copy in side.accounts],
        "recovery": None
        if side.recovery is None
        else dict(zip(("kdf", "nonce", "wrapped"), side.recovery, strict=True)),
        "failures": {
            name: {"count": count, "locked_until": None if until is None else until.isoformat()}
            for name, (count, until) in side.failures.items()
        },
        "unaudited": [
            {
                "username": u.username,
                "at": u.at.isoformat(),
                "role": u.role,
                "detail": u.detail,
                "locked": u.locked,
            }
            for u in side.unaudited
        ],
        "dropped": side.dropped,
    }


def _write(chart: Path, side: SideFile) -> None:
    """Atomically: a temporary owner-only file beside it, flushed to the disk, renamed over the old one."""
    path = side_path(chart)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    data = json.dumps(_to_json(side), indent=1, ensure_ascii=False).encode("utf-8")
    try:
        fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
        _sync_folder(path.parent)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise StorageError(f"{path.name}, the file of keys beside the chart, could not be written ({exc}).") from None


def _sync_folder(folder: Path) -> None:
    """The rename itself on the disk (POSIX); where a folder cannot be opened (Windows), nothing is done."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
