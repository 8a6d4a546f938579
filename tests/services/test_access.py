"""Accounts and roles: the whole role x action table, sign-in and its lock, amendments, the audit chain."""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from needlelog.domain.access import PERMISSIONS, Action, AuditAction, allowed
from needlelog.domain.errors import ConflictError, PermissionDenied, ValidationError
from needlelog.domain.lots import NeedleLot
from needlelog.domain.model import Clinician, Patient, TreatmentSession
from needlelog.domain.vocab import AdverseEventKind, Role
from needlelog.services.exporting import ExportCriteria
from needlelog.services.store import Services
from tests.conftest import FakeClock, make_patient
from tests.services.test_sessions import charted

PASSWORD = "correct horse battery"
COUNTER = itertools.count(1)


@dataclass
class Clinic:
    services: Services
    clock: FakeClock
    patient: Patient
    clinician: Clinician
    others: dict[Role, Clinician]
    draft: TreatmentSession
    signed: TreatmentSession
    out: Path
    spare: TreatmentSession  # a draft of the clinician's to discard


@pytest.fixture
def clinic(services: Services, clock: FakeClock, tmp_path: Path) -> Clinic:
    """A clinician, a manager and an administrator; a draft ready to sign and a signed note of the clinician's."""
    accounts = services.accounts
    admin = accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
    clinician = accounts.add_user(Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417"), PASSWORD)
    manager = accounts.add_user(
        Clinician("Kiran Patel", "kpatel", authorised_to_needle=False, roles=frozenset({Role.MANAGER})), PASSWORD
    )
    patient = services.patients.create(make_patient())
    draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0)
    earlier = services.sessions.new_draft(patient.id or 0, clinician.id or 0)
    clock.advance(minutes=40)
    signed = services.sessions.sign(charted(earlier, clock), clinician.id or 0)
    return Clinic(
        services,
        clock,
        patient,
        clinician,
        {Role.CLINICIAN: clinician, Role.MANAGER: manager, Role.ADMIN: admin},
        charted(draft, clock),
        signed,
        tmp_path,
        services.sessions.new_draft(patient.id or 0, clinician.id or 0),
    )


# One real use case per action: each must work when the role allows it and be refused when not.
USE_CASES: dict[Action, Callable[[Clinic], object]] = {
    Action.VIEW_PATIENT: lambda c: c.services.patients.view(c.patient.id or 0),
    Action.EDIT_PATIENT: lambda c: c.services.patients.edit(replace(c.patient, phone="403-555-0100")),
    Action.CHART: lambda c: c.services.sessions.new_draft(c.patient.id or 0, c.clinician.id or 0),
    Action.SIGN: lambda c: c.services.sessions.sign(c.draft, c.services.access.user.id or 0),  # type: ignore[union-attr]
    Action.AMEND: lambda c: c.services.sessions.amend(c.signed.id or 0, "Typo in the notes", "It was the left side."),
    Action.DISCARD_DRAFT: lambda c: c.services.sessions.discard(c.spare.id or 0, "Opened for the wrong patient"),
    Action.PRINT_NOTE: lambda c: c.services.exports.export_note(c.signed.id or 0, c.out / f"n{next(COUNTER)}.pdf"),
    Action.EXPORT: lambda c: c.services.exports.export(
        ExportCriteria(date(2026, 1, 1), date(2026, 12, 31)), c.out / f"x{next(COUNTER)}", workers=1
    ),
    Action.VIEW_AUDIT: lambda c: c.services.registers.audit(date(2026, 1, 1), date(2026, 12, 31)),
    Action.VIEW_REGISTER: lambda c: c.services.registers.adverse_events(date(2026, 1, 1), date(2026, 12, 31)),
    Action.RECALL: lambda c: c.services.registers.recall("L2301-11"),
    Action.MANAGE_LOTS: lambda c: c.services.registers.add_lot(
        NeedleLot("Seirin J-type", "0.25 x 30 mm", f"L9{next(COUNTER)}", date(2027, 6, 30))
    ),
    Action.MANAGE_USERS: lambda c: c.services.accounts.add_user(
        Clinician("Tom Okafor", f"tokafor{next(COUNTER)}", "PT", "PT-06733"), PASSWORD
    ),
    Action.CHANGE_SETTINGS: lambda c: c.services.accounts.set_idle_lock_minutes(12),
    Action.CLINIC_REPORT: lambda c: c.services.reports.dashboard(date(2026, 1, 1), date(2026, 12, 31)),
}


def test_every_action_has_a_use_case_in_the_table() -> None:
    assert set(USE_CASES) == set(Action)
    assert set(PERMISSIONS) == set(Role)


@pytest.mark.parametrize("role", list(Role))
def test_the_role_by_action_table(clinic: Clinic, role: Role) -> None:
    account = clinic.others[role]
    clinic.services.accounts.login(account.username, PASSWORD)
    for action, use_case in USE_CASES.items():
        if allowed(frozenset({role}), action):
            use_case(clinic)  # works
        else:
            with pytest.raises(PermissionDenied, match="may not"):
                use_case(clinic)
    # what a refused action would have written is not there: only clinicians chart
    charted_now = clinic.services.sessions
    clinic.services.accounts.logout()  # the system reads the result
    history = charted_now.history(clinic.patient.id or 0)
    # the draft, the signed note and the spare draft; a clinician charts one more and discards the spare
    expected = 3
    assert len(history) == expected


def test_a_clinician_amends_only_their_own_signed_notes(clinic: Clinic) -> None:
    accounts, sessions = clinic.services.accounts, clinic.services.sessions
    other = accounts.add_user(Clinician("Ravi Sandhu", "rsandhu", "PT", "PT-05982"), PASSWORD)
    accounts.login(other.username, PASSWORD)
    with pytest.raises(PermissionDenied, match="only their own notes"):
        sessions.amend(clinic.signed.id or 0, "Reason", "Text")
    accounts.login(clinic.clinician.username, PASSWORD)
    with pytest.raises(ConflictError, match="draft"):
        sessions.amend(clinic.draft.id or 0, "Reason", "Text")
    with pytest.raises(ValidationError) as missing:
        sessions.amend(clinic.signed.id or 0, " ", "")
    assert [p.field for p in missing.value.problems] == ["amendment.reason", "amendment.text"]
    sessions.amend(clinic.signed.id or 0, "Side typed wrong", "Site 2 was the left upper trapezius.")
    (amendment,) = sessions.amendments(clinic.signed.id or 0)
    assert (amendment.author, amendment.reason) == ("Dana Whitford", "Side typed wrong")
    assert sessions.get(clinic.signed.id or 0).fingerprint == clinic.signed.fingerprint  # the original stands


def test_one_cannot_sign_as_someone_else(clinic: Clinic) -> None:
    clinic.services.accounts.login(clinic.clinician.username, PASSWORD)
    with pytest.raises(PermissionDenied, match="only as themself"):
        clinic.services.sessions.sign(clinic.draft, clinic.others[Role.ADMIN].id or 0)


def test_five_failed_logins_lock_the_account_for_five_minutes(clinic: Clinic) -> None:
    accounts = clinic.services.accounts
    for _ in range(4):
        with pytest.raises(PermissionDenied, match="Wrong user name or password"):
            accounts.login("dwhitford", "not the password")
    with pytest.raises(PermissionDenied, match="now locked for 5 minutes"):
        accounts.login("dwhitford", "not the password")
    with pytest.raises(PermissionDenied, match="locked after 5 failed logins"):
        accounts.login("dwhitford", PASSWORD)  # even the right password, for now
    with pytest.raises(PermissionDenied, match="Wrong user name or password"):
        accounts.login("nobody", PASSWORD)  # an unknown name says no more than a wrong password
    clinic.clock.advance(minutes=5, seconds=1)
    assert accounts.login("DWhitford", PASSWORD).username == "dwhitford"
    accounts.logout()
    actions = [line.entry.action for line in clinic.services.registers.audit(date(2026, 1, 1), date(2026, 12, 31))]
    assert actions[:9] == [
        AuditAction.LOGIN,
        AuditAction.LOGIN_FAILED,
        AuditAction.LOGIN_FAILED,
        AuditAction.LOCKED,
        AuditAction.LOGIN_FAILED,
        AuditAction.LOGIN_FAILED,
        AuditAction.LOGIN_FAILED,
        AuditAction.LOGIN_FAILED,
        AuditAction.LOGIN_FAILED,
    ]


def test_the_idle_lock_refuses_everything_until_the_password(clinic: Clinic) -> None:
    accounts = clinic.services.accounts
    accounts.login("dwhitford", PASSWORD)
    accounts.lock()
    with pytest.raises(PermissionDenied, match="locked"):
        clinic.services.patients.view(clinic.patient.id or 0)
    assert not accounts.unlock("wrong password")
    assert accounts.unlock(PASSWORD)
    assert clinic.services.patients.view(clinic.patient.id or 0).chart_number == clinic.patient.chart_number


def test_passwords_are_argon2id_and_refused_when_weak(clinic: Clinic, db_path: Path) -> None:
    import sqlite3

    with sqlite3.connect(db_path) as raw:
        hashes = [h for (h,) in raw.execute("SELECT password_hash FROM clinician WHERE password_hash != ''")]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    with pytest.raises(ValidationError, match="at least 10 characters"):
        clinic.services.accounts.add_user(Clinician("Short Pass", "spass"), "abc")
    with pytest.raises(PermissionDenied, match="already exists"):
        clinic.services.accounts.create_admin("admin2", "Second Admin", PASSWORD)


def test_an_expired_lot_cannot_be_chosen_and_a_recall_finds_every_patient(clinic: Clinic) -> None:
    registers = clinic.services.registers
    registers.add_lot(NeedleLot("Seirin", "0.25 x 30 mm", "L-OLD", date(2026, 1, 31)))
    registers.add_lot(NeedleLot("Seirin", "0.25 x 30 mm", "L2301-11", date(2027, 1, 31)))
    assert [lot.lot for lot in registers.usable_lots(date(2026, 3, 10))] == ["L2301-11"]
    problems = clinic.services.sessions.sign_problems(
        replace(clinic.draft, sites=(replace(clinic.draft.sites[0], needle_lot="L-OLD"), *clinic.draft.sites[1:])),
        clinic.clinician.id or 0,
    )
    assert any("L-OLD" in p.message and "expired" in p.message for p in problems)
    hits = registers.recall("l2301-11")
    assert {hit.chart_number for hit in hits} == {clinic.patient.chart_number}
    assert [hit.site_number for hit in hits] == [1, 2, 3]  # the signed note's three sites


def test_the_adverse_event_register_takes_follow_up_notes(clinic: Clinic) -> None:
    sessions, registers = clinic.services.sessions, clinic.services.registers
    from needlelog.domain.model import AdverseEvent

    with_event = replace(clinic.draft, adverse_events=(AdverseEvent(AdverseEventKind.FAINTING_INJURY, "Bumped knee"),))
    sessions.save_draft(with_event)
    with pytest.raises(PermissionDenied, match="signed-in author"):
        registers.add_follow_up(clinic.draft.id or 0, "Who wrote this?")
    clinic.services.accounts.login("kpatel", PASSWORD)
    registers.add_follow_up(clinic.draft.id or 0, "Phoned next day: knee fine.")
    (entry,) = registers.adverse_events(date(2026, 1, 1), date(2026, 12, 31))
    assert entry.kinds == (AdverseEventKind.FAINTING_INJURY,) and entry.description == "Bumped knee"
    assert [f.text for f in entry.follow_ups] == ["Phoned next day: knee fine."]


def test_plain_sql_cannot_rewrite_a_signed_note_and_an_edited_audit_row_is_named_by_check(
    clinic: Clinic, db_path: Path
) -> None:
    import sqlite3

    clinic.services.accounts.login("dwhitford", PASSWORD)
    clinic.services.sessions.amend(clinic.signed.id or 0, "Reason", "Text")
    clinic.services.close()
    raw = sqlite3.connect(db_path)
    signed = clinic.signed.id
    for statement in (
        f"UPDATE treatment_session SET notes = 'rewritten' WHERE id = {signed}",
        f"DELETE FROM treatment_session WHERE id = {signed}",
        f"UPDATE needling_site SET needles = 9 WHERE session_id = {signed}",
        f"DELETE FROM needling_site WHERE session_id = {signed}",
        "UPDATE audit_log SET detail = 'nothing happened' WHERE id = 3",
        "DELETE FROM audit_log WHERE id = 3",
        "UPDATE amendment SET text = 'x'",
    ):
        with pytest.raises(sqlite3.DatabaseError, match=r"signed note cannot be changed|append-only"):
            raw.execute(statement)
    assert raw.execute("SELECT count(*) FROM audit_log").fetchone()[0] > 5
    raw.rollback()

    check = [sys.executable, "-m", "needlelog", "check", "--db", str(db_path)]
    sound = subprocess.run(check, check=False, capture_output=True, text=True, timeout=60)
    assert sound.returncode == 0, sound

    raw.execute("DROP TRIGGER audit_log_no_update")
    raw.execute("UPDATE audit_log SET detail = 'nothing happened' WHERE id = 3")
    raw.commit()
    raw.close()
    result = subprocess.run(check, check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result
    assert "audit trail: row 3" in result.stdout + result.stderr
    assert "changed after it was written" in result.stdout + result.stderr


def test_a_late_signature_is_marked_and_the_clock_counts_from_the_service_end(clinic: Clinic) -> None:
    clinic.services.accounts.login("dwhitford", PASSWORD)
    clinic.clock.advance(hours=25)
    signed = clinic.services.sessions.sign(clinic.draft, clinic.clinician.id or 0)
    assert signed.signed_at is not None and signed.service_end is not None
    assert signed.signed_at - signed.service_end > timedelta(hours=24)


def test_an_amended_notes_pdf_shows_the_original_and_the_amendment_with_author_time_and_reason(
    clinic: Clinic, tmp_path: Path
) -> None:
    clinic.services.accounts.login("dwhitford", PASSWORD)
    clinic.clock.advance(hours=3)
    clinic.services.sessions.amend(clinic.signed.id or 0, "Side typed wrong", "Site 2 was the <b>left</b> side.")
    pdf = clinic.services.exports.export_note(clinic.signed.id or 0, tmp_path / "amended.pdf")
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    flat = " ".join(text.split())
    original = " ".join(clinic.signed.notes.split())
    assert original in flat  # the note as signed, untouched
    assert "Amendments (1)" in flat and "The note above is the original, as signed" in flat
    written = clinic.clock.now.astimezone().strftime("%Y-%m-%d %H:%M")
    assert f"{written} · Dana Whitford · reason: Side typed wrong" in flat
    assert "Site 2 was the <b>left</b> side." in flat
    assert flat.index(original) < flat.index("Amendments (1)")
    assert clinic.signed.fingerprint in flat


def test_the_only_administrator_cannot_remove_themself(clinic: Clinic) -> None:
    accounts = clinic.services.accounts
    accounts.login("admin", PASSWORD)
    admin = clinic.others[Role.ADMIN]
    with pytest.raises(ValidationError, match="only administrator"):
        accounts.update_user(replace(admin, active=False))
    with pytest.raises(ValidationError, match="only administrator"):
        accounts.update_user(replace(admin, roles=frozenset({Role.MANAGER})))
    assert not accounts.needs_admin()
    second = accounts.add_user(Clinician("Second Admin", "admin2", roles=frozenset({Role.ADMIN})), PASSWORD)
    accounts.update_user(replace(admin, roles=frozenset({Role.ADMIN, Role.MANAGER})))
    assert clinic.services.access.user is not None and Role.MANAGER in clinic.services.access.user.roles
    accounts.update_user(replace(admin, active=False))  # another administrator remains
    assert not accounts.needs_admin() and second.id is not None


def test_a_draft_stays_with_its_patient_and_clinician(clinic: Clinic) -> None:
    other = clinic.services.patients.create(make_patient("C200", family_name="Okafor", given_name="Ada"))
    with pytest.raises(ConflictError, match="stays with its patient"):
        clinic.services.sessions.save_draft(replace(clinic.draft, patient_id=other.id or 0))
    with pytest.raises(ConflictError, match="stays with its patient"):
        clinic.services.sessions.save_draft(replace(clinic.draft, clinician_id=clinic.others[Role.MANAGER].id or 0))
