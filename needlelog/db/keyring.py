"""The stored copies of the chart key (``key_wrapping``, schema 0014): one per account, one for the recovery key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from needlelog.db.chart_key import Wrapped
from needlelog.db.models import KeyWrappingRow


def has_chart_key(db: Session) -> bool:
    """Whether the chart has a key (a chart made by `seed`, or upgraded and not signed into yet, has none)."""
    return db.scalar(select(KeyWrappingRow.id).limit(1)) is not None


def wrapping_of(db: Session, account_id: int | None) -> Wrapped | None:
    """An account's copy of the chart key, or (``None``) the recovery key's."""
    where = KeyWrappingRow.clinician_id.is_(None) if account_id is None else KeyWrappingRow.clinician_id == account_id
    row = db.scalars(select(KeyWrappingRow).where(where).order_by(KeyWrappingRow.id).limit(1)).first()
    return None if row is None else Wrapped(row.kdf, row.nonce, row.wrapped)


def keep_wrapping(db: Session, account_id: int | None, wrapped: Wrapped, at: datetime) -> None:
    """Store ``wrapped`` as the account's (or the recovery key's) copy, in place of any before it."""
    drop_wrapping(db, account_id)
    row = KeyWrappingRow(clinician_id=account_id, kdf=wrapped.kdf, nonce=wrapped.nonce, wrapped=wrapped.wrapped)
    row.made_at = at
    db.add(row)
    db.flush()


def drop_wrapping(db: Session, account_id: int | None) -> None:
    where = KeyWrappingRow.clinician_id.is_(None) if account_id is None else KeyWrappingRow.clinician_id == account_id
    db.execute(delete(KeyWrappingRow).where(where))


def active_without_copy(db: Session) -> list[str]:
    """The user names of active accounts with a password and no copy of the chart key: none of them could open
    the chart were its file encrypted, so they keep it plain until an administrator sets their passwords."""
    from needlelog.db.models import ClinicianRow

    held = select(KeyWrappingRow.clinician_id).where(KeyWrappingRow.clinician_id.is_not(None))
    rows = db.scalars(
        select(ClinicianRow.username)
        .where(ClinicianRow.active, ClinicianRow.password_hash != "", ClinicianRow.id.not_in(held))
        .order_by(ClinicianRow.username)
    )
    return list(rows)
