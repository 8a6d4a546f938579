"""User text made safe for reportlab: escaped, cleaned, and set in a font that has every glyph.

reportlab's Paragraph parses a small markup language, so a note that says ``<font size=200>``
or ``<img src=...>`` would be obeyed, not printed. Every piece of user text goes through
:func:`markup`, which escapes it, drops control characters, keeps line breaks, and wraps
each run of characters the main font lacks in the first fallback font that has them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).resolve().parents[2] / "resources" / "fonts"
MAIN, BOLD, MONO = "NoteSans", "NoteSans-Bold", "NoteMono"
FALLBACKS = ("NoteCJK", "NoteSymbols")
_FILES = {
    MAIN: "DejaVuSans.ttf",
    BOLD: "DejaVuSans-Bold.ttf",
    MONO: "DejaVuSansMono.ttf",
    "NoteCJK": "DroidSansFallbackFull.ttf",
    "NoteSymbols": "Symbola.ttf",
}
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
# Categories that never print: control, surrogate, private use, unassigned. Format characters
# (Cf: zero-width joiners, direction marks) are kept only where a font draws them.
_DROPPED = {"Cc", "Cs", "Co", "Cn"}


@dataclass(frozen=True, slots=True)
class Fonts:
    main: str
    bold: str
    mono: str
    coverage: dict[str, frozenset[int]]


@cache
def fonts() -> Fonts:
    """Register the note fonts once per process (parsing them costs more than a whole note)."""
    coverage: dict[str, frozenset[int]] = {}
    for name, file in _FILES.items():
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / file)))
        face = pdfmetrics.getFont(name).face  # type: ignore[attr-defined]
        coverage[name] = frozenset(face.charToGlyph)
    pdfmetrics.registerFontFamily(MAIN, normal=MAIN, bold=BOLD, italic=MAIN, boldItalic=BOLD)
    return Fonts(MAIN, BOLD, MONO, coverage)


def clean(text: str) -> str:
    """Drop what cannot print; keep line breaks and turn tabs into spaces."""
    out = []
    for char in text.replace("\r\n", "\n").replace("\r", "\n"):
        if char == "\n":
            out.append(char)
        elif char == "\t":
            out.append("    ")
        elif unicodedata.category(char) not in _DROPPED:
            out.append(char)
    return "".join(out)


def _font_for(char: str, family: Fonts, main: str) -> str | None:
    code = ord(char)
    if code in family.coverage[main] or char in " \n":
        return main
    for fallback in FALLBACKS:
        if code in family.coverage[fallback]:
            return fallback
    return None


def markup(text: str, main: str = MAIN) -> str:
    """``text`` as Paragraph markup that prints exactly as typed."""
    family = fonts()
    runs: list[tuple[str | None, list[str]]] = []
    for char in clean(text):
        font = _font_for(char, family, main)
        if font is None:
            if unicodedata.category(char) in ("Cf", "Mn"):
                continue  # an invisible modifier no font draws (a variation selector): nothing is lost
            font = main  # printed as the font's missing-glyph box, and still searchable
        if runs and runs[-1][0] == font:
            runs[-1][1].append(char)
        else:
            runs.append((font, [char]))
    parts = []
    for font, chars in runs:
        escaped = "".join(_ESCAPES.get(c, c) for c in chars).replace("\n", "<br/>")
        parts.append(escaped if font == main else f'<font name="{font}">{escaped}</font>')
    return "".join(parts)


def plain(text: str) -> str:
    """Cleaned text for places that take no markup (PDF outline titles, file names)."""
    return " ".join(clean(text).split())
