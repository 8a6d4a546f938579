"""Shaping for the scripts whose letters join, reorder and stack: Gurmukhi, Devanagari, Thai, Khmer and the rest.

In "ਸਿੰਘ" the vowel sign ਿ is typed after ਸ but drawn before it; in "स्ते" two letters and a virama make one
conjunct glyph. Drawing characters one by one in their stored order, as reportlab does by default, misplaces
or drops them. reportlab 4 and later shape a Paragraph's words with harfbuzz (``uharfbuzz``) when its style
says ``shaping=1``; it shapes a whole word in the font of the word's first character, so a word that mixes
fonts ("(ਸਿੰਘ)", the brackets in the main font) would be shaped in the wrong one. :func:`install` therefore
puts a function of ours in its place that shapes only the runs set in the script fonts named, each run in
its own font, and leaves every other run exactly as it was drawn before (Latin, Cyrillic, CJK and the
right-to-left text that :mod:`needlelog.reports.text` has already put in visual order).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from reportlab import platypus
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.platypus import paragraph

SHAPED_PREFIX = "NoteScript"  # every shaped font's name begins so (reports/text.py registers them)
# A word longer than this (characters, no space) is not shaped. reportlab splits a word wider than its line
# character by character, which tears a shaped word (a vowel sign from its letter) and misjudges the height of
# its lines, so a table row would print over the next. No name comes near: "চট্টোপাধ্যায়" is 13, a long Thai
# surname 15; 24 Gurmukhi characters fit the narrowest column that holds typed text.
LONGEST_SHAPED_WORD = 24
_shape_with_harfbuzz = ttfonts.shapeFragWord
_shaped_fonts: set[str] = set()  # filled by install()


def available() -> bool:
    """True when harfbuzz is there to shape (``uharfbuzz`` installed)."""
    return ttfonts.uharfbuzz is not None


def install(fonts: tuple[str, ...]) -> None:
    """Shape the runs set in ``fonts`` (registered font names), and no others, in every Paragraph."""
    _shaped_fonts.clear()
    _shaped_fonts.update(fonts)
    paragraph.shapeFragWord = shape_word


def _font_of(part: Any) -> str | None:
    frag = part[0]
    return None if hasattr(frag, "cbDefn") else getattr(frag, "fontName", None)


def shape_word(word: list[Any], *args: Any, **kwargs: Any) -> list[Any]:
    """A Paragraph's word (``[width, (frag, text), ...]``) with its runs in the script fonts shaped, each alone."""
    parts = word[1:]
    if isinstance(word, ttfonts.ShapedFragWord) or not any(_font_of(part) in _shaped_fonts for part in parts):
        return word
    if sum(len(text) for frag, text in parts if _font_of((frag,)) in _shaped_fonts) > LONGEST_SHAPED_WORD:
        return word  # drawn as typed: reportlab splits a word wider than its line into characters, torn if shaped
    if any(isinstance(part[1], ttfonts.ShapedStr) for part in parts):
        return word  # shaped already: a paragraph split across a page or a cell is made of shaped lines
    if any(_font_of(part) is None for part in parts):
        return word  # a link or an anchor inside the word: left as it is (user text holds none)
    if all(_font_of(part) == _font_of(parts[0]) for part in parts):
        return _shape_with_harfbuzz(word, *args, **kwargs)  # type: ignore[no-any-return]
    runs: list[list[Any]] = []
    for part in parts:
        if runs and _font_of(runs[-1][-1]) == _font_of(part):
            runs[-1].append(part)
        else:
            runs.append([part])
    width, shaped_parts, changed = 0.0, [], False
    for run in runs:
        run_width = sum(pdfmetrics.stringWidth(text, frag.fontName, frag.fontSize) for frag, text in run)
        piece = [run_width, *run]
        if _font_of(run[0]) in _shaped_fonts:
            shaped = _shape_with_harfbuzz(piece, *args, **kwargs)
            changed = changed or shaped is not piece
            piece = shaped
        width += piece[0]
        shaped_parts.extend(piece[1:])
    if not changed:
        return word
    result: list[Any] = ttfonts.makeShapedFragWord(word)([width, *shaped_parts])
    return result


class Paragraph(platypus.Paragraph):  # type: ignore[misc]  # reportlab is untyped
    """A Paragraph that is shaped (by :func:`shape_word`) when its text holds a script that needs it.

    Shaping takes every paragraph off reportlab's quick path for text in one font (a third more time for a
    whole note), so only a paragraph with a run in a script font (Gurmukhi, Thai, ...) has it."""

    def __init__(self, text: str | None, style: ParagraphStyle, *args: Any, **kwargs: Any) -> None:
        if text is not None and _SHAPED_RUN in text and available():
            style = _shaped_style(style)
        if text is None or args or kwargs or len(text) > PARSED_TEXT_LIMIT:
            super().__init__(text, style, *args, **kwargs)
            return
        cleaned, parsed_style, frags, bullet = _parsed(text, style)
        # Each paragraph gets its own copies of the fragments: breaking lines may change them.
        super().__init__(cleaned, parsed_style, bullet, [frag.clone() for frag in frags])

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        """reportlab's wrap, remembered for the last width: a table asks each cell's paragraph its height when it
        lays out its rows and again when it draws them (a nested table once more), and the answer for the same
        width is the same (the lines broken the same way; the height is theirs, whatever the height offered)."""
        if available_width == self.__dict__.get("_wrapped_width") and "blPara" in self.__dict__:  # split drops it
            return self.width, self.height
        size: tuple[float, float] = super().wrap(available_width, available_height)
        self._wrapped_width = available_width
        return size


_SHAPED_RUN = f'<font name="{SHAPED_PREFIX}'
# Paragraphs this long or shorter are parsed once per process for each text and style; longer ones (a note's text)
# rarely come twice, and would fill the memory the cache keeps.
PARSED_TEXT_LIMIT = 300


@lru_cache(maxsize=4096)
def _parsed(text: str, style: ParagraphStyle) -> tuple[str, ParagraphStyle, tuple[Any, ...], Any]:
    """What reportlab's parser makes of ``text`` in ``style``: the cleaned text, the style, the fragments and the
    bullet. Seven paragraphs in ten of an export say what an earlier note said ("Neck", "Muscle soreness: Mild",
    the program's own words), and the parser (``html.parser`` underneath) was a tenth of a note's time."""
    parsed = platypus.Paragraph(text, style)
    return parsed.text, parsed.style, tuple(parsed.frags), parsed.bulletText


def _shaped_style(style: ParagraphStyle) -> ParagraphStyle:
    """``style`` with shaping on: made once per style and kept on it."""
    shaped: ParagraphStyle | None = style.__dict__.get("shaped_twin")
    if shaped is None:
        shaped = ParagraphStyle(f"{style.name}-shaped", parent=style, shaping=1)
        style.__dict__["shaped_twin"] = shaped
    return shaped
