"""Keyed seals (issue 13, item 2): an insider who can write the chart file with plain ``sqlite3`` (the triggers
dropped where they stand in the way) rewrites, forges or cuts; `needlelog check --user` names each by its row and
exits 1. The attacks the database refuses by itself are in test_no_replace.py and test_signed_notes.py."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from needlelog.domain.access import GENESIS, AuditAction, AuditEntry, audit_hash
from needlelog.domain.model import AdverseEvent, Clinician
from needlelog.domain.vocab import AdverseEventKind, Role
from needlelog.services.store import Services, check_database, seal_check
from tests.conftest import FakeClock
from tests.db.test_signed_notes import signed_and_draft  # noqa: F401 (a fixture)

PASSWORD = "front-desk-password"
APPEND_ONLY_TRIGGERS = (
    "amendment_no_update",
    "amendment_no_delete",
    "adverse_follow_up_no_update",
    "adverse_late_report_no_update",
    "audit_log_no_update",
    "audit_log_no_delete",
    "signed_session_no_update",
)


def run_check(path: Path, *extra: str, password: str | None = PASSWORD) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NEEDLELOG_PASSWORD"}
    if password is not None:
        env["NEEDLELOG_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "needlelog", "check", "--db", str(path), *extra],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def keyed(
    services: Services,
    clinician: Clinician,
    clock: FakeClock,
    db_path: Path,
    signed_and_draft: tuple[int, int],  # noqa: F811
) -> tuple[Path, int, int]:
    """A clinic's chart: accounts (the first made the key and sealed the note signed before it, as found), a note
    signed and amended with the key, an adverse event's follow-up by the manager. (path, first note, second)."""
    signed, draft = signed_and_draft
    services.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
    services.accounts.set_password(clinician.id or 0, PASSWORD)
    manager = Clinician("Kiran Patel", "kpatel", authorised_to_needle=False, roles=frozenset({Role.MANAGER}))
    services.accounts.add_user(manager, PASSWORD)
    services.accounts.login("dwhitford", PASSWORD)
    stored = services.sessions.get(draft)
    event = AdverseEvent(AdverseEventKind.FAINTING_INJURY, "Fainted; bruised elbow")
    second = services.sessions.sign(
        replace(stored, adverse_events=(event,), service_start=clock.now - timedelta(minutes=50)), clinician.id or 0
    )
    services.sessions.amend(signed, "late detail", "Less pain at the neck.")
    noticed = clock.now.date()  # a date column among the sealed ones
    services.registers.report_later(signed, AdverseEventKind.OTHER_SERIOUS, "Dizzy on the way home; settled.", noticed)
    services.accounts.login("kpatel", PASSWORD)
    services.registers.add_follow_up(second.id or 0, "Called: bruise fading.")
    services.accounts.sign_out()
    services.close()
    return db_path, signed, second.id or 0


def tamper(path: Path, *statements: str) -> None:
    """``statements`` run with the triggers in their way dropped, and the triggers put back as they were: the
    walls stand again, and only the seals can tell."""
    with sqlite3.connect(path) as raw:
        kept = [
            raw.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,)).fetchone()[0]
            for name in APPEND_ONLY_TRIGGERS
        ]
        for name in APPEND_ONLY_TRIGGERS:
            raw.execute(f"DROP TRIGGER {name}")
        for statement in statements:
            raw.execute(statement)
        for trigger in kept:
            raw.execute(trigger)


def test_every_record_is_sealed_and_check_verifies_them(keyed: tuple[Path, int, int]) -> None:
    path, _signed, _second = keyed
    with sqlite3.connect(path) as raw:
        counts = dict(raw.execute("SELECT kind, count(*) FROM record_seal GROUP BY kind").fetchall())
        notes = raw.execute("SELECT count(*) FROM treatment_session WHERE status = 'signed'").fetchone()[0]
        audit = raw.execute("SELECT count(*), max(id) FROM audit_log").fetchone()
        head = raw.execute("SELECT head_id, row_count FROM chain_seal").fetchone()
        made = raw.execute("SELECT detail FROM audit_log WHERE action = 'chart_key_made'").fetchall()
    assert counts == {
        "note": notes,
        "amendment": 1,
        "follow_up": 1,
        "late_report": 1,
        "audit": audit[0],
        "keyholder": 3,
    }
    assert head == (audit[1], audit[0])
    assert len(made) == 1 and "sealed as found: 1 signed notes" in made[0][0]
    assert check_database(path) == [] and seal_check(path, "kpatel", PASSWORD) == []
    run = run_check(path, "--user", "dwhitford")
    assert run.returncode == 0 and "seals verified" in run.stdout, run.stderr


def test_check_without_an_account_says_the_seals_were_not_verified(keyed: tuple[Path, int, int]) -> None:
    path, _signed, _second = keyed
    tamper(path, "UPDATE amendment SET text = 'FORGED' WHERE id = 1")
    plain = run_check(path, password=None)
    assert plain.returncode == 0 and "seals not verified: give --user NAME" in plain.stdout, plain.stderr


def _rehash_audit(path: Path, row_id: int, detail: str) -> None:
    """Edit one audit row and recompute every hash after it: the unkeyed chain holds again."""
    with sqlite3.connect(path) as raw:
        rows = raw.execute(
            "SELECT id, at, user_name, role, action, patient_id, session_id, detail FROM audit_log ORDER BY id"
        ).fetchall()
        previous = GENESIS
        for id_, at, user, role, action, patient_id, session_id, stored in rows:
            text = detail if id_ == row_id else stored
            entry = AuditEntry(
                datetime.fromisoformat(at).replace(tzinfo=UTC),  # stored as UTC without its zone
                user,
                role,
                AuditAction(action),
                patient_id,
                session_id,
                text,
            )
            digest = audit_hash(entry, previous)
            raw.execute(
                "UPDATE audit_log SET detail = ?, previous_hash = ?, row_hash = ? WHERE id = ?",
                (text, previous, digest, id_),
            )
            previous = digest


ATTACKS: dict[str, tuple[Callable[[Path, int, int], None], str]] = {}


def attack(expected: str) -> Callable[[Callable[[Path, int, int], None]], Callable[[Path, int, int], None]]:
    def register(fn: Callable[[Path, int, int], None]) -> Callable[[Path, int, int], None]:
        ATTACKS[fn.__name__] = (fn, expected)
        return fn

    return register


@attack("amendment 1 does not match its seal")
def amendment_rewritten(path: Path, signed: int, second: int) -> None:
    tamper(path, "UPDATE amendment SET text = 'FORGED' WHERE id = 1")


@attack("follow-up 1 does not match its seal")
def follow_up_rewritten(path: Path, signed: int, second: int) -> None:
    tamper(path, "UPDATE adverse_follow_up SET text = 'Never called.' WHERE id = 1")


@attack("adverse event reported later 1 does not match its seal")
def late_report_rewritten(path: Path, signed: int, second: int) -> None:
    tamper(path, "UPDATE adverse_late_report SET description = 'Nothing happened.' WHERE id = 1")


@attack("signed note {signed} does not match its seal")
def patient_name_as_signed_edited(path: Path, signed: int, second: int) -> None:
    tamper(path, f"UPDATE treatment_session SET signed_as = replace(signed_as, 'Dana', 'Dan') WHERE id = {signed}")


@attack("signed note {second} does not match its seal")
def signer_and_fingerprint_rewritten(path: Path, signed: int, second: int) -> None:
    """A note moved to another signer with a fingerprint of the forger's making (SHA-256 has no key)."""
    tamper(path, f"UPDATE treatment_session SET signed_by_id = 1, fingerprint = '{'ab' * 32}' WHERE id = {second}")


@attack("signed note {forged} has no seal")
def forged_signed_row(path: Path, signed: int, second: int) -> None:
    with sqlite3.connect(path) as raw:
        columns = [c[1] for c in raw.execute("PRAGMA table_info(treatment_session)") if c[1] != "id"]
        names = ", ".join(columns)
        raw.execute(
            f"INSERT INTO treatment_session ({names}) SELECT {names} FROM treatment_session WHERE id = {second}"
        )


@attack("amendment 1 was sealed and is no longer there")
def amendment_deleted(path: Path, signed: int, second: int) -> None:
    tamper(path, "DELETE FROM amendment WHERE id = 1")


@attack("the sealed head of the trail, is missing: the trail was cut")
def audit_last_row_cut(path: Path, signed: int, second: int) -> None:
    tamper(path, "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)")


@attack("the sealed head of the trail, is missing: the trail was cut")
def audit_last_ten_cut(path: Path, signed: int, second: int) -> None:
    tamper(path, "DELETE FROM audit_log WHERE id > (SELECT max(id) - 10 FROM audit_log)")


@attack("the trail was cut (whole)")
def audit_all_cut(path: Path, signed: int, second: int) -> None:
    tamper(path, "DELETE FROM audit_log")


@attack("audit row 3 does not match its seal")
def audit_rehashed(path: Path, signed: int, second: int) -> None:
    with sqlite3.connect(path) as raw:
        kept = [raw.execute("SELECT sql FROM sqlite_master WHERE name = 'audit_log_no_update'").fetchone()[0]]
        raw.execute("DROP TRIGGER audit_log_no_update")
    _rehash_audit(path, 3, "nothing happened")
    with sqlite3.connect(path) as raw:
        raw.execute(kept[0])


@attack("the audit trail's sealed head and count do not match their seal")
def chain_head_moved_back(path: Path, signed: int, second: int) -> None:
    tamper(path, "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)")
    with sqlite3.connect(path) as raw:
        raw.execute(
            "UPDATE chain_seal SET head_id = head_id - 1, row_count = row_count - 1, "
            "head_hash = (SELECT row_hash FROM audit_log WHERE id = (SELECT max(id) FROM audit_log))"
        )


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_check_names_each_rewrite_by_its_row(name: str, keyed: tuple[Path, int, int]) -> None:
    path, signed, second = keyed
    with sqlite3.connect(path) as raw:
        forged = raw.execute("SELECT max(id) FROM treatment_session").fetchone()[0] + 1
    do, expected = ATTACKS[name]
    do(path, signed, second)
    words = expected.format(signed=signed, second=second, forged=forged)
    problems = seal_check(path, "admin", PASSWORD)
    assert any(words in p for p in problems), problems
    run = run_check(path, "--user", "admin")
    assert run.returncode == 1 and words in run.stderr and "Traceback" not in run.stderr, run.stderr


def test_a_wrong_password_or_an_account_without_a_key_is_one_line(keyed: tuple[Path, int, int]) -> None:
    path, _signed, _second = keyed
    wrong = run_check(path, "--user", "admin", password="not-the-password")
    assert wrong.returncode == 2 and wrong.stderr.strip() == "needlelog: Wrong user name or password.", wrong.stderr
    nobody = run_check(path, "--user", "nobody")
    assert nobody.returncode == 2 and len(nobody.stderr.strip().splitlines()) == 1, nobody.stderr


def test_an_older_sealed_head_put_back_over_a_cut_tail_is_named(
    services: Services, clinician: Clinician, db_path: Path
) -> None:
    services.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
    services.accounts.login("admin", PASSWORD)
    with sqlite3.connect(db_path) as raw:
        older = raw.execute("SELECT head_id, head_hash, row_count, seal FROM chain_seal").fetchone()
    services.accounts.set_password(clinician.id or 0, PASSWORD)
    services.accounts.sign_out()
    services.close()
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE chain_seal SET head_id = ?, head_hash = ?, row_count = ?, seal = ?", older)
    problems = seal_check(db_path, "admin", PASSWORD)
    assert any(f"audit row {older[0] + 1} is sealed after the sealed head" in p for p in problems), problems
