"""The CSV export: one row per visit, words not codes, UTF-8 with BOM, and no formula a spreadsheet would run."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from needlelog.domain.model import (
    AdverseEvent,
    Clinic,
    Clinician,
    NeedlingSite,
    Patient,
    Reactions,
    TreatmentSession,
    VisitNote,
)
from needlelog.domain.vocab import (
    AdverseEventKind,
    Aftercare,
    BodyRegion,
    Condition,
    Reaction,
    SessionStatus,
    Side,
    Soreness,
    Technique,
    TwitchResponse,
)
from needlelog.reports.csv_export import COLUMNS, ENCODING, csv_row, neutralise, render_csv

START = datetime(2026, 2, 10, 15, 0, tzinfo=UTC)


def note(**changes: object) -> VisitNote:
    values: dict[str, object] = {
        "patient_id": 1,
        "clinician_id": 1,
        "service_start": START,
        "service_end": datetime(2026, 2, 10, 15, 40, tzinfo=UTC),
        "condition": Condition.LOW_BACK_SCIATICA,
        "technique": Technique.IMS,
        "electrical_stimulation": True,
        "sites": (
            NeedlingSite(
                BodyRegion.LOWER_BACK,
                Side.LEFT,
                "quadratus lumborum",
                12,
                "0.30 x 50 mm",
                "L2302-07",
                15,
                TwitchResponse.WEAK,
                needles_out=12,
            ),
            NeedlingSite(
                BodyRegion.HIP_GLUTEAL,
                Side.BILATERAL,
                "piriformis",
                2,
                "",
                "",
                10,
                TwitchResponse.STRONG,
                needles_out=2,
            ),
        ),
        "pain_before": 8,
        "pain_after": 4,
        "sharps_disposed": True,
        "reactions": Reactions(Soreness.MODERATE, frozenset({Reaction.BRUISING}), "tingling in the left foot"),
        "adverse_events": (AdverseEvent(AdverseEventKind.FAINTING_INJURY, "Fainted standing up"),),
        "aftercare": frozenset({Aftercare.HYDRATE, Aftercare.KEEP_ACTIVE}),
        "notes": "Better after.\nReview in 1 week.",
        "status": SessionStatus.SIGNED,
        "id": 7,
        "signed_at": datetime(2026, 2, 10, 16, 5, tzinfo=UTC),
        "fingerprint": "ab" * 32,
    }
    patient = changes.pop("patient", None) or Patient("C100", "Nguyễn", "Zoë", date(1984, 5, 17))
    values.update(changes)
    return VisitNote(
        clinic=Clinic("Bow River Physiotherapy"),
        patient=patient,  # type: ignore[arg-type]
        clinician=Clinician("Алёна Петрова", "apetrova", "PT"),
        session=TreatmentSession(**values),  # type: ignore[arg-type]
    )


def read(data: bytes) -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode())  # the BOM: spreadsheets then read UTF-8
    return list(csv.DictReader(io.StringIO(data.decode(ENCODING), newline="")))


def test_one_row_per_visit_in_words() -> None:
    data = render_csv([note(), note(id=8, status=SessionStatus.DRAFT, fingerprint="", signed_at=None)])
    rows = read(data)
    assert list(rows[0]) == list(COLUMNS)
    assert len(rows) == 2
    row = rows[0]
    local = START.astimezone()
    assert row["Date"] == local.strftime("%Y-%m-%d") and row["Start"] == local.strftime("%H:%M")
    assert row["Chart number"] == "C100" and row["Family name"] == "Nguyễn" and row["Given name"] == "Zoë"
    assert row["Clinician"] == "Алёна Петрова"
    assert row["Condition"] == Condition.LOW_BACK_SCIATICA.label
    assert row["Technique"] == "IMS with electrical stimulation"
    assert row["Sites"].startswith("1. Lower back (lumbar), left, quadratus lumborum, 12 needles, 15 min, twitch weak")
    assert row["Sites"].endswith("; 2. Hip and gluteal, bilateral, piriformis, 2 needles, 10 min, twitch strong")
    assert (row["Needles inserted"], row["Needles removed"], row["Sharps disposed"]) == ("14", "14", "yes")
    assert (row["Pain before"], row["Pain after"], row["Soreness"]) == ("8", "4", "Moderate")
    assert Reaction.BRUISING.label in row["Reactions"] and "tingling in the left foot" in row["Reactions"]
    assert row["Adverse events"] == "Fainting with injury: Fainted standing up"
    assert row["Aftercare"] == f"{Aftercare.HYDRATE.label}; {Aftercare.KEEP_ACTIVE.label}"
    assert row["Status"] == "Signed" and row["Fingerprint"] == "ab" * 32
    assert row["Notes"] == "Better after.\nReview in 1 week."  # a line break stays inside its quoted cell
    draft = rows[1]
    assert draft["Status"] == "Draft" and draft["Signed at"] == "" and draft["Fingerprint"] == ""


def test_rows_follow_rfc_4180() -> None:
    data = render_csv([note(notes='He said "better", then left, twice.')]).decode(ENCODING)
    assert data.endswith("\r\n") and data.count("\r\n") == 2  # header and one row, CRLF each
    assert '"He said ""better"", then left, twice."' in data


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("=1+2", "'=1+2"),
        ("+SUM(A1:A9)", "'+SUM(A1:A9)"),
        ("-3", "'-3"),
        ("@cmd", "'@cmd"),
        ("\tindent", "'\tindent"),
        ("\rreturn", "'\rreturn"),
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("a-b = c", "a-b = c"),
        ("Zoë", "Zoë"),
        ("", ""),
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_neutralised(typed: str, stored: str) -> None:
    assert neutralise(typed) == stored


def test_formulas_typed_anywhere_reach_the_sheet_as_text_and_unicode_is_kept() -> None:
    patient = Patient("C7", "+SUM(A1)", "-3", date(1990, 1, 1))
    site = NeedlingSite(BodyRegion.NECK, Side.RIGHT, "@cmd", 1, "", "", 5, TwitchResponse.NONE, needles_out=1)
    rows = read(
        render_csv(
            [
                note(
                    patient=patient,
                    notes="=1+2",
                    sites=(site,),
                    reactions=Reactions(None, frozenset(), "=cmd|' /C calc'!A0"),
                )
            ]
        )
    )
    row = rows[0]
    assert row["Notes"] == "'=1+2"
    assert row["Family name"] == "'+SUM(A1)" and row["Given name"] == "'-3"
    assert row["Sites"].startswith("1. Neck, right, @cmd")  # mid-cell: harmless, kept as typed
    assert row["Reactions"] == "'=cmd|' /C calc'!A0"
    assert row["Clinician"] == "Алёна Петрова"
    for cell in rows[0].values():
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_control_characters_are_dropped_but_line_breaks_kept() -> None:
    row = csv_row(note(notes="a\x00b\x07c\nd"))
    assert row[COLUMNS.index("Notes")] == "abc\nd"
