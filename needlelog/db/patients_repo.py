"""Patients: reading and writing their records and consent history, and searching them by name or chart.

Functions take the caller's ORM session: the service owns the transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Date, bindparam, select, text
from sqlalchemy.orm import Session, selectinload

from needlelog.db.models import ConsentRow, PatientRow
from needlelog.domain.errors import ConflictError, NotFoundError
from needlelog.domain.model import Consent, Patient, PatientSummary, Screening
from needlelog.domain.search import PatientQuery, chart_key, prefix_upper_bound, search_key


def patient_from_row(row: PatientRow) -> Patient:
    consent = None
    if row.consents:
        latest = row.consents[-1]
        consent = Consent(latest.given_on, latest.method, latest.obtained_by, latest.revoked_on)
    return Patient(
        chart_number=row.chart_number,
        family_name=row.family_name,
        given_name=row.given_name,
        date_of_birth=row.date_of_birth,
        phone=row.phone,
        screening=Screening(row.precautions, row.surgery_region),
        treatment_plan=row.treatment_plan,
        consent=consent,
        id=row.id,
        version=row.version,
    )


def _fill_patient(row: PatientRow, patient: Patient) -> None:
    row.chart_number = chart_key(patient.chart_number)
    row.family_name = patient.family_name.strip()
    row.given_name = patient.given_name.strip()
    row.family_key = search_key(patient.family_name)
    row.given_key = search_key(patient.given_name)
    row.date_of_birth = patient.date_of_birth
    row.phone = patient.phone.strip()
    row.precautions = patient.screening.positive
    row.surgery_region = patient.screening.surgery_region
    row.treatment_plan = patient.treatment_plan


def _record_consent(db: Session, row: PatientRow, consent: Consent | None, now: datetime) -> None:
    """Consent is a history: a changed consent appends a record, it never rewrites the old one."""
    if consent is None:
        return
    latest = row.consents[-1] if row.consents else None
    if latest is not None and (latest.given_on, latest.method, latest.obtained_by) == (
        consent.given_on,
        consent.method,
        consent.obtained_by,
    ):
        latest.revoked_on = consent.revoked_on
        return
    row.consents.append(
        ConsentRow(
            given_on=consent.given_on,
            method=consent.method,
            obtained_by=consent.obtained_by,
            revoked_on=consent.revoked_on,
            recorded_at=now,
        )
    )


def chart_number_taken(db: Session, chart_number: str, except_id: int | None = None) -> bool:
    query = select(PatientRow.id).where(PatientRow.chart_number == chart_key(chart_number))
    if except_id is not None:
        query = query.where(PatientRow.id != except_id)
    return db.scalars(query).first() is not None


def add_patient(db: Session, patient: Patient, now: datetime) -> Patient:
    row = PatientRow(version=1, created_at=now, updated_at=now)
    _fill_patient(row, patient)
    db.add(row)
    _record_consent(db, row, patient.consent, now)
    db.flush()
    return patient_from_row(row)


def update_patient(db: Session, patient: Patient, now: datetime) -> Patient:
    if patient.id is None:
        raise NotFoundError("This patient has not been saved yet.")
    row = _patient_row(db, patient.id)
    if row.version != patient.version:
        raise ConflictError(
            f"{row.given_name} {row.family_name} was changed by someone else since you opened the record; "
            "your changes were kept on screen so you can compare and save again."
        )
    _fill_patient(row, patient)
    _record_consent(db, row, patient.consent, now)
    row.version += 1
    row.updated_at = now
    db.flush()
    return patient_from_row(row)


def _patient_row(db: Session, patient_id: int) -> PatientRow:
    row = db.get(PatientRow, patient_id, options=[selectinload(PatientRow.consents)])
    if row is None:
        raise NotFoundError(f"No patient with id {patient_id}.")
    return row


def get_patient(db: Session, patient_id: int) -> Patient:
    return patient_from_row(_patient_row(db, patient_id))


_WORD_PLACES = ("family_key", "given_key", "chart_number")


def _word_clause(index: int) -> str:
    """Word ``index`` starts a family name, a given name or a chart number (three index ranges)."""
    return " OR ".join(
        f"({column} >= :w{index}_{k} AND {column} < :u{index}_{k})" for k, column in enumerate(_WORD_PLACES)
    )


def _word_params(index: int, word: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for k, value in enumerate((word, word, word.upper())):
        params[f"w{index}_{k}"] = value
        params[f"u{index}_{k}"] = prefix_upper_bound(value)
    return params


def _name_clause(index: int) -> str:
    """Word ``index`` starts a family name or a given name (the first two places)."""
    return " OR ".join(
        f"({column} >= :w{index}_{k} AND {column} < :u{index}_{k})" for k, column in enumerate(_WORD_PLACES[:2])
    )


_PAGE_COLUMNS = "p.id, p.chart_number, p.family_name, p.given_name, p.date_of_birth, p.precautions"
_NAME_ORDER = "ORDER BY family_key, given_key, id"


def _search_sql(query: PatientQuery, params: dict[str, object]) -> str:
    """The statement of one page: every branch walks an index in its own order and stops after the page.

    Patients whose name the leading word starts come first, by family name then given name; after them, those
    found by their chart number alone, by chart number. Ordering those by name too made the database read
    and sort every chart number the prefix starts ("c" or "c0" start them all: 50,000 rows a keystroke); in
    chart-number order the branch reads one page of the chart-number index, and a person typing a chart number
    sees the numbers in order.
    """
    words = query.leading_first
    filters = []
    for index, word in enumerate(words):
        params.update(_word_params(index, word))
        if index:
            filters.append(f"({_word_clause(index)})")
    if query.date_of_birth is not None:
        filters.append("date_of_birth = :born")
        params["born"] = query.date_of_birth
    extra = "".join(f" AND {f}" for f in filters)
    if words:
        named = " UNION ".join(
            f"SELECT * FROM (SELECT id, family_key, given_key FROM patient"
            f" WHERE {column} >= :w0_{k} AND {column} < :u0_{k}{extra} {_NAME_ORDER} LIMIT :wanted) AS n{k}"
            for k, column in enumerate(_WORD_PLACES[:2])
        )
        charted = (
            "SELECT id, chart_number FROM patient WHERE chart_number >= :w0_2 AND chart_number < :u0_2"
            f" AND NOT ({_name_clause(0)}){extra} ORDER BY chart_number LIMIT :wanted"
        )
        matched = (
            f"SELECT * FROM (SELECT id, 0 AS place, family_key AS k1, given_key AS k2 FROM ({named}) AS named"
            f" {_NAME_ORDER} LIMIT :wanted) AS by_name"
            f" UNION ALL SELECT id, 1 AS place, chart_number AS k1, '' AS k2 FROM ({charted}) AS by_chart"
        )
    else:
        where = f"WHERE {' AND '.join(filters)}" if filters else ""
        matched = (
            f"SELECT id, 0 AS place, family_key AS k1, given_key AS k2 FROM patient {where} {_NAME_ORDER} LIMIT :wanted"
        )
    order = "ORDER BY place, k1, k2, id"
    return (
        f"SELECT {_PAGE_COLUMNS} FROM (SELECT id, place, k1, k2 FROM ({matched}) AS matched {order}"
        " LIMIT :limit OFFSET :offset) AS page JOIN patient AS p ON p.id = page.id"
        " ORDER BY page.place, page.k1, page.k2, page.id"
    )


def search_patients(db: Session, query: PatientQuery, limit: int, offset: int = 0) -> list[PatientSummary]:
    """Patients matching every word, one page: by name, then those whose chart number alone matched (one
    statement whose branches each stop after the page; see :func:`_search_sql`).

    Written as SQL text because building this statement through the ORM cost more than running it.
    """
    params: dict[str, object] = {"wanted": limit + offset, "limit": limit, "offset": offset}
    stmt = text(_search_sql(query, params)).columns(
        PatientRow.id,
        PatientRow.chart_number,
        PatientRow.family_name,
        PatientRow.given_name,
        PatientRow.date_of_birth,
        PatientRow.precautions,
    )
    if "born" in params:
        stmt = stmt.bindparams(bindparam("born", type_=Date()))
    return [
        PatientSummary(
            id=r.id,
            chart_number=r.chart_number,
            family_name=r.family_name,
            given_name=r.given_name,
            date_of_birth=r.date_of_birth,
            flags=r.precautions,
        )
        for r in db.execute(stmt, params)
    ]


def patient_id_by_chart_number(db: Session, chart_number: str) -> int | None:
    return db.scalar(select(PatientRow.id).where(PatientRow.chart_number == chart_key(chart_number)))
