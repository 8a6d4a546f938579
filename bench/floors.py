"""The export floors: bare reportlab pages of a note's content, and the worker task that writes them.

A bare page prints what the visit note prints, on as many pages: on every page the clinic's name and
address, the note's title, the confidentiality footer, "Page x of y" (reportlab's own two-pass canvas
recipe) and the program's version, and on a later page the patient's name; then the patient's name, the
facts beside the body chart, the sites table, the pain course, the ledger, reactions, adverse events,
aftercare, the notes, the signature, amendments and later reports. The same words, in the same embedded
DejaVu fonts (a clinic's names need them) and the same stream compression, set the plainest way
reportlab offers: plain paragraphs, user text only HTML-escaped, fixed words as strings, one plain
table for the sites and one to put the chart beside the facts, on a ``SimpleDocTemplate``. The two
figures are content, not layout: they are drawn by the note's own flowables (the same vector paths).
None of the note's own work: no text cleaning, bidi or fallback fonts, no fitting of the letterhead,
no per-note page numbering in a combined file, no bookmarks, no layout cached between notes.

Workers run :func:`write_bare` as the export's workers run ``reports.batch.write_notes``: the same pool,
the same fsync per file.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

from needlelog import __version__
from needlelog.domain.course import pain_figure
from needlelog.reports.batch import write_file
from needlelog.reports.body_chart import BodyChart
from needlelog.reports.course_chart import LineChart
from needlelog.reports.text import fonts

CONFIDENTIAL = (
    "Confidential: personal health information. Disclose only to the patient or as the law permits. "
    "If you received this in error, tell the clinic and destroy it."
)
MARGIN = 18 * mm
TOP = 18 * mm + 24 * mm  # the top margin and the letterhead's space, as the note's
BOTTOM = 20 * mm  # the footer's space, as the note's
_STYLES: dict[str, ParagraphStyle] = {}


def _styles() -> dict[str, ParagraphStyle]:
    if not _STYLES:
        face = fonts()
        _STYLES["body"] = ParagraphStyle("body", fontName=face.main, fontSize=9.5, leading=12.5)
        _STYLES["cell"] = ParagraphStyle("cell", fontName=face.main, fontSize=8.5, leading=10.5)
        _STYLES["small"] = ParagraphStyle("small", fontName=face.main, fontSize=8, leading=10)
        _STYLES["h1"] = ParagraphStyle("h1", fontName=face.bold, fontSize=14, leading=17)
        _STYLES["h2"] = ParagraphStyle("h2", fontName=face.bold, fontSize=10.5, leading=13, spaceBefore=6)
    return _STYLES


def _label(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return str(getattr(value, "label", value))


def _when(moment: Any) -> str:
    return "—" if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M")


class _PagesCanvas(Canvas):  # type: ignore[misc]  # reportlab is untyped
    """reportlab's recipe for "Page x of y": keep each page's state, draw the page furniture at save."""

    def __init__(self, *args: Any, note: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._note = note
        self._saved: list[dict[str, Any]] = []

    def showPage(self) -> None:  # reportlab's name
        self._saved.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        for number, state in enumerate(self._saved, 1):
            self.__dict__.update(state)
            self._furniture(number, len(self._saved))
            super().showPage()
        super().save()

    def _furniture(self, number: int, total: int) -> None:
        note, styles = self._note, _styles()
        width, height = LETTER
        clinic, patient = note.clinic, note.patient
        self.setFont(styles["h1"].fontName, 14)
        self.drawString(MARGIN, height - MARGIN - 14, clinic.name)
        self.setFont(styles["body"].fontName, 8)
        self.drawString(MARGIN, height - MARGIN - 26, " · ".join(p for p in (clinic.address, clinic.phone) if p))
        self.setFont(styles["h1"].fontName, 8.5)
        self.drawRightString(width - MARGIN, height - MARGIN - 9, "Dry needling / IMS visit note")
        self.line(MARGIN, height - TOP + 5 * mm, width - MARGIN, height - TOP + 5 * mm)
        if number > 1:
            self.setFont(styles["body"].fontName, 8)
            self.drawString(
                MARGIN, height - TOP + 7 * mm, f"{patient.family_name}, {patient.given_name} · {patient.chart_number}"
            )
        self.line(MARGIN, 18 * mm, width - MARGIN, 18 * mm)
        self.setFont(styles["body"].fontName, 8)
        footer = simpleSplit(CONFIDENTIAL, styles["body"].fontName, 8, width - 2 * MARGIN - 32 * mm)
        for i, words in enumerate(footer):
            self.drawString(MARGIN, 16 * mm - 8 - 10 * i, words)
        self.drawRightString(width - MARGIN, 13 * mm, f"Page {number} of {total}")
        self.drawRightString(width - MARGIN, 9 * mm, f"needlelog {__version__}")


def _facts(note: Any) -> list[tuple[str, str]]:
    s, p, c = note.session, note.patient, note.clinician
    registration = f"reg. {c.registration_number}" if c.registration_number else ""
    consent = p.consent
    return [
        ("Patient", f"{p.given_name} {p.family_name} · born {p.date_of_birth.isoformat()} · chart {p.chart_number}"),
        ("Clinician", f"{c.display_name} · {', '.join(x for x in (c.credentials, registration) if x)}"),
        ("Service", f"{_when(s.service_start)} to {_when(s.service_end)}"),
        ("Entered / signed", f"entered {_when(s.created_at)} · signed {_when(s.signed_at)}"),
        ("Condition", _label(s.condition)),
        ("Technique", _label(s.technique) + (" with electrical stimulation" if s.electrical_stimulation else "")),
        (
            "Consent",
            "none recorded"
            if consent is None
            else f"{_label(consent.method).lower()}, {consent.given_on.isoformat()}, obtained by {consent.obtained_by}",
        ),
        (
            "Precautions",
            "; ".join(
                f"{x.label} ({'acknowledged' if x in s.precautions_acknowledged else 'NOT acknowledged'})"
                for x in sorted(p.screening.positive, key=lambda x: x.label)
            )
            or "none",
        ),
        ("Pain (0-10)", f"before {_label(s.pain_before)} · after {_label(s.pain_after)}"),
    ]


def _story(note: Any, width: float) -> list[Any]:
    styles = _styles()
    body, h2, cell = styles["body"], styles["h2"], styles["cell"]
    s, p = note.session, note.patient
    e = html.escape
    flow: list[Any] = [Paragraph(e(f"{p.given_name} {p.family_name}"), styles["h1"])]
    # One plain table: a label and its value a row, the body chart in a third column beside them all.
    facts: list[list[Any]] = [[label, Paragraph(e(value), cell), ""] for label, value in _facts(note)]
    chart_width = 0.0
    if s.sites:
        chart = BodyChart(s.sites, height=60 * mm, gap=6 * mm)
        chart_width = chart.natural_width() + 4 * mm
        facts[0][2] = [Paragraph("<b>Body chart</b>", cell), chart]
    style = [("FONT", (0, 0), (0, -1), styles["h1"].fontName, 8.5), ("VALIGN", (0, 0), (-1, -1), "TOP")]
    style.append(("SPAN", (2, 0), (2, -1)))
    flow.append(Table(facts, [38 * mm, width - 38 * mm - chart_width, chart_width], style=style))
    flow.append(Paragraph(f"Needling sites ({len(s.sites)})", h2))
    rows = [["#", "Region", "Side", "Muscle", "In / out", "Needle (size, lot)", "Dwell", "Twitch"]]
    for i, site in enumerate(s.sites, 1):
        needle = " · ".join(x for x in (site.needle_size, site.needle_lot) if x.strip()) or "—"
        dwell = f"{site.dwell_minutes} min" if site.dwell_minutes is not None else "—"
        in_out = f"{_label(site.needles)} / {site.needles_out}"
        rows.append(
            [str(i), _label(site.region), _label(site.side), site.muscle, in_out, needle, dwell, _label(site.twitch)]
        )
    flow.append(Table(rows, style=[("FONT", (0, 0), (-1, -1), body.fontName, 8.5)], repeatRows=1))
    if note.course:
        flow += [Paragraph("Course so far", h2), LineChart(pain_figure(note.course))]
    for outcome in s.outcomes:
        flow.append(Paragraph(e(f"{outcome.instrument} {outcome.score}"), body))
    ledger_in = sum(site.needles or 0 for site in s.sites)
    ledger_out = sum(site.needles_out for site in s.sites)
    reactions = "; ".join([f"Muscle soreness: {_label(s.reactions.soreness)}", *(r.label for r in s.reactions.others)])
    sections = [
        ("Needle ledger", f"Inserted {ledger_in} · removed {ledger_out} · disposed in sharps: {s.sharps_disposed}"),
        ("Post-session reactions", reactions + (f"; {s.reactions.other_text}" if s.reactions.other_text else "")),
        ("Adverse events", " ".join(f"{a.kind.label}: {a.description}" for a in s.adverse_events) or "None."),
        ("Aftercare given", "; ".join(a.label for a in s.aftercare) or "None recorded."),
    ]
    for heading, text in sections:
        flow += [Paragraph(heading, h2), Paragraph(e(text), body)]
    flow.append(Paragraph("Notes", h2))
    flow += [Paragraph(e(block), body) for block in s.notes.split("\n\n") if block.strip()]
    signer = note.signer.display_name if note.signer else ""
    flow += [
        Paragraph("Signature", h2),
        Paragraph(e(f"Electronically signed by {signer} on {_when(s.signed_at)}."), body),
        Paragraph("Content fingerprint (SHA-256):", styles["small"]),
        Paragraph(s.fingerprint, body),
    ]
    for amendment in note.amendments:
        flow.append(Paragraph(e(f"{_when(amendment.written_at)} · {amendment.author} · {amendment.reason}"), body))
        flow.append(Paragraph(e(amendment.text), body))
    for report in note.later_reports:
        flow.append(Paragraph(e(f"{report.kind.label}, reported later: {report.description}"), body))
    return flow


def bare_page(note: Any) -> bytes:
    """The note's content on bare reportlab pages (as many as it takes)."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=LETTER, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=TOP, bottomMargin=BOTTOM
    )
    doc.build(_story(note, doc.width), canvasmaker=lambda *a, **k: _PagesCanvas(*a, note=note, **k))
    return buffer.getvalue()


def write_bare(notes: Sequence[Any], paths: Sequence[Path], *, stop: Any) -> int:
    """The floor's worker task: as ``reports.batch.write_notes``, bare pages instead of the notes."""
    written = 0
    for note, path in zip(notes, paths, strict=True):
        if stop():
            break
        write_file(path, bare_page(note))
        written += 1
    return written
