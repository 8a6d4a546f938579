"""User text that needs no fallback font, cleaning or reordering takes a quick path through ``markup``: it must give
exactly what the character-by-character path gives, for every kind of text a clinic types or pastes."""

from __future__ import annotations

import random

import pytest

from needlelog.reports.text import BOLD, MAIN, _markup, markup

SAMPLES = [
    "",
    "Patient reports less morning stiffness.",
    'Typed markup: <b>bold</b> & <font size=200>big</font> <img src="x.png"/> "quoted" &amp;',
    "two\nlines\n\nand a paragraph",
    "a tab\there and a carriage return\r\nand a lone \r one",
    "control \x00\x07\x1b\x7f characters",
    "Zoë Øyvind Nguyễn Алёна Ærøskøbing ß",
    "李小龙 and 김민준",
    "مرحبا بالعالم and שלום",
    "ਸਿੰਘ स्ते ไทย",
    "emoji 🙂 and a newer one 🫠",
    "combining e\u0301 and a joiner a\u200db, an override \u202eabc\u202c, a mark \u200f",
    "private use \ue000 and a byte-order mark \ufeff",
]


@pytest.mark.parametrize("text", SAMPLES)
@pytest.mark.parametrize("main", [MAIN, BOLD])
@pytest.mark.parametrize("one_line", [False, True])
def test_the_quick_path_gives_what_the_long_one_gives(text: str, main: str, one_line: bool) -> None:
    assert markup(text, main, one_line=one_line) == _markup(text, main, one_line=one_line)


def test_random_text_from_every_plane_gives_the_same_markup() -> None:
    chooser = random.Random(14)
    pools = [range(0x20, 0x7F), range(0xA0, 0x250), range(0x370, 0x700), range(0x2000, 0x2070), range(0, 0x30000)]
    for _ in range(400):
        codes = (chooser.choice(chooser.choice(pools)) for _ in range(chooser.randint(0, 40)))
        text = "".join(chr(c) for c in codes if not 0xD800 <= c <= 0xDFFF)  # no text from a form holds a surrogate
        for one_line in (False, True):
            assert markup(text, one_line=one_line) == _markup(text, one_line=one_line), ascii(text)
