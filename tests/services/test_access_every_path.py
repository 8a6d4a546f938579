"""Access holds on every path (issue 13, item 4): a clinician changes, signs and discards only their own drafts;
the account is read as stored at every use case, so a deactivation or a demotion takes effect in a window already
open; and a sign-in spends one password check whether or not the name exists (the answer's time tells nothing)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from needlelog.domain.access import Action, AuditAction
from needlelog.domain.errors import PermissionDenied
from needlelog.domain.model import Clinician, TreatmentSession
from needlelog.domain.vocab import Role
from needlelog.services.store import Services, open_chart
from tests.conftest import TEST_HASHER, TEST_WRAPPING
from tests.services.test_access import PASSWORD, Clinic, clinic  # noqa: F401 (a fixture)


def second_clinician(c: Clinic) -> Clinician:
    c.services.access.user = None  # the system adds her, as the administrator would
    return c.services.accounts.add_user(Clinician("Mina Okoye", "mokoye", "PT", "PT-05512"), PASSWORD)


def as_user(c: Clinic, username: str) -> None:
    c.services.accounts.logout()
    c.services.accounts.login(username, PASSWORD)


def stored(c: Clinic, session: TreatmentSession) -> TreatmentSession:
    user = c.services.access.user
    c.services.access.user = None
    try:
        return c.services.sessions.get(session.id or 0)
    finally:
        c.services.access.user = user


def test_a_clinician_cannot_save_sign_copy_resume_or_create_another_clinicians_draft(clinic: Clinic) -> None:  # noqa: F811
    c = clinic
    mina = second_clinician(c)
    as_user(c, "mokoye")
    dana_draft = c.draft  # Dana's, ready to sign
    before = stored(c, dana_draft)
    attempts = {
        "save": lambda: c.services.sessions.save_draft(replace(dana_draft, notes="overwritten by Mina")),
        "sign as herself": lambda: c.services.sessions.sign(dana_draft, mina.id or 0),
        "sign as Dana": lambda: c.services.sessions.sign(dana_draft, c.clinician.id or 0),
        "new draft in Dana's name": lambda: c.services.sessions.new_draft(c.patient.id or 0, c.clinician.id or 0),
        "copy in Dana's name": lambda: c.services.sessions.copy_last(c.patient.id or 0, c.clinician.id or 0),
        "discard": lambda: c.services.sessions.discard(c.spare.id or 0, "Opened for the wrong patient"),
    }
    for what, attempt in attempts.items():
        with pytest.raises(PermissionDenied):
            attempt()
        assert stored(c, dana_draft) == before, what
    # her own work goes on as ever
    own = c.services.sessions.new_draft(c.patient.id or 0, mina.id or 0)
    assert c.services.sessions.save_draft(replace(own, notes="Mina's own")).notes == "Mina's own"


def test_a_deactivated_clinician_in_an_open_window_is_refused_at_the_next_save(clinic: Clinic, db_path: Path) -> None:  # noqa: F811
    c = clinic
    as_user(c, "dwhitford")
    draft = c.services.sessions.save_draft(replace(c.draft, notes="before"))
    admin_pc = open_chart(
        db_path, clock=c.clock, hasher=TEST_HASHER, wrapping=TEST_WRAPPING
    )  # another PC, the administrator
    try:
        admin_pc.accounts.login("admin", PASSWORD)
        admin_pc.accounts.update_user(replace(c.clinician, active=False))
    finally:
        admin_pc.close()
    with pytest.raises(PermissionDenied, match="no longer active"):
        c.services.sessions.save_draft(replace(draft, notes="after"))
    with pytest.raises(PermissionDenied, match="no longer active"):
        c.services.patients.view(c.patient.id or 0)
    assert stored(c, draft).notes == "before"


def test_a_clinician_demoted_to_manager_can_no_longer_sign_in_an_open_window(clinic: Clinic, db_path: Path) -> None:  # noqa: F811
    c = clinic
    as_user(c, "dwhitford")
    admin_pc = open_chart(db_path, clock=c.clock, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    try:
        admin_pc.accounts.login("admin", PASSWORD)
        admin_pc.accounts.update_user(replace(c.clinician, roles=frozenset({Role.MANAGER})))
    finally:
        admin_pc.close()
    with pytest.raises(PermissionDenied, match="may not sign notes"):
        c.services.sessions.sign(c.draft, c.clinician.id or 0)
    assert not stored(c, c.draft).is_signed
    assert c.services.patients.view(c.patient.id or 0).id == c.patient.id  # a manager still reads


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        base = TEST_HASHER
        super().__init__(base.time_cost, base.memory_cost, base.parallelism, base.hash_len, 16, type=base.type)
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified += 1
        return super().verify(hash, password)


def test_sign_in_spends_one_password_check_for_an_unknown_a_locked_or_a_known_name(
    clinic: Clinic,  # noqa: F811
    db_path: Path,
) -> None:
    """The time of an answer is the time of its password check (Argon2's cost dwarfs the rest): each kind of
    failure spends exactly one, so an unknown name takes as long as a known one (bench/bench_sign_in.py times it)."""
    c = clinic
    hasher = CountingHasher()
    services: Services = open_chart(db_path, clock=c.clock, hasher=hasher)
    try:
        for name in ("nosuchuser", "dwhitford", "nosuchuser", "dwhitford"):
            before = hasher.verified
            with pytest.raises(PermissionDenied):
                services.accounts.login(name, "wrong password here")
            assert hasher.verified - before == 1, name
        for _ in range(3):  # five failures in all lock the account; a locked name costs one check too
            with pytest.raises(PermissionDenied):
                services.accounts.login("dwhitford", "wrong password here")
        before = hasher.verified
        with pytest.raises(PermissionDenied, match="locked"):
            services.accounts.login("dwhitford", PASSWORD)
        assert hasher.verified - before == 1
    finally:
        services.close()


def test_opening_a_note_is_audited_once_per_opening(clinic: Clinic) -> None:  # noqa: F811
    c = clinic
    as_user(c, "kpatel")  # a manager reads every chart

    def viewed() -> list[tuple[str, int | None]]:
        user, c.services.access.user = c.services.access.user, None
        try:
            rows = c.services.registers.audit(c.clock.now.date(), c.clock.now.date())
        finally:
            c.services.access.user = user
        return [(r.entry.user, r.entry.session_id) for r in rows if r.entry.action is AuditAction.NOTE_VIEWED]

    c.services.sessions.open(c.signed.id or 0)
    c.services.sessions.get(c.signed.id or 0)  # the program's own re-read: not an opening
    c.services.sessions.open(c.signed.id or 0)
    assert viewed() == [("kpatel", c.signed.id), ("kpatel", c.signed.id)]


def test_reading_who_is_acting_never_waits_for_another_pcs_write(clinic: Clinic, db_path: Path) -> None:  # noqa: F811
    """The account is re-read at every use case without the write lock: a read (a patient opened, a search) goes
    on while another program holds a write transaction, as it did before the re-read was added."""
    c = clinic
    as_user(c, "kpatel")
    with sqlite3.connect(db_path, isolation_level=None) as other:
        other.execute("BEGIN IMMEDIATE")  # another PC in the middle of a save
        try:
            assert c.services.access.user is not None
            c.services.patients._require(Action.VIEW_PATIENT)  # would wait out the busy timeout, then fail
        finally:
            other.execute("ROLLBACK")
