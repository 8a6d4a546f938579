"""Who may do what (SPEC §4), and the audit trail's chain of hashes (SPEC §3).

The permission table is data: :data:`PERMISSIONS` maps each role to the actions it allows, and
every use case in ``services`` asks :func:`allowed` before it reads or writes. A person may hold
more than one role (a clinic owner who also needles); their rights are the union.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from needlelog.domain.text import TEXT_LIMITS, bad_character
from needlelog.domain.vocab import Role

FAILED_LOGINS_BEFORE_LOCK = 5
LOGIN_LOCK = timedelta(minutes=5)
IDLE_LOCK_DEFAULT, IDLE_LOCK_MIN, IDLE_LOCK_MAX = 10, 2, 30
PASSWORD_MIN = 10
GENESIS = "0" * 64  # the "previous hash" of the first audit row


class Action(StrEnum):
    VIEW_PATIENT = "view_patient"
    EDIT_PATIENT = "edit_patient"
    CHART = "chart"  # create and save drafts, run dwell timers
    SIGN = "sign"
    DISCARD_DRAFT = "discard_draft"  # one's own unsigned drafts only (checked with the draft)
    AMEND = "amend"  # one's own signed notes only (checked with the note)
    PRINT_NOTE = "print_note"  # one visit note as PDF, from the editor
    EXPORT = "export"  # the manager's exports: many notes, CSV
    VIEW_AUDIT = "view_audit"
    VIEW_REGISTER = "view_register"  # adverse events, follow-up notes, unsigned notes
    RECALL = "recall"  # which patients got needle lot X
    MANAGE_LOTS = "manage_lots"
    MANAGE_USERS = "manage_users"
    CHANGE_SETTINGS = "change_settings"
    CLINIC_REPORT = "clinic_report"  # the dashboard and its report: counts and rates, chart numbers, no names


PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.CLINICIAN: frozenset(
        {
            Action.VIEW_PATIENT,
            Action.EDIT_PATIENT,
            Action.CHART,
            Action.SIGN,
            Action.DISCARD_DRAFT,
            Action.AMEND,
            Action.PRINT_NOTE,
        }
    ),
    # "reads all, exports, reports, audit, backups" (SPEC §4); a manager does not chart.
    Role.MANAGER: frozenset(
        {
            Action.VIEW_PATIENT,
            Action.PRINT_NOTE,
            Action.EXPORT,
            Action.VIEW_AUDIT,
            Action.VIEW_REGISTER,
            Action.RECALL,
            Action.MANAGE_LOTS,
            Action.CLINIC_REPORT,
        }
    ),
    # "users and settings": the administrator sees no chart unless also given another role.
    # The needle lots are among the settings too (SPEC §5), kept by the manager as well.
    # The clinic report too ("reports", SPEC §4): counts and chart numbers, no patient's name.
    Role.ADMIN: frozenset(
        {Action.MANAGE_USERS, Action.CHANGE_SETTINGS, Action.VIEW_AUDIT, Action.MANAGE_LOTS, Action.CLINIC_REPORT}
    ),
}


def allowed(roles: frozenset[Role], action: Action) -> bool:
    return any(action in PERMISSIONS[role] for role in roles)


ACTION_WORDS: dict[Action, str] = {
    Action.VIEW_PATIENT: "see patients' charts",
    Action.EDIT_PATIENT: "register or edit patients",
    Action.CHART: "chart sessions",
    Action.SIGN: "sign notes",
    Action.DISCARD_DRAFT: "discard drafts",
    Action.AMEND: "amend notes",
    Action.PRINT_NOTE: "print visit notes",
    Action.EXPORT: "export visit notes",
    Action.VIEW_AUDIT: "see the audit trail",
    Action.VIEW_REGISTER: "see the adverse-event register",
    Action.RECALL: "search needle-lot recalls",
    Action.MANAGE_LOTS: "manage needle lots",
    Action.MANAGE_USERS: "manage users",
    Action.CHANGE_SETTINGS: "change settings",
    Action.CLINIC_REPORT: "see the clinic's dashboard and report",
}


def password_problem(password: str, username: str) -> str | None:
    """Why a new password is refused, in words; None when it will do."""
    bad = bad_character(password)
    if bad is not None:
        return f"The password holds {bad}; type it again without it."
    if len(password) > TEXT_LIMITS["password"]:
        return f"The password is longer than {TEXT_LIMITS['password']:,} characters."
    if len(password) < PASSWORD_MIN:
        return f"The password must be at least {PASSWORD_MIN} characters."
    if password.strip().lower() == username.strip().lower():
        return "The password cannot be the user name."
    if len(set(password)) < 4:
        return "The password is too simple: use at least four different characters."
    return None


class AuditAction(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"  # signed out to the sign-in window, the program left running
    LOCKED = "locked"  # the idle lock or a manual one (said in the detail), or the account after five failures
    UNLOCKED = "unlocked"
    PATIENT_VIEWED = "patient_viewed"
    NOTE_VIEWED = "note_viewed"  # a visit note (signed or draft) opened on screen, once per opening
    PATIENT_SAVED = "patient_saved"
    SESSION_CREATED = "session_created"
    SESSION_SAVED = "session_saved"
    SESSION_SIGNED = "session_signed"
    SESSION_AMENDED = "session_amended"
    PDF_EXPORTED = "pdf_exported"
    BACKUP = "backup"
    RESTORE = "restore"
    USER_CHANGED = "user_changed"
    SETTING_CHANGED = "setting_changed"
    LOT_CHANGED = "lot_changed"
    FOLLOW_UP = "follow_up"
    TIMER_RESUMED = "timer_resumed"  # an accidental Stop undone: the needles were still in
    CHART_SEEDED = "chart_seeded"  # synthetic patients and notes added by `needlelog seed` (a demo or test chart)
    SESSION_DISCARDED = "session_discarded"  # a draft discarded by its clinician; the reason in the detail
    AFTERCARE_PRINTED = "aftercare_printed"  # the aftercare sheet written from a visit (file in the detail)
    # The registers, each audited as what it is (issue 15), not as "patient viewed":
    REGISTER_VIEWED = "register_viewed"  # the adverse-event register listed (its dates in the detail)
    REGISTER_EXPORTED = "register_exported"  # a register written as CSV or PDF (which, in the detail)
    RECALL_SEARCHED = "recall_searched"  # which patients got needle lot X
    AUDIT_VIEWED = "audit_viewed"  # the audit trail read, with its filters
    REPORT_VIEWED = "report_viewed"  # the clinic dashboard shown
    REPORT_WRITTEN = "report_written"  # the clinic report written as PDF / CSV
    ADVERSE_REPORTED = "adverse_reported"  # an adverse event reported after the visit, against it
    ADVERSE_REVIEWED = "adverse_reviewed"  # a case's severity or status set (open / closed)
    CHART_KEY_MADE = "chart_key_made"  # the chart key made (the first account, or the first sign-in after 0014)
    CHART_ENCRYPTED = "chart_encrypted"  # the chart's file encrypted with SQLCipher (its backup in the detail)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One row of the audit trail. ``detail`` holds no patient's name: the patient is an id."""

    at: datetime
    user: str
    role: str
    action: AuditAction
    patient_id: int | None = None
    session_id: int | None = None
    detail: str = ""
    previous_hash: str = GENESIS
    row_hash: str = ""
    id: int | None = None


def audit_hash(entry: AuditEntry, previous_hash: str) -> str:
    """SHA-256 of a row's content and the previous row's hash: change or remove a row and the chain breaks."""
    content = [
        entry.at.isoformat(timespec="microseconds"),
        entry.user,
        entry.role,
        entry.action.value,
        entry.patient_id,
        entry.session_id,
        entry.detail,
        previous_hash,
    ]
    canonical = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def first_broken(entries: list[AuditEntry], previous_hash: str = GENESIS) -> tuple[AuditEntry, str] | None:
    """The first row whose chain does not hold, with why; None when every row chains to the one before."""
    for entry in entries:
        if entry.previous_hash != previous_hash:
            return entry, "it does not follow the row before it (a row was removed or inserted)"
        if audit_hash(entry, previous_hash) != entry.row_hash:
            return entry, "its content was changed after it was written"
        previous_hash = entry.row_hash
    return None
