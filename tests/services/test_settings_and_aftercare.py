"""Issue 15, items 6 and 7: the settings the SPEC names, audited old → new; the letterhead's logo on the note;
the patient's aftercare sheet of a visit, with the breathing warning only where a site lay over the lung.

Real chart files, real PDFs read back with pypdf and poppler's pdftotext.
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from needlelog.domain.access import AuditAction
from needlelog.domain.clinic_settings import LOGO_MAX_BYTES
from needlelog.domain.errors import PermissionDenied, ValidationError
from needlelog.domain.model import Clinician, NeedlingSite, Patient, TreatmentSession
from needlelog.domain.vocab import BodyRegion, Role, Side
from needlelog.services import backups
from needlelog.services.store import Services
from tests.conftest import FakeClock


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (120, 40), mode: str = "RGB") -> bytes:
    picture = Image.new(mode, size, (20, 90, 160) if mode == "RGB" else (20, 90, 160, 200))
    buffer = io.BytesIO()
    picture.save(buffer, kind)
    return buffer.getvalue()


def audit_details(services: Services, action: AuditAction) -> list[str]:
    today = services.clock().date()
    entries = sorted((line.entry for line in services.registers.audit(today, today)), key=lambda e: e.id or 0)
    return [entry.detail for entry in entries if entry.action == action]  # oldest first


def text_of(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


# --- settings ------------------------------------------------------------------------------------


def test_each_change_of_the_settings_is_audited_old_to_new_in_one_row(services: Services) -> None:
    before = services.clinic.clinic()
    logo = image_bytes()
    changed = replace(before, name="Bow River Physio & IMS", default_dwell_minutes=12, consent_valid_months=24)
    services.clinic.save_settings(replace(changed, logo=logo), minutes=15)
    saved = services.clinic.clinic()
    assert (saved.name, saved.default_dwell_minutes, saved.consent_valid_months) == ("Bow River Physio & IMS", 12, 24)
    assert saved.logo == logo and saved.id == before.id
    assert services.accounts.idle_lock_minutes() == 15
    detail = audit_details(services, AuditAction.SETTING_CHANGED)[-1]
    assert "clinic name: “Bow River Physiotherapy” → “Bow River Physio & IMS”" in detail
    assert "default dwell: 10 → 12 minutes" in detail
    assert "consent validity: 12 → 24 months" in detail
    assert "letterhead logo: none → PNG 120×40 px" in detail
    assert "idle lock: 10 → 15 minutes" in detail
    assert "address" not in detail  # unchanged: not said


def test_a_save_that_changes_nothing_writes_no_audit_row(services: Services) -> None:
    rows = len(audit_details(services, AuditAction.SETTING_CHANGED))
    services.clinic.save_settings(services.clinic.clinic(), minutes=services.accounts.idle_lock_minutes())
    assert len(audit_details(services, AuditAction.SETTING_CHANGED)) == rows


@pytest.mark.parametrize(
    ("logo", "words"),
    [
        (b"GIF89a" + bytes(200), "must be a PNG or JPEG image"),
        (image_bytes()[:60], "damaged or not a PNG or JPEG image"),
        (image_bytes(size=(4001, 20)), "choose one of 8 to 4000 pixels a side"),
        (b"\x89PNG\r\n\x1a\n" + bytes(LOGO_MAX_BYTES), "larger than 1 MB: choose a smaller one"),
    ],
    ids=["gif", "truncated-png", "too-wide", "too-large"],
)
def test_a_logo_that_is_no_printable_image_is_refused_by_name_and_nothing_is_written(
    services: Services, logo: bytes, words: str
) -> None:
    before = services.clinic.clinic()
    with pytest.raises(ValidationError) as refused:
        services.clinic.save_settings(replace(before, logo=logo, default_dwell_minutes=11))
    assert [problem.field for problem in refused.value.problems] == ["logo"]
    assert words in str(refused.value)
    assert services.clinic.clinic() == before


def test_every_bad_value_is_named_at_once(services: Services) -> None:
    clinic = replace(services.clinic.clinic(), name=" ", default_dwell_minutes=20, consent_valid_months=0)
    with pytest.raises(ValidationError) as refused:
        services.clinic.save_settings(clinic, minutes=45)
    fields = {problem.field for problem in refused.value.problems}
    assert fields == {"name", "default_dwell_minutes", "consent_valid_months", "idle_lock_minutes"}
    assert "Default dwell time must be 5 to 15 minutes." in str(refused.value)


def test_only_the_administrator_changes_the_settings(services: Services, clinician: Clinician) -> None:
    services.access.user = clinician
    with pytest.raises(PermissionDenied, match="may not change settings"):
        services.clinic.save_settings(replace(services.clinic.clinic(), default_dwell_minutes=8))
    with pytest.raises(PermissionDenied, match="may not change settings"):
        services.clinic.choose_backup_folder(None)
    services.access.user = None
    assert services.clinic.clinic().default_dwell_minutes == 10


def test_the_backup_folder_chosen_in_the_settings_is_audited_old_to_new(
    services: Services, db_path: Path, tmp_path: Path
) -> None:
    default = backups.default_backup_folder(db_path)
    assert services.clinic.backup_folder() == default
    chosen = services.clinic.choose_backup_folder(tmp_path / "copies")
    assert chosen == tmp_path / "copies" == backups.backup_folder(db_path)
    assert audit_details(services, AuditAction.SETTING_CHANGED)[-1] == (
        f"backup folder (this PC): {default} → {tmp_path / 'copies'}"
    )
    services.clinic.choose_backup_folder(None)
    assert backups.backup_folder(db_path) == default


# --- the logo on the note ----------------------------------------------------------------------


def visit(services: Services, clinician: Clinician, patient: Patient, *sites: NeedlingSite) -> TreatmentSession:
    start = services.clock() - timedelta(hours=1)
    draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0, start)
    return services.sessions.save_draft(replace(draft, sites=sites))


CHEST = NeedlingSite(BodyRegion.CHEST, Side.LEFT, "pectoralis major", 2, dwell_minutes=10)
CALF = NeedlingSite(BodyRegion.CALF, Side.RIGHT, "gastrocnemius", 3, dwell_minutes=10)
SOLEUS = NeedlingSite(BodyRegion.CALF, Side.RIGHT, "soleus", 2, dwell_minutes=10)


def page_images(pdf: Path) -> list[str]:
    resources = PdfReader(pdf).pages[0]["/Resources"]
    objects = resources.get("/XObject", {})
    return [name for name, ref in objects.items() if ref.get_object()["/Subtype"] == "/Image"]


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_the_letterhead_logo_prints_on_page_1_of_the_visit_note(
    services: Services, clinician: Clinician, patient: Patient, tmp_path: Path, kind: str
) -> None:
    session = visit(services, clinician, patient, CALF)
    plain = services.exports.export_note(session.id or 0, tmp_path / "plain.pdf")
    assert page_images(plain) == []
    services.clinic.save_settings(replace(services.clinic.clinic(), logo=image_bytes(kind, (300, 100))))
    with_logo = services.exports.export_note(session.id or 0, tmp_path / "logo.pdf")
    assert len(page_images(with_logo)) == 1
    assert "Bow River Physiotherapy" in text_of(with_logo)


def test_a_transparent_logo_prints_laid_on_white(
    services: Services, clinician: Clinician, patient: Patient, tmp_path: Path
) -> None:
    session = visit(services, clinician, patient, CALF)
    services.clinic.save_settings(replace(services.clinic.clinic(), logo=image_bytes("PNG", (64, 64), "RGBA")))
    pdf = services.exports.export_note(session.id or 0, tmp_path / "note.pdf")
    assert len(page_images(pdf)) == 1  # one JPEG on white: no soft mask to carry


# --- the aftercare sheet -----------------------------------------------------------------------


def test_the_sheet_of_a_chest_visit_carries_the_breathing_warning(
    services: Services, clinician: Clinician, patient: Patient, tmp_path: Path, clock: FakeClock
) -> None:
    session = visit(services, clinician, patient, CHEST)
    pdf = services.exports.export_aftercare(session.id or 0, tmp_path / "chest.pdf")
    words = " ".join(text_of(pdf).split())
    assert len(PdfReader(pdf).pages) == 1
    assert "Breathing warning" in words and "shortness of breath" in words
    assert "Left chest: pectoralis major" in words
    assert "Call 403-555-0142" in words and "Bow River Physiotherapy" in words
    for advice in ("Stay hydrated", "stretches and exercises", "ice or heat", "Keep active", "excessive alcohol"):
        assert advice in words
    assert "24–48 hours" in words
    assert "Zoë Nguyễn" in words


def test_the_sheet_of_a_calf_visit_has_no_breathing_warning(
    services: Services, clinician: Clinician, patient: Patient, tmp_path: Path
) -> None:
    session = visit(services, clinician, patient, CALF, SOLEUS)
    pdf = services.exports.export_aftercare(session.id or 0, tmp_path / "calf.pdf")
    words = " ".join(text_of(pdf).split())
    assert "Breathing warning" not in words and "shortness of breath" not in words
    assert "Right calf (back of the lower leg): gastrocnemius, soleus" in words


def test_the_sheet_is_part_of_the_visits_audit_trail_and_carries_the_logo(
    services: Services, clinician: Clinician, patient: Patient, tmp_path: Path
) -> None:
    services.clinic.save_settings(replace(services.clinic.clinic(), logo=image_bytes()))
    session = visit(services, clinician, patient, CALF)
    name = services.exports.aftercare_filename(session.id or 0)
    assert name.endswith("_aftercare.pdf")
    pdf = services.exports.export_aftercare(session.id or 0, tmp_path / name)
    assert len(page_images(pdf)) == 1
    today = services.clock().date()
    rows = [line.entry for line in services.registers.audit(today, today)]
    printed = [row for row in rows if row.action == AuditAction.AFTERCARE_PRINTED]
    assert [(row.session_id, row.patient_id, row.detail) for row in printed] == [(session.id, patient.id, name)]


def test_a_visit_of_many_areas_still_prints_on_one_page(
    services: Services, clinician: Clinician, patient: Patient, tmp_path: Path
) -> None:
    sites = tuple(
        NeedlingSite(region, side, f"muscle {i} " + "with a long typed name " * 3, 1, dwell_minutes=10)
        for i, (region, side) in enumerate((r, s) for r in BodyRegion for s in (Side.LEFT, Side.RIGHT))
    )[:24]
    session = visit(services, clinician, patient, *sites)
    pdf = services.exports.export_aftercare(session.id or 0, tmp_path / "many.pdf")
    assert len(PdfReader(pdf).pages) == 1
    assert "Breathing warning" in text_of(pdf)  # the chest and the upper back are among them


def test_a_manager_prints_a_sheet_but_an_administrator_alone_may_not(
    services: Services, clinician: Clinician, patient: Patient, tmp_path: Path
) -> None:
    session = visit(services, clinician, patient, CALF)
    admin = Clinician("Ada Admin", "ada", roles=frozenset({Role.ADMIN}))
    services.access.user = services.accounts.add_user(admin, "a long admin pass")
    with pytest.raises(PermissionDenied):
        services.exports.export_aftercare(session.id or 0, tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_every_page_of_a_combined_export_and_each_per_visit_pdf_carries_the_logo(
    services: Services, clinician: Clinician, patient: Patient, tmp_path: Path
) -> None:
    from needlelog.services.exporting import ExportCriteria

    services.clinic.save_settings(replace(services.clinic.clinic(), logo=image_bytes("JPEG", (400, 120))))
    for _ in range(3):
        visit(services, clinician, patient, CALF)
    today = services.clock().date()
    result = services.exports.export(
        ExportCriteria(today, today, include_drafts=True), tmp_path / "each", combined=tmp_path / "all.pdf", workers=1
    )
    assert len(result.files) == 3 and all(len(page_images(path)) == 1 for path in result.files)
    pages = PdfReader(tmp_path / "all.pdf").pages
    assert len(pages) >= 3
    for page in pages:
        images = [
            name
            for name, ref in page["/Resources"].get("/XObject", {}).items()
            if ref.get_object()["/Subtype"] == "/Image"
        ]
        assert len(images) == 1


def test_the_clinic_report_and_the_adverse_event_register_carry_the_logo_on_every_page(
    services: Services, clinician: Clinician, patient: Patient, tmp_path: Path
) -> None:
    """With the note, the combined export and the aftercare sheet above: every PDF the program writes."""
    services.clinic.save_settings(replace(services.clinic.clinic(), logo=image_bytes("PNG", (300, 90))))
    visit(services, clinician, patient, CALF)
    today = services.clock().date()
    services.reports.write_report(today, today, tmp_path / "report.pdf")
    services.registers.export_adverse_events(today, today, None, tmp_path / "register.pdf")
    for pdf in (tmp_path / "report.pdf", tmp_path / "register.pdf"):
        for page in PdfReader(pdf).pages:
            objects = page["/Resources"].get("/XObject", {})
            assert [ref.get_object()["/Subtype"] for ref in objects.values()].count("/Image") == 1, pdf.name
