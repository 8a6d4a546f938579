"""The adverse-event register a critical-event review can use (issue 15, item 4): severity, open / closed with
who and when, an event reported after signing recorded against the visit without touching the signed note,
CSV and PDF export, every action audited."""

from __future__ import annotations

import csv
import io
import sqlite3
import subprocess
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from needlelog.domain.access import AuditAction
from needlelog.domain.errors import NotFoundError, PermissionDenied, ValidationError
from needlelog.domain.registers import CaseStatus, Severity
from needlelog.domain.vocab import AdverseEventKind
from needlelog.services.store import check_database
from tests.conftest import NOW
from tests.services.test_access import PASSWORD, Clinic, clinic  # noqa: F401 (a fixture)

YEAR = (date(2026, 1, 1), date(2026, 12, 31))
NOTICED = NOW.astimezone().date()  # the day after the visit


def actions(db: Path) -> list[tuple[str, int | None, str]]:
    with sqlite3.connect(db) as raw:
        return list(raw.execute("SELECT action, session_id, detail FROM audit_log ORDER BY id"))


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_a_pneumothorax_reported_after_signing_reaches_the_register_and_the_note_s_pdf_not_its_fingerprint(
    clinic: Clinic,  # noqa: F811
    db_path: Path,
    tmp_path: Path,
) -> None:
    services, signed = clinic.services, clinic.signed
    sid = signed.id or 0
    before = services.exports.note(sid).session
    assert services.registers.adverse_events(*YEAR) == []  # login as the system: no case yet
    services.accounts.login(clinic.clinician.username, PASSWORD)  # the clinician hears of it by phone
    services.registers.report_later(
        sid, AdverseEventKind.PNEUMOTHORAX, "Short of breath the next morning; chest X-ray at the ER.", NOTICED
    )
    services.accounts.login("kpatel", PASSWORD)
    [entry] = services.registers.adverse_events(*YEAR)
    assert entry.session_id == sid and entry.signed and entry.kinds == ()
    assert [r.kind for r in entry.late_reports] == [AdverseEventKind.PNEUMOTHORAX]
    assert entry.late_reports[0].reported_by == "Dana Whitford"
    assert entry.all_kinds() == (AdverseEventKind.PNEUMOTHORAX,)
    assert (entry.status, entry.severity) == (CaseStatus.OPEN, None)

    after = services.exports.note(sid)
    assert after.session == before  # the signed note as it was: content, fingerprint, signature
    assert after.session.fingerprint == signed.fingerprint
    assert check_database(db_path) == []  # every fingerprint still recomputes, the triggers and the chain hold
    pdf = services.exports.export_note(sid, tmp_path / "note.pdf")
    text = pdf_text(pdf)
    assert "Adverse events reported later (1)" in text
    assert "Suspected pneumothorax" in text and "chest X-ray at the ER" in text
    assert text.index("Adverse events reported later") > text.index(signed.fingerprint[:16])
    with sqlite3.connect(db_path) as raw, pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("UPDATE adverse_late_report SET description = 'nothing happened'")
    reported = [a for a in actions(db_path) if a[0] == AuditAction.ADVERSE_REPORTED]
    assert reported == [("adverse_reported", sid, f"reported later: Suspected pneumothorax, noticed {NOTICED}")]


def test_a_case_is_graded_then_closed_with_who_and_when_and_reopened(clinic: Clinic, db_path: Path) -> None:  # noqa: F811
    services, sid = clinic.services, clinic.signed.id or 0
    services.accounts.login("kpatel", PASSWORD)
    services.registers.report_later(sid, AdverseEventKind.INFECTION, "Redness and heat at site 2 on day 3.")
    with pytest.raises(ValidationError, match="Grade the severity") as refused:
        services.registers.review(sid, None, CaseStatus.CLOSED)
    assert refused.value.problems[0].field == "severity"
    services.registers.review(sid, Severity.MINOR, CaseStatus.OPEN)
    clinic.clock.advance(days=2)
    services.registers.review(sid, Severity.MINOR, CaseStatus.CLOSED)
    [entry] = services.registers.adverse_events(*YEAR)
    assert (entry.severity, entry.status, entry.closed_by) == (Severity.MINOR, CaseStatus.CLOSED, "Kiran Patel")
    assert entry.closed_at == clinic.clock()
    services.registers.review(sid, Severity.MAJOR, CaseStatus.OPEN)  # reopened: who and when cleared
    [entry] = services.registers.adverse_events(*YEAR)
    assert (entry.severity, entry.status, entry.closed_by, entry.closed_at) == (
        Severity.MAJOR,
        CaseStatus.OPEN,
        "",
        None,
    )
    reviewed = [a[2] for a in actions(db_path) if a[0] == AuditAction.ADVERSE_REVIEWED]
    assert reviewed == ["severity minor, open", "severity minor, closed", "severity major, open"]
    with pytest.raises(NotFoundError, match="no adverse event"):
        services.registers.review(clinic.draft.id or 0, Severity.MINOR, CaseStatus.OPEN)  # not a case


def test_refusals_name_the_field(clinic: Clinic) -> None:  # noqa: F811
    services, sid = clinic.services, clinic.signed.id or 0
    services.accounts.login("kpatel", PASSWORD)
    with pytest.raises(ValidationError) as blank:
        services.registers.report_later(sid, AdverseEventKind.NERVE_INJURY, "  ", date(2099, 1, 1))
    assert [p.field for p in blank.value.problems] == ["description", "noticed_on"]
    with pytest.raises(ValidationError, match="before the visit"):
        services.registers.report_later(sid, AdverseEventKind.NERVE_INJURY, "Numb thumb.", date(2020, 1, 1))
    services.accounts.login("admin", PASSWORD)  # the administrator sees no chart
    with pytest.raises(PermissionDenied, match="may not"):
        services.registers.report_later(sid, AdverseEventKind.NERVE_INJURY, "Numb thumb.")
    with pytest.raises(PermissionDenied, match="may not"):
        services.registers.review(sid, Severity.MAJOR, CaseStatus.OPEN)


def test_the_register_exports_as_csv_and_pdf_audited(clinic: Clinic, db_path: Path, tmp_path: Path) -> None:  # noqa: F811
    services, sid = clinic.services, clinic.signed.id or 0
    services.accounts.login("kpatel", PASSWORD)
    services.registers.report_later(sid, AdverseEventKind.PNEUMOTHORAX, "=cmd|' /C calc'!A0 breathless")
    services.registers.review(sid, Severity.MAJOR, CaseStatus.CLOSED)
    count = services.registers.export_adverse_events(*YEAR, csv=tmp_path / "r.csv", pdf=tmp_path / "r.pdf")
    assert count == 1
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["Chart number"] == "C100" and rows[0]["Severity"] == "Major" and rows[0]["Status"] == "Closed"
    assert rows[0]["Closed by"] == "Kiran Patel"
    assert "Suspected pneumothorax" in rows[0]["Reported later"] and "'=cmd" not in rows[0]["Reported later"][:5]
    text = "".join(page.extract_text() for page in PdfReader(tmp_path / "r.pdf").pages)
    assert "Adverse-event register" in text and "C100" in text and "Major" in text
    exported = [a[2] for a in actions(db_path) if a[0] == AuditAction.REGISTER_EXPORTED]
    assert exported == ["adverse-event register 2026-01-01 to 2026-12-31: r.csv, r.pdf"]
    viewed = [a for a in actions(db_path) if a[0] == AuditAction.REGISTER_VIEWED]
    assert viewed and not [a for a in actions(db_path) if a[0] == "patient_viewed" and "register" in a[2]]
    with pytest.raises(ValidationError, match="Choose where"):
        services.registers.export_adverse_events(*YEAR, None)
