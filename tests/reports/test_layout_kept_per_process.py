"""What a note lays out once per process (the letterhead, the page's words, parsed paragraphs, a paragraph's last
wrap) must print the same as laying it out afresh: the second note of an export the same as the first."""

from __future__ import annotations

import io
import sys
import threading
from dataclasses import replace

from pypdf import PdfReader

from needlelog.reports import shaping
from needlelog.reports.letterhead import letterhead
from needlelog.reports.note_layout import LETTERHEAD_WIDTH, _styles
from needlelog.reports.shaping import Paragraph
from needlelog.reports.visit_note import render_combined, render_visit_note
from tests.reports.test_visit_note import signed_note


def contents(pdf: bytes) -> list[bytes]:
    return [page.get_contents().get_data() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_a_note_rendered_again_prints_the_same_pages() -> None:
    note = signed_note()
    first = contents(render_visit_note(note))
    other = replace(note, patient=replace(note.patient, family_name="Nguyễn-Øyvind"))
    render_visit_note(other)  # another note in between, as in an export
    assert contents(render_visit_note(note)) == first
    combined = contents(render_combined([note, other, note]))
    assert combined[: len(first)] == first, "the combined file's first note is the note on its own"


def test_a_parsed_paragraph_is_not_changed_by_the_one_before_it() -> None:
    """A word wider than its column is split by breaking lines, which changes the paragraph's fragments: the next
    paragraph of the same text starts from the parsed ones, not from the split ones."""
    cell = _styles()["cell"]
    text = "Supercalifragilisticexpialidocious-" * 3
    broken = []
    for _ in range(3):
        paragraph = Paragraph(text, cell)
        paragraph.wrap(40, 1000)
        broken.append([lines_text(paragraph, line) for line in paragraph.blPara.lines])
    assert len(broken[0]) > 3, "the word was split over lines"
    assert broken[0] == broken[1] == broken[2]


def lines_text(paragraph: Paragraph, line: object) -> str:
    if paragraph.blPara.kind == 0:
        return " ".join(line[1])  # type: ignore[index]
    return "".join(getattr(frag, "text", "") for frag in line.words)  # type: ignore[attr-defined]


def test_long_text_is_parsed_each_time() -> None:
    cell = _styles()["body"]
    text = "A long note. " * 40
    assert len(text) > shaping.PARSED_TEXT_LIMIT
    before = shaping._parsed.cache_info().currsize
    Paragraph(text, cell)
    assert shaping._parsed.cache_info().currsize == before


def test_each_thread_draws_its_own_laid_out_letterhead() -> None:
    note = signed_note()
    styles = _styles()
    mine = letterhead(note.clinic, styles["h1"], styles["small"], LETTERHEAD_WIDTH)[0]
    again = letterhead(note.clinic, styles["h1"], styles["small"], LETTERHEAD_WIDTH)[0]
    theirs: list[object] = []
    thread = threading.Thread(
        target=lambda: theirs.extend(letterhead(note.clinic, styles["h1"], styles["small"], LETTERHEAD_WIDTH)[0])
    )
    thread.start()
    thread.join()
    assert all(a is b for a, b in zip(mine, again, strict=True)), "laid out once in a thread"
    assert not any(a is b for a, b in zip(mine, theirs, strict=True)), "never shared between threads"


def test_two_threads_rendering_at_once_print_what_one_prints() -> None:
    """The export dialog's thread renders while a note is saved from the editor: reportlab's fonts are one per
    process and subsetting one moves a shared file position, so PDFs are built one at a time (without it, one
    run of this file in three failed here with an IndexError in the font's subsetting or wrong glyphs)."""
    note = signed_note()
    notes = [note, replace(note, patient=replace(note.patient, family_name="Nguyễn-Øyvind Алёна"))]
    expected = [contents(render_visit_note(n)) for n in notes]
    found: list[bool] = []

    def render() -> None:
        for i in range(12):
            found.append(contents(render_visit_note(notes[i % 2])) == expected[i % 2])

    threads = [threading.Thread(target=render) for _ in range(4)]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # threads take turns often, as on a busy PC
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch)
    assert len(found) == 48
    assert all(found)
