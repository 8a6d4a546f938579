"""A signed note keeps the patient and the signer as they were when it was signed (schema 0009, issue 13):
renaming either later changes neither the printed note nor its fingerprint; and `needlelog check` recomputes
every signed note's fingerprint, naming one rewritten while its trigger was away."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

from pypdf import PdfReader

from needlelog.domain.model import Clinician, Consent, Patient, SignedAs
from needlelog.domain.vocab import ConsentMethod, Precaution
from needlelog.services.store import Services, check_database
from tests.conftest import NOW
from tests.db.test_signed_notes import signed_and_draft  # noqa: F401 (a fixture)


def pdf_text(path: Path) -> str:
    return " ".join(page.extract_text() for page in PdfReader(path).pages)


def test_renaming_the_patient_and_the_signer_changes_neither_the_printed_note_nor_its_fingerprint(
    services: Services,
    patient: Patient,
    clinician: Clinician,
    db_path: Path,
    tmp_path: Path,
    signed_and_draft: tuple[int, int],  # noqa: F811
) -> None:
    signed, _draft = signed_and_draft
    note = services.sessions.get(signed)
    assert note.signed_as == SignedAs.of(patient, clinician)
    before = services.exports.export_note(signed, tmp_path / "before.pdf")
    assert patient.family_name in pdf_text(before) and clinician.display_name in pdf_text(before)

    services.patients.edit(replace(services.patients.get(patient.id or 0), family_name="Renamed-After-Marriage"))
    with sqlite3.connect(db_path) as raw:  # the clinician's row corrected by hand, as an administrator might
        raw.execute("UPDATE clinician SET display_name = 'Dana W. Corrected' WHERE id = ?", (clinician.id,))

    after = pdf_text(services.exports.export_note(signed, tmp_path / "after.pdf"))
    assert patient.family_name in after and "Renamed-After-Marriage" not in after
    assert clinician.display_name in after and "Dana W. Corrected" not in after
    assert services.sessions.get(signed).fingerprint == note.fingerprint
    assert check_database(db_path) == []


def test_check_names_a_signed_note_rewritten_while_its_trigger_was_away(
    db_path: Path,
    signed_and_draft: tuple[int, int],  # noqa: F811
) -> None:
    signed, _draft = signed_and_draft
    with sqlite3.connect(db_path) as raw:
        trigger = raw.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'signed_session_no_update'"
        ).fetchone()[0]
        raw.execute("DROP TRIGGER signed_session_no_update")
        raw.execute("UPDATE treatment_session SET pain_after = 0 WHERE id = ?", (signed,))
    with sqlite3.connect(db_path) as raw:
        raw.execute(trigger)  # put back as it was: only the fingerprint can tell
    problems = check_database(db_path)
    assert len(problems) == 1 and f"signed note {signed} " in problems[0] and "changed after signing" in problems[0]
    run = subprocess.run(
        [sys.executable, "-m", "needlelog", "check", "--db", str(db_path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1 and f"signed note {signed} " in run.stderr and "Traceback" not in run.stderr


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def upgraded_copy(tmp_path: Path, revision: str, *before: str) -> Path:
    """An old fixture chart, changed by ``before`` (plain SQL), upgraded to this program's schema."""
    from needlelog.db import migrate
    from needlelog.db.engine import open_engine

    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / f"schema-{revision}.sqlite"
    path.write_bytes((FIXTURES / f"schema-{revision}.sqlite").read_bytes())
    with sqlite3.connect(path) as raw:
        for statement in before:
            raw.execute(statement)
    engine = open_engine(path, create=False)
    try:
        migrate.upgrade(engine, backup_folder=tmp_path, at=NOW)
    finally:
        engine.dispose()
    return path


def test_a_rename_before_the_upgrade_is_named_as_such_not_as_tampering(tmp_path: Path) -> None:
    """0009 fills the names from the rows as they are at the upgrade: a patient renamed before it makes the
    fingerprint fail, and check says that this is what it may be."""
    path = upgraded_copy(tmp_path, "0008", "UPDATE patient SET family_name = 'Okafor-Renamed' WHERE id = 2")
    problems = check_database(path)
    assert problems and all("renamed before that upgrade" in p for p in problems), problems
    assert check_database(upgraded_copy(tmp_path / "plain", "0008")) == []


def test_an_upgrade_goes_on_when_the_signed_row_trigger_was_dropped_and_check_names_it(tmp_path: Path) -> None:
    path = upgraded_copy(tmp_path, "0008", "DROP TRIGGER signed_session_no_update")
    problems = check_database(path)
    assert any("signed_session_no_update is missing" in p for p in problems), problems


def test_an_unreadable_record_of_whom_a_note_was_signed_for_is_named_by_check(
    db_path: Path,
    signed_and_draft: tuple[int, int],  # noqa: F811
) -> None:
    signed, _draft = signed_and_draft
    with sqlite3.connect(db_path) as raw:
        trigger = raw.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'signed_session_no_update'"
        ).fetchone()[0]
        raw.execute("DROP TRIGGER signed_session_no_update")
        raw.execute('UPDATE treatment_session SET signed_as = \'{"chart_number": "C1"}\' WHERE id = ?', (signed,))
        raw.execute(trigger)
    problems = check_database(db_path)
    assert len(problems) == 1 and f"signed note {signed} " in problems[0] and "whom it was signed" in problems[0]


def test_a_signed_note_prints_the_consent_precautions_and_credentials_of_its_day(
    services: Services,
    patient: Patient,
    clinician: Clinician,
    db_path: Path,
    tmp_path: Path,
    signed_and_draft: tuple[int, int],  # noqa: F811
) -> None:
    """A newer consent, a new screening answer and corrected credentials after the signature change nothing on
    the signed note; a draft shows today's record."""
    signed, draft = signed_and_draft
    before = pdf_text(services.exports.export_note(signed, tmp_path / "before.pdf"))
    assert "written, 2026-01-05" in before and "MScPT" in before and "Epilepsy" not in before
    services.patients.record_consent(patient.id or 0, Consent(date(2026, 3, 1), ConsentMethod.VERBAL, "Somebody Else"))
    now = services.patients.get(patient.id or 0)
    services.patients.edit(replace(now, screening=replace(now.screening, positive=frozenset({Precaution.EPILEPSY}))))
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE clinician SET credentials = 'FORMER CREDS' WHERE id = ?", (clinician.id,))
    after = pdf_text(services.exports.export_note(signed, tmp_path / "after.pdf"))
    assert "written, 2026-01-05" in after and "Somebody Else" not in after and "Epilepsy" not in after
    assert "MScPT" in after and "FORMER CREDS" not in after
    today = pdf_text(services.exports.export_note(draft, tmp_path / "draft.pdf"))
    assert "Somebody Else" in today and "Epilepsy" in today


def test_the_consent_on_a_day_is_the_one_that_held_then() -> None:
    from needlelog.domain.as_signed import consent_on

    first = Consent(date(2025, 1, 5), ConsentMethod.WRITTEN, "Dana Whitford", revoked_on=date(2025, 6, 1))
    second = Consent(date(2025, 9, 1), ConsentMethod.VERBAL, "Ravi Sandhu")
    assert consent_on([first, second], date(2025, 1, 4)) is None
    assert consent_on([first, second], date(2025, 3, 1)) == replace(first, revoked_on=None)  # revoked later
    assert consent_on([first, second], date(2025, 7, 1)) == first  # revoked by then: the note says so
    assert consent_on([second, first], date(2025, 10, 1)) == second
