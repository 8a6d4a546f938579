"""User text made safe for reportlab: escaped, cleaned, and set in a font that has every glyph.

reportlab's Paragraph parses a small markup language, so a note that says ``<font size=200>``
or ``<img src=...>`` would be obeyed, not printed. Every piece of user text goes through
:func:`markup`, which escapes it, drops control characters, keeps line breaks, and wraps
each run of characters the main font lacks in the first fallback font that has them.
"""

from __future__ import annotations

import threading
import unicodedata
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import arabic_reshaper
from bidi import get_display
from reportlab.pdfbase import pdfdoc, pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont

from needlelog.reports import shaping
from needlelog.reports.shaping import SHAPED_PREFIX

FONT_DIR = Path(__file__).resolve().parents[2] / "resources" / "fonts"
# The Noto Sans fonts of the scripts whose letters join and reorder (Indic, South-East Asian, Ethiopic):
# shipped inside the package (reports/fonts/README.md), each set as harfbuzz shapes it.
SCRIPT_FONT_DIR = Path(__file__).resolve().parent / "fonts"
MAIN, BOLD, MONO = "NoteSans", "NoteSans-Bold", "NoteMono"
SCRIPTS = (
    "Gurmukhi",
    "Devanagari",
    "Gujarati",
    "Bengali",
    "Tamil",
    "Sinhala",
    "Thai",
    "Khmer",
    "Myanmar",
    "Ethiopic",
)
SHAPED = tuple(f"{SHAPED_PREFIX}{script}" for script in SCRIPTS)
FALLBACKS = (*SHAPED, "NoteCJK", "NoteHangul", "NoteSymbols")
_FILES = {
    MAIN: FONT_DIR / "DejaVuSans.ttf",
    BOLD: FONT_DIR / "DejaVuSans-Bold.ttf",
    MONO: FONT_DIR / "DejaVuSansMono.ttf",
    **{f"{SHAPED_PREFIX}{script}": SCRIPT_FONT_DIR / f"NotoSans{script}-Regular.ttf" for script in SCRIPTS},
    "NoteCJK": FONT_DIR / "DroidSansFallbackFull.ttf",
    "NoteHangul": FONT_DIR / "NanumGothicCoding.ttf",
    "NoteSymbols": FONT_DIR / "Symbola.ttf",
}
# A vowel sign, a virama, a joiner or a danda stays in the font of the letter before it, which shapes them together.
_JOINING_CATEGORIES = frozenset({"Mn", "Mc", "Me"})
_JOINING_CHARS = frozenset("\u200c\u200d\u0964\u0965")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
# Categories that never print: control, surrogate, private use, unassigned. Format characters
# (Cf: zero-width joiners, direction marks) are kept only where a font draws them.
_DROPPED = {"Cc", "Cs", "Co", "Cn"}
# Explicit direction embeddings, overrides and isolates, and the byte-order mark: invisible, and an
# override could make a note read backwards. The implicit marks (LRM, RLM) and joiners stay.
_DROPPED_CHARS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")


# reportlab's registered fonts are one per process, and subsetting one reads its file through a shared position:
# two threads building PDFs at once (the export dialog's and the editor's Save PDF) corrupt each other's subsets
# (an IndexError, or a PDF with the wrong glyphs). Every PDF of the program is built holding this lock.
RENDERING = threading.RLock()


@dataclass(frozen=True, slots=True)
class Fonts:
    main: str
    bold: str
    mono: str
    coverage: dict[str, frozenset[int]]


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's ToUnicode CMap, with characters beyond U+FFFF written as UTF-16 surrogate pairs.

    reportlab 5.1 writes them as five hex digits, which PDF readers reject, so an emoji in a
    note could be seen but not searched or copied. The rest is reportlab's own text.
    """

    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo",
        f"<< /Registry ({fontname})",
        f"/Ordering ({fontname})",
        "/Supplement 0",
        ">> def",
        f"/CMapName /{fontname} def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        f"<00> <{len(subset) - 1:02X}>",
        "endcodespacerange",
        f"{len(subset)} beginbfchar",
        *(f"<{i:02X}> <{_utf16_hex(v)}>" for i, v in enumerate(subset)),
        "endbfchar",
        "endcmap",
        "CMapName currentdict /CMap defineresource pop",
        "end",
        "end",
    ]
    return "\n".join(lines)


@cache
def _utf16_hex(code: int) -> str:
    """A character's UTF-16 (a surrogate pair beyond U+FFFF) in hex: worked out once per process and character,
    not once per character of every font subset of every PDF."""
    return chr(code).encode("utf-16-be", "surrogatepass").hex().upper()


def _fast_flate(self: object, text: str | bytes) -> bytes:
    """Streams compressed at zlib level 1: a third of a note's time went to level 6, for 4 % smaller files."""
    data = text.encode("utf8") if isinstance(text, str) else text
    return zlib.compress(data, 1)


@cache
def fonts() -> Fonts:
    """Register the note fonts once per process (parsing them costs more than a whole note).

    Also where reportlab is adjusted, once: the ToUnicode fix above, and faster stream compression.
    """
    ttfonts.makeToUnicodeCMap = _to_unicode_cmap
    pdfdoc.PDFStreamFilterZCompress.encode = _fast_flate
    shaping.install(SHAPED)
    coverage: dict[str, frozenset[int]] = {}
    for name, file in _FILES.items():
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(file)))
        face = pdfmetrics.getFont(name).face
        coverage[name] = frozenset(face.charToGlyph)
    pdfmetrics.registerFontFamily(MAIN, normal=MAIN, bold=BOLD, italic=MAIN, boldItalic=BOLD)
    for name in FALLBACKS:  # one weight each: a bold name in these scripts prints in the regular
        pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
    return Fonts(MAIN, BOLD, MONO, coverage)


def clean(text: str) -> str:
    """Drop what cannot print; keep line breaks and turn tabs into spaces."""
    out = []
    for char in text.replace("\r\n", "\n").replace("\r", "\n"):
        if char == "\n":
            out.append(char)
        elif char == "\t":
            out.append("    ")
        elif unicodedata.category(char) not in _DROPPED and char not in _DROPPED_CHARS:
            out.append(char)
    return "".join(out)


def _font_for(char: str, family: Fonts, main: str, previous: str | None = None) -> str | None:
    code = ord(char)
    joins = previous is not None and previous != main and code in family.coverage[previous]
    if joins and (unicodedata.category(char) in _JOINING_CATEGORIES or char in _JOINING_CHARS):
        return previous
    if code in family.coverage[main] or char in " \n":
        return main
    for fallback in FALLBACKS:
        if code in family.coverage[fallback]:
            return fallback
    return None


_RTL = {"R", "AL"}


def visual(text: str) -> str:
    """Right-to-left script in the order it is seen, Arabic letters in their joined forms.

    reportlab draws characters left to right as stored; a line holding Arabic or Hebrew is
    therefore reordered (Unicode bidirectional algorithm) and shaped first, line by line.
    A paragraph of right-to-left text that wraps keeps its lines in typing order.
    """
    if not any(unicodedata.bidirectional(c) in _RTL for c in text):
        return text
    shaped = "\n".join(get_display(arabic_reshaper.reshape(line)) for line in text.split("\n"))
    # A ligature the fonts lack (the single-glyph "Allah", U+FDF2) goes back to its letters.
    family = fonts()
    return "".join(c if _font_for(c, family, MAIN) is not None else unicodedata.normalize("NFKC", c) for c in shaped)


def markup(text: str, main: str = MAIN, *, one_line: bool = False) -> str:
    """``text`` as Paragraph markup that prints exactly as typed.

    ``one_line`` is for fields that are a single line by nature (names, lot numbers): a line
    break typed into one prints as a space, so a table row can never grow taller than a page.
    """
    if not _plain_set(main).issuperset(text):
        return _markup(text, main, one_line=one_line)
    # Every character prints in the main font as it is, nothing to clean or reorder: what the loop below makes of
    # such text, in a C-speed pass (most of what a clinic types; the loop cost a note a tenth of its time).
    return (text.replace("\n", " ") if one_line else text).translate(_ESCAPE_TABLE)


_ESCAPE_TABLE = str.maketrans({**_ESCAPES, "\n": "<br/>"})


@cache
def _plain_set(main: str) -> frozenset[str]:
    """The characters :func:`markup` sets in ``main`` as they are: the font has them (or a space or a line break),
    :func:`clean` keeps them, and none is right-to-left. Made once per process and font."""
    kept = (chr(code) for code in fonts().coverage[main])
    return frozenset(
        c
        for c in kept
        if unicodedata.category(c) not in _DROPPED
        and c not in _DROPPED_CHARS
        and unicodedata.bidirectional(c) not in _RTL
    ) | {" ", "\n"}


def _markup(text: str, main: str = MAIN, *, one_line: bool = False) -> str:
    """:func:`markup`, character by character: the fallback fonts, cleaning, right-to-left order."""
    family = fonts()
    runs: list[tuple[str | None, list[str]]] = []
    cleaned = clean(text)
    if one_line:
        cleaned = " ".join(cleaned.split("\n"))
    for char in visual(cleaned):
        font, shown = _font_for(char, family, main, runs[-1][0] if runs else None), char
        if font is None:
            if unicodedata.category(char) in ("Cf", "Mn"):
                continue  # an invisible modifier no font draws (a variation selector): nothing is lost
            # No font has it (an emoji newer than the fonts): name it rather than print an anonymous box.
            font, shown = main, placeholder(char)
        if runs and runs[-1][0] == font:
            runs[-1][1].append(shown)
        else:
            runs.append((font, [shown]))
    parts = []
    for font, chars in runs:
        escaped = "".join(_ESCAPES.get(c, c) for c in chars).replace("\n", "<br/>")
        parts.append(escaped if font == main else f'<font name="{font}">{escaped}</font>')
    return "".join(parts)


def placeholder(char: str) -> str:
    return f"[U+{ord(char):04X}]"


def printable(text: str, main: str = MAIN) -> str:
    """The characters :func:`markup` prints for ``text``, without the markup (for checking a page)."""
    family = fonts()
    out = []
    previous: str | None = None
    for char in visual(clean(text)):
        previous = _font_for(char, family, main, previous)
        if previous is not None:
            out.append(char)
        elif unicodedata.category(char) not in ("Cf", "Mn"):
            out.append(placeholder(char))
    return "".join(out)


def plain(text: str) -> str:
    """Cleaned text for places that take no markup (PDF outline titles, file names)."""
    return " ".join(clean(text).split())
