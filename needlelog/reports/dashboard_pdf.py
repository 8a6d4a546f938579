"""The clinic report as a PDF (issue 15, item 3): the dashboard's figures on landscape pages.

Rates are printed as "events · percent (95 % Wilson interval)" beside the published rates (docs/CLINICAL.md);
unsigned drafts by age and the twitch mix follow. Patients appear by chart number only: a report is passed
around a clinic's management, and the names stay in the chart.
"""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

from needlelog import __version__
from needlelog.domain.dashboard import (
    DRAFT_AGE_GROUPS,
    MEASURES,
    PUBLISHED,
    ClinicianMonth,
    Dashboard,
)
from needlelog.domain.dates import local_date
from needlelog.domain.vocab import TwitchResponse
from needlelog.reports.letterhead import PageLetterhead
from needlelog.reports.note_layout import INK, MUTED, RULE, SHADE, line
from needlelog.reports.shaping import Paragraph
from needlelog.reports.text import BOLD, MAIN, RENDERING, fonts

PAGE = landscape(LETTER)
MARGIN = 14 * mm
OLD_DRAFTS_LISTED = 60
TWITCH_ORDER: tuple[TwitchResponse | None, ...] = (*TwitchResponse, None)


def _styles() -> dict[str, ParagraphStyle]:
    fonts()
    base = ParagraphStyle("body", fontName=MAIN, fontSize=8.5, leading=10.5, textColor=INK)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5, textColor=MUTED),
        "h1": ParagraphStyle("h1", parent=base, fontName=BOLD, fontSize=15, leading=19, spaceAfter=3),
        "h2": ParagraphStyle("h2", parent=base, fontName=BOLD, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4),
    }


def rate_cell(month: ClinicianMonth, key: str) -> str:
    """ "123 · 12.3 % (10.4–14.5)": the visits with it, the rate and its 95 % interval."""
    rate = month.rate(key)
    return f"{rate.events:,} · {rate.percent()}" if rate.visits else "–"


def _table(rows: list[list[Any]], widths: list[float], total_row: bool = False, left: int = 1) -> Table:
    """A table of the report: a header row, the first ``left`` columns left-aligned and the rest right."""
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    style = [
        ("FONT", (0, 0), (-1, 0), BOLD, 8),
        ("FONT", (0, 1), (-1, -1), MAIN, 8),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, RULE),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#d5dbe1")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (left, 0), (-1, -1), "RIGHT"),
    ]
    if total_row:
        style += [("FONT", (0, -1), (0, -1), BOLD, 8), ("LINEABOVE", (0, -1), (-1, -1), 0.6, RULE)]
    table.setStyle(TableStyle(style))
    return table


def _name(text: str, styles: dict[str, ParagraphStyle]) -> Paragraph:
    return Paragraph(line(text), styles["body"])


def _rates_table(rows: list[ClinicianMonth], styles: dict[str, ParagraphStyle], *, months: bool) -> Table:
    header = ["Clinician", *(["Month"] if months else []), "Signed visits", "Needles"]
    header += [words for _, words in MEASURES]
    data: list[list[Any]] = [header]
    previous = None
    for m in rows:
        # By month, a clinician's name heads their first row only: a ten-year report is a thousand rows, and a
        # name is a shaped paragraph (user text), twenty times the cost of a plain cell.
        shown = m.clinician != previous or not months
        previous = m.clinician
        cells: list[Any] = [_name(m.clinician, styles) if shown else ""]
        cells += [m.month] if months else []
        cells += [f"{m.visits:,}", f"{m.needles:,}"] + [rate_cell(m, key) for key, _ in MEASURES]
        data.append(cells)
    lead = [39 * mm, 16 * mm] if months else [55 * mm]
    return _table(data, [*lead, 22 * mm, 22 * mm, 38 * mm, 38 * mm, 38 * mm, 38 * mm], total_row=not months)


def _published_table(styles: dict[str, ParagraphStyle]) -> Table:
    data: list[list[Any]] = [["Measure", "Published", "Rate", "Source"]]
    for key, words in MEASURES:
        for published in PUBLISHED[key]:
            rate = f"{100 * published.proportion:.2f} %"
            what = published.what + (f" ({published.note})" if published.note else "")
            data.append([words, Paragraph(what, styles["body"]), rate, published.source])
    table = _table(data, [30 * mm, 90 * mm, 20 * mm, 111 * mm], left=2)
    table.setStyle(TableStyle([("ALIGN", (3, 0), (3, -1), "LEFT")]))
    return table


def _drafts_flow(found: Dashboard, styles: dict[str, ParagraphStyle]) -> list[Any]:
    counts: dict[str, dict[str, int]] = {}
    for draft in found.drafts:
        row = counts.setdefault(draft.clinician, dict.fromkeys(DRAFT_AGE_GROUPS, 0))
        row[draft.age_group] += 1
    data: list[list[Any]] = [["Clinician", *DRAFT_AGE_GROUPS, "All"]]
    for name, row in sorted(counts.items()):
        data.append([_name(name, styles), *(f"{row[g]:,}" for g in DRAFT_AGE_GROUPS), f"{sum(row.values()):,}"])
    totals = found.drafts_by_age()
    data.append(["All clinicians", *(f"{totals[g]:,}" for g in DRAFT_AGE_GROUPS), f"{len(found.drafts):,}"])
    flow: list[Any] = [
        Paragraph("Unsigned drafts by age", styles["h2"]),
        Paragraph(
            "Every draft not yet signed, whatever its date; age in clinic days (today is day 1).", styles["small"]
        ),
        Spacer(1, 2 * mm),
        _table(data, [76 * mm, 30 * mm, 30 * mm, 30 * mm, 30 * mm], total_row=True),
    ]
    old = [d for d in found.drafts if d.age_group == DRAFT_AGE_GROUPS[2]]
    if old:
        listed = old[:OLD_DRAFTS_LISTED]
        rows: list[list[Any]] = [["Service date", "Chart", "Clinician", "Age (days)"]]
        rows += [
            [local_date(d.service_start).isoformat(), d.chart_number, _name(d.clinician, styles), f"{d.age_days:,}"]
            for d in listed
        ]
        more = f", the oldest {len(listed):,} listed" if len(old) > len(listed) else ""
        flow += [
            Paragraph(f"Drafts older than 7 days ({len(old):,}{more})", styles["h2"]),
            _table(rows, [30 * mm, 30 * mm, 76 * mm, 24 * mm], left=3),
        ]
    return flow


def _twitch_table(found: Dashboard, styles: dict[str, ParagraphStyle]) -> Table:
    mix = found.twitch_mix()
    labels = [t.label if t is not None else "Not recorded" for t in TWITCH_ORDER]
    data: list[list[Any]] = [["Clinician", *labels, "Sites"]]
    for name, counts in sorted(mix.items()):
        total = sum(counts.values())
        cells = [f"{counts.get(t, 0):,} ({100 * counts.get(t, 0) / total:.0f} %)" for t in TWITCH_ORDER]
        data.append([_name(name, styles), *cells, f"{total:,}"])
    return _table(data, [76 * mm, 34 * mm, 34 * mm, 34 * mm, 34 * mm, 24 * mm])


def _story(found: Dashboard, styles: dict[str, ParagraphStyle]) -> list[Any]:
    who = f" · clinician {found.clinician}" if found.clinician else " · all clinicians"
    made = f" · made {found.made_at.astimezone().strftime('%Y-%m-%d %H:%M')}" if found.made_at else ""
    total = found.total()
    return [
        Paragraph("Clinic report" if found.clinic else f"Clinic report: {line(found.clinic_name)}", styles["h1"]),
        Paragraph(
            f"Service dates {found.first.isoformat()} to {found.last.isoformat()}{line(who)}{made}", styles["body"]
        ),
        Paragraph(
            f"Signed visits: {total.visits:,} · needles: {total.needles:,}. A rate is visits with it out of signed "
            "visits, with its 95 % Wilson interval in brackets. Mild reactions: any post-session reaction recorded "
            "(soreness aside); adverse events: on the note or reported later.",
            styles["small"],
        ),
        Paragraph("Rates by clinician", styles["h2"]),
        _rates_table([*found.by_clinician(), total], styles, months=False),
        Paragraph("Published rates to hold them against", styles["h2"]),
        _published_table(styles),
        Paragraph("By clinician and month", styles["h2"]),
        _rates_table(list(found.months), styles, months=True),
        *_drafts_flow(found, styles),
        Paragraph("Twitch responses (needled sites of signed visits)", styles["h2"]),
        _twitch_table(found, styles),
    ]


def _decorate(canvas: Canvas, doc: Any, letterhead: PageLetterhead | None = None) -> None:
    width, _ = PAGE
    if letterhead is not None:
        letterhead.draw(canvas, doc)
    canvas.saveState()
    canvas.setFont(MAIN, 7.5)
    canvas.setFillColor(MUTED)
    canvas.drawString(MARGIN, 8 * mm, "Confidential: the clinic's own figures. Patients by chart number only.")
    canvas.drawRightString(width - MARGIN, 8 * mm, f"Page {doc.page} · needlelog {__version__}")
    canvas.restoreState()


def dashboard_pdf(found: Dashboard) -> bytes:
    """The report's PDF bytes."""
    styles = _styles()
    buffer = io.BytesIO()
    width, height = PAGE
    # The clinic's letterhead (and logo) on every page, as on every PDF of the program.
    letterhead = PageLetterhead(found.clinic, MARGIN, height - MARGIN, width - 2 * MARGIN) if found.clinic else None
    doc = SimpleDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + (letterhead.space if letterhead is not None else 0),
        bottomMargin=16 * mm,
        title="Clinic report",
        author="needlelog",
    )

    def decorate(canvas: Canvas, page_doc: Any) -> None:
        _decorate(canvas, page_doc, letterhead)

    with RENDERING:  # text.RENDERING: reportlab's fonts are shared by every thread
        doc.build(_story(found, styles), onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
