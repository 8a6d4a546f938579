"""The registers as files: the needle-lot recall, the adverse-event register and the audit trail as CSV (and the
register as a PDF for a critical-event review). Domain objects in, bytes out; CSV as the visit export writes it
(UTF-8 with a byte-order mark, RFC 4180, formula characters neutralised)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from reportlab.lib.pagesizes import LETTER, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

from needlelog.domain.model import Clinic
from needlelog.domain.registers import AuditLine, RecallHit, RegisterEntry
from needlelog.reports.csv_export import ENCODING, neutralise
from needlelog.reports.letterhead import PageLetterhead
from needlelog.reports.note_layout import INK, MUTED, RULE, SHADE, line
from needlelog.reports.shaping import Paragraph
from needlelog.reports.text import BOLD, MAIN, RENDERING, fonts, markup


def _local(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return "" if moment is None else moment.astimezone().strftime(pattern)


def _csv(rows: Iterable[Sequence[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, dialect="excel")
    for row in rows:
        writer.writerow([neutralise(" ".join(cell.split()) if "\n" not in cell else cell) for cell in row])
    return buffer.getvalue().encode(ENCODING)


def recall_csv(lot: str, hits: Sequence[RecallHit]) -> bytes:
    """Every visit that used ``lot``: who to call (name, phone) and what was used."""
    header = ["Lot", "Service date", "Chart number", "Patient", "Phone", "Clinician", "Site", "Needles"]
    rows = [
        [
            lot,
            _local(h.service_start),
            h.chart_number,
            h.patient_name,
            h.phone,
            h.clinician,
            str(h.site_number),
            "" if h.needles is None else str(h.needles),
        ]
        for h in hits
    ]
    return _csv([header, *rows])


def _events(entry: RegisterEntry) -> str:
    return "; ".join(kind.label for kind in entry.kinds)


def _late(entry: RegisterEntry) -> str:
    return "; ".join(
        f"{r.kind.label} (reported {_local(r.reported_at, '%Y-%m-%d')} by {r.reported_by}"
        + (f", noticed {r.noticed_on.isoformat()}" if r.noticed_on else "")
        + f"): {r.description}"
        for r in entry.late_reports
    )


def adverse_csv(entries: Sequence[RegisterEntry], first: date, last: date, made: datetime) -> bytes:
    """The adverse-event register of ``first``..``last``, one row per visit (patients by chart number)."""
    header = [
        "Service date",
        "Chart number",
        "Clinician",
        "Note",
        "Adverse events on the note",
        "Description",
        "Reported later",
        "Severity",
        "Status",
        "Closed by",
        "Closed at",
        "Follow-up notes",
    ]
    rows = [
        [
            _local(e.service_start),
            e.chart_number,
            e.clinician,
            "signed" if e.signed else "draft",
            _events(e),
            e.description,
            _late(e),
            e.severity.label if e.severity is not None else "not graded",
            e.status.label,
            e.closed_by,
            _local(e.closed_at),
            "\n".join(f"{_local(f.written_at)} {f.author}: {f.text}" for f in e.follow_ups),
        ]
        for e in entries
    ]
    return _csv([header, *rows])


def audit_csv(lines: Sequence[AuditLine]) -> bytes:
    header = ["Time", "User", "Role", "Action", "Chart number", "Session", "Detail", "Row hash"]
    rows = [
        [
            _local(a.entry.at, "%Y-%m-%d %H:%M:%S"),
            a.entry.user,
            a.entry.role,
            a.entry.action.value,
            a.chart_number,
            "" if a.entry.session_id is None else str(a.entry.session_id),
            a.entry.detail,
            a.entry.row_hash,
        ]
        for a in lines
    ]
    return _csv([header, *rows])


def adverse_pdf(
    entries: Sequence[RegisterEntry], first: date, last: date, made: datetime, clinic: Clinic | None = None
) -> bytes:
    """The register as landscape pages for a critical-event review: one row per visit, patients by chart number;
    the clinic's letterhead (and logo) on every page."""
    fonts()
    body = ParagraphStyle("body", fontName=MAIN, fontSize=8, leading=10, textColor=INK)
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5, textColor=MUTED)
    h1 = ParagraphStyle("h1", parent=body, fontName=BOLD, fontSize=14, leading=18, spaceAfter=4)
    header = ["Service date", "Chart", "Clinician", "Events on the note", "Reported later", "Severity", "Status"]
    data: list[list[Any]] = [header]
    for e in entries:
        status = Paragraph(
            markup(e.status.label + (f"\n{e.closed_by}, {_local(e.closed_at)}" if e.closed_at else "")), body
        )
        data.append(
            [
                _local(e.service_start),
                e.chart_number,
                Paragraph(line(e.clinician), body),
                Paragraph(markup(_events(e) + (f": {e.description}" if e.description else "")), body),
                Paragraph(markup(_late(e)), body),
                e.severity.label if e.severity is not None else "not graded",
                status,
            ]
        )
    table = Table(
        data, colWidths=[26 * mm, 19 * mm, 30 * mm, 64 * mm, 64 * mm, 16 * mm, 28 * mm], repeatRows=1, hAlign="LEFT"
    )
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), BOLD, 8),
                ("FONT", (0, 1), (-1, -1), MAIN, 8),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    opened = sum(1 for e in entries if e.status.value == "open")
    story = [
        Paragraph("Adverse-event register", h1),
        Paragraph(
            f"Service dates {first.isoformat()} to {last.isoformat()} · {len(entries):,} visit(s), {opened:,} open"
            f" · made {_local(made)}. Severity after Boyce et al. 2020 (minor / major).",
            small,
        ),
        table,
    ]
    buffer = io.BytesIO()
    width, height = landscape(LETTER)
    letterhead = PageLetterhead(clinic, 14 * mm, height - 14 * mm, width - 28 * mm) if clinic is not None else None
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(LETTER),
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm + (letterhead.space if letterhead is not None else 0),
        bottomMargin=14 * mm,
        title="Adverse-event register",
        author="needlelog",
    )
    with RENDERING:  # text.RENDERING: reportlab's fonts are shared by every thread
        doc.build(story, onFirstPage=_page(letterhead), onLaterPages=_page(letterhead))
    return buffer.getvalue()


def _page(letterhead: PageLetterhead | None) -> Callable[[Any, Any], None]:
    def draw(canvas: Any, doc: Any) -> None:
        if letterhead is not None:
            letterhead.draw(canvas, doc)

    return draw
