"""Accounts, the audit trail, amendments, needle lots and the adverse-event register, as tables.

The audit trail is a chain: each row stores the SHA-256 of its content and of the row before
(:func:`needlelog.domain.access.audit_hash`). Appending reads the last hash and writes the new
row in the caller's transaction; SQLite's BEGIN IMMEDIATE and, on PostgreSQL, a transaction-level
advisory lock keep two writers from chaining onto the same row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from needlelog.db import seals
from needlelog.db.engine import read_snapshot
from needlelog.db.models import (
    AmendmentRow,
    AuditRow,
    ClinicianRow,
    FollowUpRow,
    NeedleLotRow,
    PatientRow,
    SessionRow,
    SiteRow,
)
from needlelog.domain.access import GENESIS, AuditAction, AuditEntry, audit_hash, first_broken
from needlelog.domain.lots import NeedleLot, lot_key
from needlelog.domain.model import Amendment
from needlelog.domain.registers import AuditLine, RecallHit
from needlelog.domain.search import chart_key
from needlelog.domain.vocab import SessionStatus

AUDIT_LOCK = 7_261_000  # PostgreSQL advisory lock key: one audit writer at a time


# --- accounts ------------------------------------------------------------------------------


def account_row(db: Session, username: str) -> ClinicianRow | None:
    return db.scalars(select(ClinicianRow).where(func.lower(ClinicianRow.username) == username.strip().lower())).first()


def account_row_by_id(db: Session, account_id: int) -> ClinicianRow | None:
    return db.get(ClinicianRow, account_id)


# --- the audit trail -----------------------------------------------------------------------


def holds_real_signed_notes(db: Session) -> bool:
    """Whether a clinician signed a note in this chart through the program (its audit trail says so; seeded
    notes are written signed, without that row), or it holds signed notes no seed accounts for (a chart from
    before the audit trail, or one whose seeds were never audited): a clinic's records either way."""
    signed = select(AuditRow.id).where(AuditRow.action == AuditAction.SESSION_SIGNED).limit(1)
    if db.execute(signed).first() is not None:
        return True
    seeded = select(AuditRow.id).where(AuditRow.action == AuditAction.CHART_SEEDED).limit(1)
    any_signed = select(SessionRow.id).where(SessionRow.status == SessionStatus.SIGNED).limit(1)
    return db.execute(seeded).first() is None and db.execute(any_signed).first() is not None


def append_audit(db: Session, entry: AuditEntry) -> AuditEntry:
    """Chain ``entry`` onto the last row and add it, in the caller's transaction."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK})
    last = db.execute(select(AuditRow.row_hash).order_by(AuditRow.id.desc()).limit(1)).scalar()
    previous = last or GENESIS
    # No detail is stored as "" (the column's default): hashed as stored, or the row would read as changed.
    stamped = replace(entry, at=entry.at.astimezone(UTC), previous_hash=previous, detail=entry.detail or "")
    digest = audit_hash(stamped, previous)
    row = AuditRow(
        at=stamped.at,
        user_name=entry.user,
        role=entry.role,
        action=entry.action,
        patient_id=entry.patient_id,
        session_id=entry.session_id,
        detail=stamped.detail,
        previous_hash=previous,
        row_hash=digest,
    )
    db.add(row)
    db.flush()
    seals.seal_row(db, seals.AUDIT, row.id)  # with the key of the one acting, when they hold it
    return replace(stamped, row_hash=digest, id=row.id)


def _entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        at=row.at,
        user=row.user_name,
        role=row.role,
        action=row.action,
        patient_id=row.patient_id,
        session_id=row.session_id,
        detail=row.detail,
        previous_hash=row.previous_hash,
        row_hash=row.row_hash,
        id=row.id,
    )


def audit_lines(
    db: Session,
    since: datetime,
    until: datetime,
    user: str | None = None,
    chart_number: str | None = None,
    limit: int | None = 2000,
    action: AuditAction | None = None,
) -> list[AuditLine]:
    stmt = (
        select(AuditRow, PatientRow.chart_number)
        .outerjoin(PatientRow, PatientRow.id == AuditRow.patient_id)
        .where(AuditRow.at >= since, AuditRow.at < until)
        .order_by(AuditRow.at.desc(), AuditRow.id.desc())
        .limit(limit)
    )
    if user:
        stmt = stmt.where(func.lower(AuditRow.user_name) == user.strip().lower())
    if chart_number:
        stmt = stmt.where(PatientRow.chart_number == chart_key(chart_number))
    if action is not None:
        stmt = stmt.where(AuditRow.action == action)
    return [AuditLine(_entry(row), chart or "") for row, chart in db.execute(stmt)]


def audit_chain_problem(engine: Engine, batch: int = 5000) -> str | None:
    """The first audit row whose chain is broken, in words; None when the whole trail holds."""

    def rows() -> Iterator[AuditEntry]:
        last_id = 0
        with Session(read_snapshot(engine)) as db, db.begin():  # a reader: never waits for a writer
            while True:
                chunk = db.scalars(
                    select(AuditRow).where(AuditRow.id > last_id).order_by(AuditRow.id).limit(batch)
                ).all()
                if not chunk:
                    return
                for row in chunk:
                    yield _entry(row)
                last_id = chunk[-1].id
                db.expunge_all()

    previous = GENESIS
    for entry in rows():
        broken = first_broken([entry], previous)
        if broken is not None:
            bad, why = broken
            when = bad.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            return f"audit trail: row {bad.id} ({when}, {bad.user}, {bad.action.value}): {why}"
        previous = entry.row_hash
    return None


# --- amendments ----------------------------------------------------------------------------


def add_amendment(db: Session, session_id: int, author_id: int, at: datetime, reason: str, body: str) -> None:
    row = AmendmentRow(session_id=session_id, author_id=author_id, written_at=at, reason=reason, text=body)
    db.add(row)
    db.flush()
    seals.seal_row(db, seals.AMENDMENT, row.id)


def amendments_of(db: Session, session_ids: Sequence[int]) -> dict[int, tuple[Amendment, ...]]:
    if not session_ids:
        return {}
    found: dict[int, list[Amendment]] = {}
    stmt = (
        select(AmendmentRow, ClinicianRow.display_name)
        .join(ClinicianRow, ClinicianRow.id == AmendmentRow.author_id)
        .where(AmendmentRow.session_id.in_(session_ids))
        .order_by(AmendmentRow.id)
    )
    for row, author in db.execute(stmt):
        found.setdefault(row.session_id, []).append(Amendment(author, row.written_at, row.reason, row.text))
    return {key: tuple(value) for key, value in found.items()}


# --- needle lots ---------------------------------------------------------------------------


def add_lot(db: Session, lot: NeedleLot, at: datetime) -> NeedleLot:
    row = NeedleLotRow(brand=lot.brand, size=lot.size, lot=lot.lot, expiry=lot.expiry, added_at=at)
    db.add(row)
    db.flush()
    return NeedleLot(row.brand, row.size, row.lot, row.expiry, row.id)


def lots(db: Session) -> list[NeedleLot]:
    return [
        NeedleLot(r.brand, r.size, r.lot, r.expiry, r.id)
        for r in db.scalars(select(NeedleLotRow).order_by(NeedleLotRow.expiry.desc(), NeedleLotRow.lot))
    ]


def keeps_lots(db: Session) -> bool:
    """Whether the clinic keeps a needle-lot inventory at all (then a lot outside it is refused)."""
    return db.scalar(select(NeedleLotRow.id).limit(1)) is not None


def lot_named(db: Session, lot: str) -> NeedleLot | None:
    r = db.scalars(select(NeedleLotRow).where(func.lower(NeedleLotRow.lot) == lot_key(lot))).first()
    return None if r is None else NeedleLot(r.brand, r.size, r.lot, r.expiry, r.id)


def recall(db: Session, lot: str) -> list[RecallHit]:
    stmt = (
        select(
            SessionRow.id,
            SessionRow.service_start,
            PatientRow.chart_number,
            PatientRow.given_name,
            PatientRow.family_name,
            ClinicianRow.display_name,
            SiteRow.position,
            SiteRow.needles,
            PatientRow.phone,
        )
        .join(SessionRow, SessionRow.id == SiteRow.session_id)
        .join(PatientRow, PatientRow.id == SessionRow.patient_id)
        .join(ClinicianRow, ClinicianRow.id == SessionRow.clinician_id)
        .where(func.lower(SiteRow.needle_lot) == lot_key(lot), SessionRow.status != SessionStatus.DISCARDED)
        .order_by(SessionRow.service_start, SessionRow.id, SiteRow.position)
    )
    return [RecallHit(r[0], r[1], r[2], f"{r[3]} {r[4]}".strip(), r[5], r[6] + 1, r[7], r[8]) for r in db.execute(stmt)]


# --- the adverse-event register: db/adverse_repo.py -------------------------------------------


def stored_needling(db: Session, session_id: int) -> tuple[int, bool]:
    """How many sites a stored session holds and whether it used electrical stimulation, in one indexed read: a
    save compares what it adds with them (no site without consent; the screening's limbs and device)."""
    found = db.execute(
        select(func.count(SiteRow.id), SessionRow.electrical_stimulation)
        .select_from(SessionRow)
        .outerjoin(SiteRow, SiteRow.session_id == SessionRow.id)
        .where(SessionRow.id == session_id)
        .group_by(SessionRow.id, SessionRow.electrical_stimulation)
    ).first()
    return (0, False) if found is None else (int(found[0]), bool(found[1]))


def session_row(db: Session, session_id: int) -> SessionRow | None:
    return db.get(SessionRow, session_id)


def add_follow_up(db: Session, session_id: int, author_id: int, at: datetime, body: str) -> None:
    row = FollowUpRow(session_id=session_id, author_id=author_id, written_at=at, text=body)
    db.add(row)
    db.flush()
    seals.seal_row(db, seals.FOLLOW_UP, row.id)
