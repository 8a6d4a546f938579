"""The page of the PDF visit note (SPEC §6): what every page looks like, whatever the note says.

Sizes, colours and paragraph styles; the program's own words drawn as strings (headings,
labels); the document template and its frame; and the canvas that draws the letterhead, the
confidentiality footer, 'page x of y' (per note) and the DRAFT watermark. What the note says,
section by section, is in :mod:`needlelog.reports.visit_note`.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from functools import cache, lru_cache
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from needlelog import __version__
from needlelog.domain.model import VisitNote
from needlelog.reports.letterhead import TITLE_WIDTH, draw_letterhead, header_space
from needlelog.reports.shaping import Paragraph
from needlelog.reports.text import BOLD, MAIN, MONO, fonts, markup, plain

PAGE = LETTER
MARGIN = 18 * mm
FOOTER_SPACE = 16 * mm
LETTERHEAD_WIDTH = PAGE[0] - 2 * MARGIN - TITLE_WIDTH
CONFIDENTIAL = (
    "Confidential: personal health information. Disclose only to the patient or as the law permits. "
    "If you received this in error, tell the clinic and destroy it."
)
INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#555555")
RULE = colors.HexColor("#9aa5b1")
SHADE = colors.HexColor("#eef1f4")
ALERT = colors.HexColor("#a11a1a")


def line(text: str, main: str = MAIN) -> str:
    """Markup for a one-line field (a table cell, the letterhead): a typed line break prints as a space."""
    return markup(text, main, one_line=True)


@cache
def _styles() -> dict[str, ParagraphStyle]:
    """The note's paragraph styles, made once per process: the same objects for every note, so that what is laid
    out once (the letterhead, the page's title and footer) is found again by them. Read them; never change them."""
    fonts()
    base = ParagraphStyle("body", fontName=MAIN, fontSize=9.5, leading=12.5, textColor=INK)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=10.5, splitLongWords=True),
        "head": ParagraphStyle("head", parent=base, fontName=BOLD, fontSize=8.5, leading=10.5),
        "chart_title": ParagraphStyle("chart_title", parent=base, fontName=BOLD, fontSize=8.5, leading=10.5),
        "h1": ParagraphStyle("h1", parent=base, fontName=BOLD, fontSize=14, leading=17, spaceAfter=2),
        "h2": ParagraphStyle(
            "h2", parent=base, fontName=BOLD, fontSize=10.5, leading=13, spaceBefore=5.5, spaceAfter=2.5, textColor=INK
        ),
        "mono": ParagraphStyle("mono", parent=base, fontName=MONO, fontSize=8.5, leading=11),
        "alert": ParagraphStyle("alert", parent=base, fontName=BOLD, textColor=ALERT),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT, fontSize=8.5, leading=11),
    }


class _Words(Flowable):  # type: ignore[misc]  # reportlab is untyped
    """A line of the program's own words (a heading, a label): drawn as a string, which costs a
    twentieth of a Paragraph. Never for user text, which needs escaping, wrapping and fallback fonts."""

    def __init__(
        self, text: str, font: str, size: float, space_before: float = 0, space_after: float = 0, color: Any = INK
    ) -> None:
        super().__init__()
        self.text, self.font, self.size, self.color = text, font, size, color
        self.spaceBefore, self.spaceAfter = space_before, space_after

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return available_width, self.size * 1.3

    def draw(self) -> None:
        self.canv.setFont(self.font, self.size)
        self.canv.setFillColor(self.color)
        self.canv.drawString(0, self.size * 0.3, self.text)


def _heading(text: str) -> Flowable:
    return _Words(text, BOLD, 10.5, space_before=7, space_after=3)


def _words(text: str, alert: bool = False) -> Flowable:
    return _Words(text, BOLD if alert else MAIN, 9.5, color=ALERT if alert else INK)


class _NoteCanvas(Canvas):  # type: ignore[misc]
    """Draws letterhead, footer, 'page x of y' (per note) and the DRAFT watermark once page counts are known."""

    def __init__(
        self, *args: Any, notes: Sequence[VisitNote], styles: dict[str, ParagraphStyle], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._notes = notes
        self._styles = styles
        self._header_space = header_space(
            (note.clinic for note in notes), styles["h1"], styles["small"], LETTERHEAD_WIDTH
        )
        self._pages: list[dict[str, Any]] = []
        self.note_index = 0
        # Bookmarks set on this page, (name, title): set when the page is really drawn, in save(). Set as the
        # story is laid out, they all named the first page (the pages are only kept until their counts are known).
        self.page_marks: list[tuple[str, str]] = []

    def showPage(self) -> None:  # reportlab's name
        self._pages.append(dict(self.__dict__))
        self.page_marks = []
        self._startPage()

    def save(self) -> None:
        totals: dict[int, int] = {}
        for state in self._pages:
            totals[state["note_index"]] = totals.get(state["note_index"], 0) + 1
        seen: dict[int, int] = {}
        for state in self._pages:
            self.__dict__.update(state)
            index = state["note_index"]
            seen[index] = seen.get(index, 0) + 1
            self._decorate(self._notes[index], seen[index], totals[index])
            for key, title in state["page_marks"]:
                self.bookmarkPage(key)
                self.addOutlineEntry(title, key, level=0)
            super().showPage()
        super().save()

    def _decorate(self, note: VisitNote, number: int, total: int) -> None:
        styles = self._styles
        width, height = PAGE
        draw_letterhead(self, note.clinic, MARGIN, height - MARGIN, LETTERHEAD_WIDTH, styles["h1"], styles["small"])
        words = _page_words(styles["right"], styles["small"], threading.get_ident())
        (title, title_height), (footer, footer_height) = words
        title.drawOn(self, width - MARGIN - TITLE_WIDTH, height - MARGIN - title_height)
        self.setStrokeColor(RULE)
        self.setLineWidth(0.6)
        body_top = height - MARGIN - self._header_space
        self.line(MARGIN, body_top + 5 * mm, width - MARGIN, body_top + 5 * mm)
        # footer
        self.line(MARGIN, FOOTER_SPACE + 2 * mm, width - MARGIN, FOOTER_SPACE + 2 * mm)
        footer.drawOn(self, MARGIN, FOOTER_SPACE - footer_height)
        self.setFont(MAIN, 8)
        self.setFillColor(MUTED)
        patient = plain(f"{note.patient.family_name}, {note.patient.given_name} · {note.patient.chart_number}")
        self.drawRightString(width - MARGIN, FOOTER_SPACE - 3 * mm, f"Page {number} of {total}")
        self.drawRightString(width - MARGIN, FOOTER_SPACE - 7 * mm, f"needlelog {__version__}")
        if number > 1:
            continued = Paragraph(line(patient), styles["small"])
            continued.wrap(width - 2 * MARGIN, 10 * mm)
            continued.drawOn(self, MARGIN, body_top + 6 * mm)
        if not note.session.is_signed:
            self.saveState()
            self.setFont(BOLD, 64)
            self.setFillColor(colors.Color(0.75, 0.1, 0.1, alpha=0.13))
            self.translate(width / 2, height / 2)
            self.rotate(40)
            self.drawCentredString(0, 0, "DRAFT — NOT SIGNED")
            self.restoreState()


@lru_cache(maxsize=8)
def _page_words(
    right: ParagraphStyle, small: ParagraphStyle, thread: int
) -> tuple[tuple[Any, float], tuple[Any, float]]:
    """The note's title and the confidentiality footer, the same on every page: parsed and wrapped once per
    process (a laid-out Paragraph draws the same on any canvas), not twice a page; once per ``thread``, since
    drawing a Paragraph sets its canvas on it for the moment."""
    title = Paragraph("<b>Dry needling / IMS visit note</b>", right)
    footer = Paragraph(CONFIDENTIAL, small)
    return (
        (title, float(title.wrap(TITLE_WIDTH, 20 * mm)[1])),
        (footer, float(footer.wrap(PAGE[0] - 2 * MARGIN - 32 * mm, FOOTER_SPACE)[1])),
    )


def _document(
    buffer: io.BytesIO, title: str, notes: Sequence[VisitNote], styles: dict[str, ParagraphStyle]
) -> BaseDocTemplate:
    """The document, its frame below the tallest letterhead of ``notes`` (usually one clinic's)."""
    width, height = PAGE
    space = header_space((note.clinic for note in notes), styles["h1"], styles["small"], LETTERHEAD_WIDTH)
    frame = Frame(
        MARGIN,
        FOOTER_SPACE + 4 * mm,
        width - 2 * MARGIN,
        height - 2 * MARGIN - space - FOOTER_SPACE + MARGIN - 4 * mm,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    # The margins match the frame, so that doc.width (what the story lays tables out to) is the frame's width.
    doc = BaseDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        title=title,
        author="needlelog",
        pageTemplates=[PageTemplate("note", [frame])],
    )
    return doc
