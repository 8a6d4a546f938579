"""The export floors: bare reportlab pages of a note's content, and the worker task that writes them.

A bare page holds what a visit note says (the patient, the visit's facts, a table of the needling
sites, the ledger, reactions, aftercare, the notes, the signature) as plain paragraphs and one
plain table, in the same embedded DejaVu fonts (a clinic's names need them), on a bare
``SimpleDocTemplate``: none of the note's own layout or work (no body chart, letterhead, footer,
page x of y, text cleaning, bidi or font fallback). Workers run :func:`write_bare` as the export's
workers run ``reports.batch.write_notes``: the same pool, the same fsync per file.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

from needlelog.reports.batch import write_file
from needlelog.reports.text import fonts

_STYLES: dict[str, ParagraphStyle] = {}


def _styles() -> dict[str, ParagraphStyle]:
    if not _STYLES:
        face = fonts()
        _STYLES["body"] = ParagraphStyle("body", fontName=face.main, fontSize=9.5, leading=12)
        _STYLES["h1"] = ParagraphStyle("h1", fontName=face.bold, fontSize=15, leading=19)
        _STYLES["h2"] = ParagraphStyle("h2", fontName=face.bold, fontSize=11, leading=15, spaceBefore=6)
    return _STYLES


def _code(value: Any) -> str:
    return "" if value is None else str(getattr(value, "value", value))


def bare_page(note: Any) -> bytes:
    """The note's content on a bare reportlab page (a second page when it runs over)."""
    styles = _styles()
    body, h2 = styles["body"], styles["h2"]
    s, p, c = note.session, note.patient, note.clinician
    e = html.escape
    flow: list[Any] = [Paragraph(e(f"{p.given_name} {p.family_name}"), styles["h1"])]
    facts = [
        f"Patient: {p.given_name} {p.family_name}, born {p.date_of_birth.isoformat()}, chart {p.chart_number}",
        f"Clinic: {note.clinic.name}",
        f"Clinician: {c.display_name} {c.credentials} {c.registration_number}",
        f"Service: {s.service_start.isoformat()} to {s.service_end.isoformat() if s.service_end else ''}",
        f"Condition: {_code(s.condition)}; technique: {_code(s.technique)}",
        f"Precautions acknowledged: {', '.join(sorted(_code(x) for x in s.precautions_acknowledged)) or 'none'}",
        f"Pain before {s.pain_before}, after {s.pain_after}",
    ]
    flow += [Paragraph(e(text), body) for text in facts]
    flow.append(Paragraph("Needling sites", h2))
    rows = [["#", "Region", "Side", "Muscle", "Needles", "Size", "Lot", "Dwell", "Twitch"]]
    for i, site in enumerate(s.sites, 1):
        rows.append(
            [
                str(i),
                _code(site.region),
                _code(site.side),
                site.muscle,
                str(site.needles),
                site.needle_size,
                site.needle_lot,
                f"{site.dwell_minutes} min",
                _code(site.twitch),
            ]
        )
    flow.append(Table(rows, style=[("FONT", (0, 0), (-1, -1), body.fontName, 8.5)]))
    ledger = f"Needles in {s.needles_inserted}, out {s.needles_removed}, sharps disposed: {s.sharps_disposed}"
    reactions = f"Soreness {_code(s.reactions.soreness)}; {', '.join(sorted(_code(r) for r in s.reactions.others))}"
    aftercare = ", ".join(sorted(_code(a) for a in s.aftercare))
    for heading, text in (("Needle ledger", ledger), ("Reactions", reactions), ("Aftercare", aftercare)):
        flow += [Paragraph(heading, h2), Paragraph(e(text), body)]
    flow += [Paragraph("Notes", h2), Paragraph(e(s.notes).replace("\n", "<br/>"), body)]
    signer = note.signer.display_name if note.signer else ""
    signed = s.signed_at.isoformat() if s.signed_at else "not signed"
    flow += [Paragraph("Signature", h2), Paragraph(e(f"{signer}, {signed}; fingerprint {s.fingerprint}"), body)]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=LETTER).build(flow)
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
