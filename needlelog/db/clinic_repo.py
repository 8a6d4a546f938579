"""The clinic's settings and its accounts (clinicians, managers, administrators), as domain objects.

Functions take the caller's ORM session: the service owns the transaction.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from needlelog.db.models import ClinicianRow, ClinicRow
from needlelog.domain.access import IDLE_LOCK_DEFAULT
from needlelog.domain.errors import NotFoundError
from needlelog.domain.model import Clinic, Clinician
from needlelog.domain.vocab import Role


def clinic_from_row(row: ClinicRow) -> Clinic:
    return Clinic(
        name=row.name,
        address=row.address,
        phone=row.phone,
        default_dwell_minutes=row.default_dwell_minutes,
        consent_valid_months=row.consent_valid_months,
        id=row.id,
        logo=row.logo or None,
    )


def get_clinic(db: Session) -> Clinic | None:
    row = db.scalars(select(ClinicRow).order_by(ClinicRow.id).limit(1)).first()
    return None if row is None else clinic_from_row(row)


def save_clinic(db: Session, clinic: Clinic) -> Clinic:
    row = db.get(ClinicRow, clinic.id) if clinic.id is not None else None
    if row is None:
        row = ClinicRow()
        db.add(row)
    row.name, row.address, row.phone = clinic.name, clinic.address, clinic.phone
    row.default_dwell_minutes = clinic.default_dwell_minutes
    row.consent_valid_months = clinic.consent_valid_months
    row.logo = clinic.logo or None
    db.flush()
    return clinic_from_row(row)


def clinician_from_row(row: ClinicianRow) -> Clinician:
    return Clinician(
        display_name=row.display_name,
        username=row.username,
        credentials=row.credentials,
        registration_number=row.registration_number,
        authorised_to_needle=row.authorised_to_needle,
        id=row.id,
        roles=row.roles,
        active=row.active,
    )


def add_clinician(db: Session, clinician: Clinician, password_hash: str = "") -> Clinician:
    row = ClinicianRow(
        username=clinician.username,
        display_name=clinician.display_name,
        credentials=clinician.credentials,
        registration_number=clinician.registration_number,
        authorised_to_needle=clinician.authorised_to_needle,
        active=clinician.active,
        roles=clinician.roles,
        password_hash=password_hash,
    )
    db.add(row)
    db.flush()
    return clinician_from_row(row)


def get_clinician(db: Session, clinician_id: int) -> Clinician:
    row = db.get(ClinicianRow, clinician_id)
    if row is None:
        raise NotFoundError(f"No clinician with id {clinician_id}.")
    return clinician_from_row(row)


def list_clinicians(db: Session) -> list[Clinician]:
    """The active accounts that hold the clinician role (managers and administrators are not clinicians)."""
    rows = db.scalars(select(ClinicianRow).where(ClinicianRow.active).order_by(ClinicianRow.display_name))
    return [clinician_from_row(r) for r in rows if Role.CLINICIAN in r.roles]


def select_accounts() -> Select[ClinicianRow]:
    """Every account, active or not, in name order."""
    return select(ClinicianRow).order_by(ClinicianRow.display_name, ClinicianRow.id)


def idle_lock_minutes(db: Session) -> int:
    minutes = db.execute(select(ClinicRow.idle_lock_minutes).limit(1)).scalar()
    return IDLE_LOCK_DEFAULT if minutes is None else int(minutes)


def set_idle_lock_minutes(db: Session, minutes: int) -> None:
    row = db.scalars(select(ClinicRow).limit(1)).first()
    if row is None:
        raise NotFoundError("This database has no clinic yet.")
    row.idle_lock_minutes = minutes


def clinician_by_username(db: Session, username: str) -> Clinician | None:
    row = db.scalars(select(ClinicianRow).where(ClinicianRow.username == username)).first()
    return None if row is None else clinician_from_row(row)
