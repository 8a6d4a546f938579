"""Someone with the chart file and without the key writes after the sealed head (issue 13): a forged signed note and
the audit row that would make it look like a keyless account's signature. The next write that holds the key seals
what waits only when the account the rows name never held a copy of the key; in the name of an account that holds
one (it seals what it writes), or of one whose copy was deleted to pass it off as keyless, nothing is sealed and
`needlelog check --user` names each row. What stays open: rows in the name of an account that never held a copy."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from needlelog.domain.access import AuditAction, AuditEntry, audit_hash
from needlelog.services.store import seal_findings
from tests.conftest import FakeClock
from tests.services.test_keyless_sealing import PASSWORD, WAITS, morning, opened, run_check, sealed, tamper


def forge_signed_note(path: Path, like: int, signer: str) -> int:
    """A copy of the signed note ``like`` signed by ``signer``, with its signing row forged onto the trail's end
    (a correct hash: the chain has no key). The new note's id."""
    with sqlite3.connect(path) as raw:
        columns = [c[1] for c in raw.execute("PRAGMA table_info(treatment_session)") if c[1] != "id"]
        signer_id = raw.execute("SELECT id FROM clinician WHERE username = ?", (signer,)).fetchone()[0]
    names = ", ".join(columns)
    values = ", ".join("?" if name == "signed_by_id" else name for name in columns)
    with sqlite3.connect(path) as raw:
        triggers = raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
        for name, _sql in triggers:
            raw.execute(f'DROP TRIGGER "{name}"')
        raw.execute(
            f"INSERT INTO treatment_session ({names}) SELECT {values} FROM treatment_session WHERE id = ?",
            (signer_id, like),
        )
        forged = raw.execute("SELECT max(id) FROM treatment_session").fetchone()[0]
        for _name, sql in triggers:
            raw.execute(sql)
    forge_audit_row(path, signer, AuditAction.SESSION_SIGNED, forged)
    return int(forged)


def forge_audit_row(path: Path, user: str, action: AuditAction, session_id: int | None) -> int:
    with sqlite3.connect(path) as raw:
        at, previous = raw.execute("SELECT at, row_hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
        patient = raw.execute("SELECT patient_id FROM treatment_session WHERE id = ?", (session_id,)).fetchone()
        patient_id = None if patient is None else patient[0]
        moment = datetime.fromisoformat(at).replace(tzinfo=UTC)
        entry = AuditEntry(moment, user, "clinician", action, patient_id, session_id, "")
        raw.execute(
            "INSERT INTO audit_log (at, user_name, role, action, patient_id, session_id, detail, previous_hash,"
            " row_hash) VALUES (?, ?, 'clinician', ?, ?, ?, '', ?, ?)",
            (at, user, action.value, patient_id, session_id, previous, audit_hash(entry, previous)),
        )
        return int(raw.execute("SELECT max(id) FROM audit_log").fetchone()[0])


def next_keyed_write(path: Path) -> None:
    services = opened(path, FakeClock())
    try:
        services.accounts.login("dwhitford", PASSWORD)  # a sign-in with the key: it seals what may wait
        services.accounts.sign_out()
    finally:
        services.close()


def audit_sealed(path: Path, row: int) -> bool:
    return row in sealed(path, "audit")


def test_a_note_forged_in_the_name_of_an_account_that_holds_the_key_is_never_sealed(tmp_path: Path) -> None:
    path, note, _amendment = morning(tmp_path)
    forged = forge_signed_note(path, note, "dwhitford")  # the administrator holds the key: seals what they sign
    with sqlite3.connect(path) as raw:
        signing_row = raw.execute("SELECT max(id) FROM audit_log").fetchone()[0]
    exported = forge_audit_row(path, "dwhitford", AuditAction.PDF_EXPORTED, None)
    problems, waiting = seal_findings(path, "dwhitford", PASSWORD)
    named = "names dwhitford, who holds the chart key and seals what they write: it was not written by them"
    assert f"seal: audit row {signing_row} has no seal and {named}" in problems
    assert f"seal: audit row {exported} has no seal and {named}" in problems
    assert not any(str(forged) in line for line in waiting)
    assert f"{WAITS}: signed note {note}" in waiting  # the keyless clinician's own note still waits

    next_keyed_write(path)
    assert forged not in sealed(path, "note")
    assert not audit_sealed(path, signing_row) and not audit_sealed(path, exported)
    assert note in sealed(path, "note")  # what the keyless clinician wrote was sealed as theirs
    result = run_check(path)
    assert result.returncode == 1, result.stdout
    assert f"signed note {forged} has no seal" in result.stderr
    assert f"audit row {signing_row} has no seal and names dwhitford" in result.stderr


def test_a_copy_of_the_key_deleted_to_pass_its_account_off_as_keyless_is_named_and_nothing_is_sealed(
    tmp_path: Path,
) -> None:
    path, note, amendment = morning(tmp_path)
    services = opened(path, FakeClock())
    try:
        services.accounts.login("dwhitford", PASSWORD)
        rsandhu = next(u for u in services.accounts.users() if u.username == "rsandhu")
        services.accounts.set_password(rsandhu.id or 0, PASSWORD)  # gives rsandhu a copy
        services.accounts.sign_out()
    finally:
        services.close()
    # what rsandhu wrote without a copy was sealed as theirs before the copy was given, not refused after
    assert note in sealed(path, "note") and amendment in sealed(path, "amendment")
    assert seal_findings(path, "dwhitford", PASSWORD) == ([], [])

    tamper(path, "DELETE FROM key_wrapping WHERE clinician_id = (SELECT id FROM clinician WHERE username = 'rsandhu')")
    forged = forge_signed_note(path, note, "rsandhu")
    problems, waiting = seal_findings(path, "dwhitford", PASSWORD)
    assert any("rsandhu held a copy of the chart key and it is gone" in p for p in problems), problems
    assert any(f"signed note {forged}" in p for p in problems) and waiting == []
    next_keyed_write(path)
    assert forged not in sealed(path, "note")
    result = run_check(path)
    assert result.returncode == 1 and "rsandhu held a copy of the chart key and it is gone" in result.stderr


def test_what_stays_open_a_note_forged_in_the_name_of_an_account_that_never_held_a_copy(tmp_path: Path) -> None:
    """The exposure ARCHITECTURE.md states: a keyless account's write cannot be told from a forgery in its name;
    the next keyed write seals it as that account's, and the trail names the account."""
    path, note, _amendment = morning(tmp_path)
    forged = forge_signed_note(path, note, "rsandhu")
    _problems, waiting = seal_findings(path, "dwhitford", PASSWORD)
    assert f"{WAITS}: signed note {forged}" in waiting
    next_keyed_write(path)
    assert forged in sealed(path, "note")
    with sqlite3.connect(path) as raw:
        signer = raw.execute(
            "SELECT user_name FROM audit_log WHERE action = 'session_signed' AND session_id = ?", (forged,)
        ).fetchone()
    assert signer == ("rsandhu",)
