"""Discarding a draft (SPEC §3-§4): one's own, unsigned, with a reason; kept in the file and the audit trail,
hidden from the chart."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from needlelog.domain.access import AuditAction
from needlelog.domain.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from needlelog.domain.model import Clinician, Patient, TreatmentSession
from needlelog.domain.vocab import Role, SessionStatus
from needlelog.services.exporting import ExportCriteria
from needlelog.services.store import Services
from tests.conftest import FakeClock
from tests.services.test_sessions import charted, neck_site

PASSWORD = "correct horse battery"
REASON = "Opened for the wrong patient"


@pytest.fixture
def dana(services: Services) -> Clinician:
    """A clinician with an account, signed in."""
    account = services.accounts.add_user(Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417"), PASSWORD)
    services.accounts.login(account.username, PASSWORD)
    return account


@pytest.fixture
def own_draft(services: Services, patient: Patient, dana: Clinician, clock: FakeClock) -> TreatmentSession:
    draft = services.sessions.new_draft(patient.id or 0, dana.id or 0)
    clock.advance(minutes=40)
    return services.sessions.save_draft(charted(draft, clock))


def test_a_discarded_draft_is_kept_in_the_file_audited_and_gone_from_the_chart(
    services: Services, db_path: Path, patient: Patient, dana: Clinician, own_draft: TreatmentSession, clock: FakeClock
) -> None:
    sessions = services.sessions
    kept = sessions.new_draft(patient.id or 0, dana.id or 0)
    assert sessions.count_for_patient(patient.id or 0) == 2
    clock.advance(minutes=3)

    discarded = sessions.discard(own_draft.id or 0, f"  {REASON} ")

    assert discarded.status is SessionStatus.DISCARDED and discarded.is_discarded
    with sqlite3.connect(db_path) as raw:  # the row itself, read past the program
        row = raw.execute(
            "SELECT status, discarded_by_id, discard_reason, discarded_at, site_count FROM treatment_session "
            "WHERE id = ?",
            (own_draft.id,),
        ).fetchone()
        sites = raw.execute("SELECT COUNT(*) FROM needling_site WHERE session_id = ?", (own_draft.id,)).fetchone()
    assert row[:3] == ("discarded", dana.id, REASON)
    assert row[3].startswith(clock.now.strftime("%Y-%m-%d %H:%M")) and row[4] == 3 and sites == (3,)
    assert sessions.get(own_draft.id or 0).sites == own_draft.sites  # its content is kept as it was

    # gone from the history, the "session n of m" count and "Copy last session"
    assert [h.id for h in sessions.history(patient.id or 0)] == [kept.id]
    assert sessions.count_for_patient(patient.id or 0) == 1
    with pytest.raises(NotFoundError, match="no earlier session to copy"):
        sessions.copy_last(patient.id or 0, dana.id or 0)

    services.accounts.logout()
    # the audit trail says who discarded it, when and why
    lines = services.registers.audit(date(2026, 1, 1), date(2026, 12, 31))
    (entry,) = [a.entry for a in lines if a.entry.action is AuditAction.SESSION_DISCARDED]
    assert (entry.user, entry.session_id, entry.at) == ("dwhitford", own_draft.id, clock.now)
    assert REASON in entry.detail
    # and from exports with drafts
    everything = ExportCriteria(date(2026, 1, 1), date(2026, 12, 31), include_drafts=True)
    assert services.exports.count(everything) == 1
    assert [note.session.id for note in services.exports.notes(everything)] == [kept.id]


def test_a_discarded_draft_no_longer_saves_signs_or_discards_again(
    services: Services, dana: Clinician, own_draft: TreatmentSession
) -> None:
    sessions = services.sessions
    sessions.discard(own_draft.id or 0, REASON)
    with pytest.raises(ConflictError, match="discarded"):
        sessions.save_draft(replace(own_draft, notes="later"))
    with pytest.raises(ConflictError, match="discarded"):
        sessions.sign(own_draft, dana.id or 0)
    with pytest.raises(ConflictError, match="discarded already"):
        sessions.discard(own_draft.id or 0, REASON)


@pytest.mark.parametrize("reason", ["", "   ", "x" * 201, "two\nlines"])
def test_a_discard_needs_a_one_line_reason_and_writes_nothing_without_it(
    services: Services, patient: Patient, own_draft: TreatmentSession, reason: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.sessions.discard(own_draft.id or 0, reason)
    assert [p.field for p in refused.value.problems] == ["reason"]
    assert services.sessions.get(own_draft.id or 0).status is SessionStatus.DRAFT
    assert services.sessions.count_for_patient(patient.id or 0) == 1


def test_a_signed_note_is_never_discarded(
    services: Services, dana: Clinician, own_draft: TreatmentSession, clock: FakeClock
) -> None:
    signed = services.sessions.sign(own_draft, dana.id or 0)
    with pytest.raises(ConflictError, match="signed note cannot be discarded"):
        services.sessions.discard(signed.id or 0, REASON)
    assert services.sessions.get(signed.id or 0).fingerprint == signed.fingerprint


def test_only_its_own_clinician_discards_a_draft(
    services: Services, patient: Patient, own_draft: TreatmentSession
) -> None:
    accounts = services.accounts
    accounts.logout()  # the system adds the accounts
    ravi = accounts.add_user(Clinician("Ravi Sandhu", "rsandhu", "PT", "PT-05982"), PASSWORD)
    manager = accounts.add_user(
        Clinician("Kiran Patel", "kpatel", authorised_to_needle=False, roles=frozenset({Role.MANAGER})), PASSWORD
    )
    accounts.login(ravi.username, PASSWORD)
    with pytest.raises(PermissionDenied, match="only their own drafts"):
        services.sessions.discard(own_draft.id or 0, REASON)
    accounts.login(manager.username, PASSWORD)
    with pytest.raises(PermissionDenied, match="may not discard drafts"):
        services.sessions.discard(own_draft.id or 0, REASON)
    assert services.sessions.get(own_draft.id or 0).status is SessionStatus.DRAFT


def test_a_draft_with_a_running_timer_is_not_discarded_and_the_site_is_named(
    services: Services, own_draft: TreatmentSession, clock: FakeClock
) -> None:
    timed = replace(own_draft, sites=(*own_draft.sites[:2], replace(neck_site(), timer_started=clock.now)))
    timed = services.sessions.save_draft(timed)
    with pytest.raises(ConflictError, match=r"Site 3 · neck, right · upper trapezius: the timer is running"):
        services.sessions.discard(timed.id or 0, REASON)
    clock.advance(minutes=10)
    services.sessions.stop_timer(timed.id or 0, 2)
    assert services.sessions.discard(timed.id or 0, REASON).is_discarded
