"""A PDF visit note against a bare reportlab page of the same content, in the same run.

    python bench/bench_note.py [--repeat 200]

SPEC §9: a note costs at most twice a bare reportlab page of the same content. The bare page
is the floor: the note's own content (the same words, labels, headings and tables, in the same
embedded TrueType fonts) on a SimpleDocTemplate page, with none of the note's own work: user
text is only HTML-escaped instead of cleaned, reordered and given fallback fonts, and there is
no letterhead, footer, page x of y, watermark or bookmark. Both are timed after a warm-up,
fonts already registered, as an export worker runs.
"""

from __future__ import annotations

import argparse
import html
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reportlab.lib.pagesizes import LETTER
from reportlab.platypus import SimpleDocTemplate

from needlelog.reports import visit_note
from needlelog.reports.text import fonts
from needlelog.reports.visit_note import render_visit_note
from tests.reports.test_visit_note import signed_note


def bare_page(note) -> bytes:  # type: ignore[no-untyped-def]
    """The floor: the note's own story (same words, labels, tables, fonts), with user text only
    HTML-escaped and the page left bare: no font fallback, letterhead, footer, page x of y or bookmarks."""
    original_markup, original_line = visit_note.markup, visit_note.line
    visit_note.markup = visit_note.line = lambda text, *a, **k: html.escape(text)  # type: ignore[assignment]
    try:
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(buffer, pagesize=LETTER)
        doc.build(visit_note.story(note, visit_note._styles(), doc.width))
        return buffer.getvalue()
    finally:
        visit_note.markup, visit_note.line = original_markup, original_line


def timed(make, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    for _ in range(5):
        make()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        make()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    fonts()
    note = signed_note()
    floor = timed(lambda: bare_page(note), args.repeat)
    ours = timed(lambda: render_visit_note(note), args.repeat)
    floor_ms, ours_ms = statistics.median(floor), statistics.median(ours)
    print(f"{'measure':40} {'median ms':>10}")
    print(f"{'bare reportlab page, same content':40} {floor_ms:10.2f}")
    print(f"{'needlelog visit note':40} {ours_ms:10.2f}")
    print(f"{'ratio (budget 2.0)':40} {ours_ms / floor_ms:10.2f}")


if __name__ == "__main__":
    main()
