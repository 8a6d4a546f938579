"""Rendering in worker processes: small, picklable entry points that import only the reports.

A worker process is started with :func:`prepare` (fonts registered once per process, since
parsing them costs more than a note) and then receives visit notes and returns PDF bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

from needlelog.domain.model import VisitNote


def prepare() -> None:
    from needlelog.reports.text import fonts

    fonts()


def render_notes(notes: Sequence[VisitNote]) -> list[bytes]:
    """One PDF per note, in order."""
    from needlelog.reports.visit_note import render_visit_note

    return [render_visit_note(note) for note in notes]


def render_combined(notes: Sequence[VisitNote]) -> bytes:
    """All the notes in one PDF, a bookmark per visit."""
    from needlelog.reports.visit_note import render_combined as combined

    pdf: bytes = combined(notes)
    return pdf
