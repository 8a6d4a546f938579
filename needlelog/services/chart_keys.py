"""The chart key at the moments accounts meet it: made by the first account, wrapped for each password set,
unwrapped at sign-in (issue 13). Called by :class:`needlelog.services.access.AccountService` inside its
transactions; the cryptography is :mod:`needlelog.db.chart_key`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from needlelog.db import keyholders, keyring, records, seals
from needlelog.db.chart_key import (
    KeyWrapping,
    WrongKey,
    new_chart_key,
    new_recovery_key,
    seal_key,
    unwrap_with_password,
    unwrap_with_recovery,
    wrap_for_password,
    wrap_for_recovery,
)
from needlelog.db.models import ClinicianRow
from needlelog.domain.access import AuditAction
from needlelog.domain.errors import PermissionDenied
from needlelog.domain.vocab import Role
from needlelog.services.base import Access

WRONG_WRAPPING = (
    "Your account's key to this chart does not open with this password: ask an administrator to set it again."
)
WRONG_RECOVERY = "This is not the recovery key of this chart: check it against the printed copy."


def hold(db: Session, access: Access, key: bytes) -> None:
    """The chart key in memory, and on this transaction, so that what it writes is sealed."""
    access.chart_key = key
    db.info[seals.SEAL_KEY] = seal_key(key)


def make_chart_key(db: Session, access: Access, at: datetime) -> None:
    """A new chart key, its recovery key (kept to be shown once), and every record already there sealed as found,
    audited; the caller then wraps it for the account at hand."""
    key = new_chart_key()
    recovery = new_recovery_key()
    keyring.keep_wrapping(db, None, wrap_for_recovery(key, recovery), at)
    hold(db, access, key)
    access.recovery_key_to_show = recovery
    counts = seals.seal_everything(db)
    detail = (
        f"chart key made; sealed as found: {counts.get(seals.NOTE, 0)} signed notes, "
        f"{counts.get(seals.AMENDMENT, 0)} amendments, {counts.get(seals.FOLLOW_UP, 0)} follow-ups, "
        f"{counts.get(seals.LATE_REPORT, 0)} adverse events reported later, "
        f"{counts.get(seals.AUDIT, 0)} audit rows"
    )
    records.append_audit(db, access.entry(at, AuditAction.CHART_KEY_MADE, detail=detail))


def key_givers(db: Session) -> list[str]:
    """The user names of the active administrators who hold a copy of the chart key: who can give an account one
    (by setting its password)."""
    return [
        row.username
        for row in db.scalars(select(ClinicianRow).where(ClinicianRow.active).order_by(ClinicianRow.username))
        if Role.ADMIN in row.roles and keyring.wrapping_of(db, row.id) is not None
    ]


def givers_words(givers: list[str]) -> str:
    if not givers:
        return "an administrator who holds it (or use the recovery key: `needlelog recover`)"
    return f"{', '.join(givers)} (who hold{'s' if len(givers) == 1 else ''} it)"


def refuse_taking_a_copy(db: Session, access: Access, row: ClinicianRow) -> None:
    """A password set by an administrator without a copy of the key cannot wrap it: it would leave ``row`` without
    the copy it holds (or held: db/keyholders.py), and on an encrypted chart unable to open it at all. Refused,
    saying who can set it; an account that never held a copy may be given a password (it stays without one)."""
    if access.chart_key is not None or not keyring.has_chart_key(db):
        return
    if row.id in keyholders.keyholders(db):
        raise PermissionDenied(
            f"You hold no copy of the chart key, so a password you set would take {row.username}'s copy away: "
            f"ask {givers_words(key_givers(db))} to set it."
        )


def give_key(db: Session, access: Access, account_id: int, password: str, cost: KeyWrapping, at: datetime) -> None:
    """A password was set for ``account_id``: wrap the chart key for it (the first account's makes the key).
    Set by someone who does not hold the key (an administrator without a copy, on a chart upgraded from before
    it), the account gets no copy: it never held one (:func:`refuse_taking_a_copy`) and gets one at the next
    password an administrator who holds the key sets."""
    if not keyring.has_chart_key(db):
        make_chart_key(db, access, at)
    if access.chart_key is None:
        keyring.drop_wrapping(db, account_id)
        return
    # What the account wrote without a copy is sealed as its own now, while it still holds none (a row in the name
    # of an account that holds the key is never sealed for it: db/keyholders.py).
    seals.seal_audit_tail(db)
    keyring.keep_wrapping(db, account_id, wrap_for_password(access.chart_key, password, account_id, cost), at)


def key_at_sign_in(
    db: Session,
    access: Access,
    row: ClinicianRow,
    password: str,
    cost: KeyWrapping,
    at: datetime,
    known: bytes | None = None,
) -> str | None:
    """Unwrap the chart key for an account whose password was just verified (``access.user`` is already it);
    why it cannot sign in otherwise. A chart upgraded from before its key gets one at its first administrator's
    sign-in; until then other accounts sign in without a key (nothing of theirs is sealed yet: all of it will
    be, as found, when the key is made). An account that holds no copy of the key (its password from before the
    key, or set by someone without it) still signs in and charts without it, as every account did before the
    key: what it writes is sealed by the next write that holds the key (:func:`needlelog.db.seals.waiting`), and
    it gets its copy at the next password an administrator sets. ``known``: the key already unwrapped with this
    password from the encrypted chart's file of keys (it opened the chart), not derived a second time."""
    access.chart_key = None
    if not keyring.has_chart_key(db):
        if Role.ADMIN in row.roles:
            make_chart_key(db, access, at)
            give_key(db, access, row.id, password, cost, at)
        return None
    stored = keyring.wrapping_of(db, row.id)
    if stored is None:
        return None  # signs in without the key, as before it existed; the next keyed write seals what it writes
    if known is not None:  # unwrapped from the file of keys with this password, and it opened the chart's file
        hold(db, access, known)
        return None
    try:
        hold(db, access, unwrap_with_password(stored, password, row.id))
    except WrongKey:
        return WRONG_WRAPPING
    return None


def unwrap_for_check(db: Session, username: str, password: str) -> bytes | None:
    """The chart key for `needlelog check --user`, read only (no sign-in is written): None when the chart has none.
    The password is proved by the wrapping opening, which AES-GCM does only with the right key."""
    if not keyring.has_chart_key(db):
        return None
    row = records.account_row(db, username)
    stored = None if row is None else keyring.wrapping_of(db, row.id)
    if row is None or stored is None:
        raise PermissionDenied(f"{username} holds no key to this chart: give another account's --user.")
    try:
        return unwrap_with_password(stored, password, row.id)
    except WrongKey:
        raise PermissionDenied("Wrong user name or password.") from None


def unwrap_recovery(db: Session, recovery: str) -> bytes:
    stored = keyring.wrapping_of(db, None)
    if stored is None:
        raise PermissionDenied("This chart has no recovery key: it has no chart key yet.")
    try:
        return unwrap_with_recovery(stored, recovery)
    except WrongKey:
        raise PermissionDenied(WRONG_RECOVERY) from None
