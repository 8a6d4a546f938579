"""Queries and writes the services use, translating rows to the domain's value objects.

Functions take the caller's ORM session: the service owns the transaction. This module gathers, under
one name, what lives in four modules by subject:

- :mod:`needlelog.db.clinic_repo`: the clinic's settings and the accounts;
- :mod:`needlelog.db.patients_repo`: patients, their consent history and patient search;
- :mod:`needlelog.db.sessions_repo`: treatment sessions (claim-and-save, signing, lists, running timers);
- :mod:`needlelog.db.notes_repo`: the export queries and :class:`VisitNoteLoader`.
"""

from __future__ import annotations

from needlelog.db.clinic_repo import (
    add_clinician,
    clinic_from_row,
    clinician_by_username,
    clinician_from_row,
    get_clinic,
    get_clinician,
    idle_lock_minutes,
    list_clinicians,
    save_clinic,
    select_accounts,
    set_idle_lock_minutes,
)
from needlelog.db.notes_repo import (
    VisitNoteLoader,
    _export_clauses,
    count_export_sessions,
    export_session_ids,
)
from needlelog.db.patients_repo import (
    _WORD_PLACES,
    _fill_patient,
    _patient_row,
    _record_consent,
    _word_clause,
    _word_params,
    add_patient,
    chart_number_taken,
    get_patient,
    patient_from_row,
    patient_id_by_chart_number,
    search_patients,
    update_patient,
)
from needlelog.db.sessions_repo import (
    _FULL_SESSION,
    IN_CHART,
    _as_stored,
    _event_values,
    _fill_columns,
    _fill_session,
    _point_values,
    _session_row,
    _site_values,
    add_session,
    count_patient_sessions,
    get_session,
    last_session_id,
    list_patient_sessions,
    lock_session_for_update,
    mark_discarded,
    mark_signed,
    running_timers,
    save_session,
    save_session_content,
    session_from_row,
    session_owners,
)

__all__ = [
    "IN_CHART",
    "_FULL_SESSION",
    "_WORD_PLACES",
    "VisitNoteLoader",
    "_as_stored",
    "_event_values",
    "_export_clauses",
    "_fill_columns",
    "_fill_patient",
    "_fill_session",
    "_patient_row",
    "_point_values",
    "_record_consent",
    "_session_row",
    "_site_values",
    "_word_clause",
    "_word_params",
    "add_clinician",
    "add_patient",
    "add_session",
    "chart_number_taken",
    "clinic_from_row",
    "clinician_by_username",
    "clinician_from_row",
    "count_export_sessions",
    "count_patient_sessions",
    "export_session_ids",
    "get_clinic",
    "get_clinician",
    "get_patient",
    "get_session",
    "idle_lock_minutes",
    "last_session_id",
    "list_clinicians",
    "list_patient_sessions",
    "lock_session_for_update",
    "mark_discarded",
    "mark_signed",
    "patient_from_row",
    "patient_id_by_chart_number",
    "running_timers",
    "save_clinic",
    "save_session",
    "save_session_content",
    "search_patients",
    "select_accounts",
    "session_from_row",
    "session_owners",
    "set_idle_lock_minutes",
    "update_patient",
]
