"""The patient's aftercare sheet as a PDF: one page, the clinic's letterhead and logo at the top.

What it says is :class:`needlelog.domain.aftercare.AftercareSheet`'s; here it is laid out in a larger type
than the note (a patient reads it at home, perhaps without glasses). The body is one frame that shrinks to
fit (:class:`KeepInFrame`), so a visit of many areas still prints on one page. User text (names, the
clinic's words, a muscle typed by the clinician) goes through :func:`markup`, never straight to reportlab.
"""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, KeepInFrame, PageTemplate, Spacer, Table, TableStyle

from needlelog import __version__
from needlelog.domain.aftercare import BREATHING_WARNING, AftercareSheet
from needlelog.reports.letterhead import PageLetterhead
from needlelog.reports.note_layout import ALERT, CONFIDENTIAL, FOOTER_SPACE, INK, MARGIN, MUTED, PAGE, RULE
from needlelog.reports.shaping import Paragraph
from needlelog.reports.text import BOLD, MAIN, RENDERING, fonts, markup, plain

TITLE = "Aftercare after dry needling"
WARNING_SHADE = colors.HexColor("#fbeaea")


def _styles() -> dict[str, ParagraphStyle]:
    fonts()
    body = ParagraphStyle("aftercare", fontName=MAIN, fontSize=11.5, leading=15, textColor=INK)
    return {
        "body": body,
        "h1": ParagraphStyle("aftercare-h1", parent=body, fontName=BOLD, fontSize=17, leading=21, spaceAfter=4),
        "h2": ParagraphStyle(
            "aftercare-h2", parent=body, fontName=BOLD, fontSize=13, leading=16, spaceBefore=9, spaceAfter=3
        ),
        "item": ParagraphStyle("aftercare-item", parent=body, leftIndent=14, bulletIndent=2, spaceAfter=2),
        "warning": ParagraphStyle("aftercare-warning", parent=body, fontName=BOLD, textColor=ALERT),
        "small": ParagraphStyle("aftercare-small", parent=body, fontSize=8, leading=10, textColor=MUTED),
    }


def _items(lines: tuple[str, ...], style: ParagraphStyle) -> list[Flowable]:
    return [Paragraph(markup(text), style, bulletText="•") for text in lines]


def _warning(styles: dict[str, ParagraphStyle], width: float) -> Flowable:
    box = Table(
        [[[Paragraph("Breathing warning", styles["warning"]), Paragraph(markup(BREATHING_WARNING), styles["body"])]]],
        colWidths=[width],
    )
    box.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), WARNING_SHADE),
                ("BOX", (0, 0), (-1, -1), 1.2, ALERT),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return box


def sheet_story(sheet: AftercareSheet, styles: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
    visit = sheet.visit_start.astimezone().strftime("%A %d %B %Y, %H:%M")
    story: list[Flowable] = [
        Paragraph(TITLE, styles["h1"]),
        Paragraph(
            f"For <b>{markup(sheet.patient_name, BOLD, one_line=True)}</b> · visit of {visit} · treated by "
            f"{markup(sheet.clinician_name, one_line=True)}",
            styles["body"],
        ),
    ]
    if sheet.breathing_warning:
        story += [Spacer(1, 8), _warning(styles, width)]
    story.append(Paragraph("Where you were treated today", styles["h2"]))
    areas = sheet.areas or ("No needling was recorded at this visit.",)
    story += _items(areas, styles["item"])
    story.append(Paragraph("What to expect", styles["h2"]))
    story += _items(sheet.expect, styles["item"])
    story.append(Paragraph("Looking after yourself", styles["h2"]))
    story += _items(sheet.advice, styles["item"])
    story.append(Paragraph("When to call", styles["h2"]))
    story.append(Paragraph(markup(sheet.seek_help), styles["body"]))
    story.append(Spacer(1, 6))
    story.append(Paragraph(f"<b>{markup(sheet.contact, BOLD, one_line=True)}</b>", styles["body"]))
    return story


def render_aftercare_sheet(sheet: AftercareSheet) -> bytes:
    """The sheet as a one-page PDF."""
    styles = _styles()
    buffer = io.BytesIO()
    width, height = PAGE
    column = width - 2 * MARGIN
    head = PageLetterhead(sheet.clinic, MARGIN, height - MARGIN, column)
    body_height = height - MARGIN - head.space - FOOTER_SPACE - 4 * mm
    frame = Frame(MARGIN, FOOTER_SPACE + 4 * mm, column, body_height, id="body", leftPadding=0, rightPadding=0)

    def decorate(canvas: Any, doc: Any) -> None:
        head.draw(canvas, doc)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN, FOOTER_SPACE + 2 * mm, width - MARGIN, FOOTER_SPACE + 2 * mm)
        footer = Paragraph(CONFIDENTIAL, styles["small"])
        _, h = footer.wrap(width - 2 * MARGIN - 32 * mm, FOOTER_SPACE)
        footer.drawOn(canvas, MARGIN, FOOTER_SPACE - h)
        canvas.setFont(MAIN, 8)
        canvas.setFillColor(MUTED)
        canvas.drawRightString(width - MARGIN, FOOTER_SPACE - 7 * mm, f"needlelog {__version__}")

    doc = BaseDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        title=plain(f"{TITLE} · {sheet.patient_name}"),
        author="needlelog",
        pageTemplates=[PageTemplate("aftercare", [frame], onPage=decorate)],
    )
    story = sheet_story(sheet, styles, column)
    with RENDERING:  # text.RENDERING: reportlab's fonts are shared by every thread
        doc.build([KeepInFrame(column, body_height - 12, story, mode="shrink")])
    return buffer.getvalue()


def aftercare_filename(note_filename: str) -> str:
    """The visit note's file name with "aftercare" before its extension."""
    return note_filename.removesuffix(".pdf") + "_aftercare.pdf"
