"""The letterhead: the clinic's logo, name, address and phone, fitted to its box at the top of every page.

A clinic's name may be 200 characters and its address 400 (:data:`needlelog.domain.text.TEXT_LIMITS`):
the letterhead wraps in the column left of the note's title, steps down in size until it fits
:data:`LETTERHEAD_MAX`, and the note's body starts below whatever height it took (:func:`header_space`),
so it never prints over the patient, the clinician or the signature. The logo, when the clinic has one
(:mod:`needlelog.reports.logo`), stands at the left and the words wrap in what is left of the column.
Every PDF the program writes draws its letterhead with :func:`draw_letterhead`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import lru_cache

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from needlelog.domain.model import Clinic
from needlelog.domain.text import TEXT_LIMITS
from needlelog.reports.logo import LOGO_GAP, PageLogo, page_logo
from needlelog.reports.shaping import Paragraph
from needlelog.reports.text import BOLD, markup

# The letterhead's column: the page less its margins and the note's title at the right.
TITLE_WIDTH = 60 * mm
LETTERHEAD_MAX = 34 * mm
# The body's top lies this far below the letterhead at least (room for the rule and, on a continued
# page, the patient's name above it), and never higher than the usual header space.
BELOW_LETTERHEAD = 14 * mm
HEADER_SPACE = 24 * mm
# (name size, name leading, contact size, contact leading), the usual first; the last fits the longest values.
_SIZES = ((14, 17, 8, 10), (12, 14.5, 7.5, 9.5), (10.5, 12.5, 7, 8.5), (9, 11, 6.5, 8))


def _cut(text: str, limit_key: str) -> str:
    """A value no longer than the domain allows (one stored before the limit, or written past the program)."""
    limit = TEXT_LIMITS[limit_key]
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _texts(clinic: Clinic) -> tuple[str, str]:
    name = f"<b>{markup(_cut(clinic.name, 'clinic.name'), BOLD, one_line=True)}</b>"
    parts = (_cut(clinic.address, "clinic.address"), _cut(clinic.phone, "clinic.phone"))
    contact = " · ".join(markup(part, one_line=True) for part in parts if part.strip())
    return name, contact


def clinic_logo(clinic: Clinic) -> PageLogo | None:
    return None if not clinic.logo else page_logo(clinic.logo)


def letterhead(
    clinic: Clinic, h1: ParagraphStyle, small: ParagraphStyle, width: float
) -> tuple[list[Paragraph], float]:
    """The letterhead's paragraphs, wrapped to ``width`` (less the logo's) in the largest size that fits, and
    the letterhead's height (the logo's, if taller).

    ``h1`` and ``small`` are the styles of the name and of the address line, at their usual sizes.
    """
    lines, height = _laid_out(clinic, h1, small, width, threading.get_ident())
    return list(lines), height


@lru_cache(maxsize=16)
def _laid_out(
    clinic: Clinic, h1: ParagraphStyle, small: ParagraphStyle, width: float, thread: int
) -> tuple[tuple[Paragraph, ...], float]:
    """The letterhead laid out once per process for each clinic, styles and width: a note asked for it four times
    (the frame's height, the canvas's, and once a page), and a 1,000-note export a thousand times more. A laid-out
    Paragraph draws the same on any canvas, as often as asked. (The styles are the same objects each time: the
    note's are made once per process.) One set per ``thread``: drawing a Paragraph sets its canvas on it for the
    moment, so two threads (the export dialog's and a note saved from the editor) must not draw the same one."""
    logo = clinic_logo(clinic)
    if logo is not None:
        lines, height = _words(clinic, h1, small, width - logo.width - LOGO_GAP)
        return tuple(lines), max(height, logo.height)
    lines, height = _words(clinic, h1, small, width)
    return tuple(lines), height


def draw_letterhead(
    canvas: Canvas, clinic: Clinic, x: float, top: float, width: float, h1: ParagraphStyle, small: ParagraphStyle
) -> float:
    """Draw the letterhead with its top left corner at (``x``, ``top``) in ``width``; return its height."""
    logo = clinic_logo(clinic)
    lines, height = letterhead(clinic, h1, small, width)
    if logo is not None:
        canvas.drawImage(logo.image, x, top - logo.height, logo.width, logo.height)
        x += logo.width + LOGO_GAP
    y = top
    for paragraph in lines:  # wrapped already
        paragraph.drawOn(canvas, x, y - paragraph.height)
        y -= paragraph.height
    return height


def _words(clinic: Clinic, h1: ParagraphStyle, small: ParagraphStyle, width: float) -> tuple[list[Paragraph], float]:
    name, contact = _texts(clinic)
    for name_size, name_leading, contact_size, contact_leading in _SIZES:
        lines = [Paragraph(name, ParagraphStyle("letterhead", parent=h1, fontSize=name_size, leading=name_leading))]
        if contact:
            style = ParagraphStyle("letterhead-contact", parent=small, fontSize=contact_size, leading=contact_leading)
            lines.append(Paragraph(contact, style))
        height = float(sum(paragraph.wrap(width, LETTERHEAD_MAX)[1] for paragraph in lines))
        if height <= LETTERHEAD_MAX:
            break
    return lines, height


def header_space(clinics: Iterable[Clinic], h1: ParagraphStyle, small: ParagraphStyle, width: float) -> float:
    """How far below the top margin the body starts: the usual space, or more under a tall letterhead."""
    tallest = max((letterhead(clinic, h1, small, width)[1] for clinic in set(clinics)), default=0.0)
    return float(max(HEADER_SPACE, tallest + BELOW_LETTERHEAD))


class PageLetterhead:
    """The letterhead of a document of its own (the aftercare sheet, a register, a report): the frame's top lies
    :attr:`space` below the top margin, and :meth:`draw` is the page template's ``onPage``.

    ``PageLetterhead(clinic, x, top, width)``; then ``Frame(..., height=top - space - bottom)`` and
    ``PageTemplate(..., onPage=letterhead.draw)`` (or call it from an ``onPage`` of one's own)."""

    def __init__(self, clinic: Clinic, x: float, top: float, width: float, rule: bool = True) -> None:
        from needlelog.reports.text import MAIN, fonts

        fonts()
        self.clinic, self.x, self.top, self.width, self.rule = clinic, x, top, width, rule
        self.name_style = ParagraphStyle("page-letterhead", fontName=BOLD, fontSize=14, leading=17)
        self.contact_style = ParagraphStyle("page-letterhead-contact", fontName=MAIN, fontSize=8, leading=10)
        self.space = header_space([clinic], self.name_style, self.contact_style, width)

    def draw(self, canvas: Canvas, doc: object = None) -> None:
        canvas.saveState()
        draw_letterhead(canvas, self.clinic, self.x, self.top, self.width, self.name_style, self.contact_style)
        if self.rule:
            y = self.top - self.space + BELOW_LETTERHEAD / 2
            canvas.setStrokeColorRGB(0.604, 0.647, 0.694)  # the note's rule colour
            canvas.setLineWidth(0.6)
            canvas.line(self.x, y, self.x + self.width, y)
        canvas.restoreState()
