"""Rendering in worker processes: small, picklable entry points that import only the reports.

A worker process is started with :func:`prepare` (fonts registered once per process, since
parsing them costs more than a note) and then receives visit notes and the paths to write them
to. Results are files, flushed to the disk, and the reply is a count: a PDF never travels
back through a pipe. ``stop()`` is asked between notes, so a cancel takes one note at most.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from needlelog.domain.model import VisitNote

Stop = Callable[[], bool]


def prepare() -> None:
    from needlelog.reports.text import fonts

    fonts()


def write_notes(notes: Sequence[VisitNote], paths: Sequence[Path], *, stop: Stop) -> int:
    """One PDF per note at the matching path, in order; returns how many were written before a stop."""
    from needlelog.reports.visit_note import render_visit_note

    written = 0
    for note, path in zip(notes, paths, strict=True):
        if stop():
            break
        write_file(path, render_visit_note(note))
        written += 1
    return written


def write_combined(notes: Sequence[VisitNote], path: Path, *, stop: Stop) -> bool:
    """All the notes in one PDF at ``path``, a bookmark per visit; False when stopped before the end."""
    from needlelog.reports.visit_note import RenderStopped, render_combined

    try:
        pdf = render_combined(notes, stop)
    except RenderStopped:
        return False
    write_file(path, pdf)
    return True


def write_part(notes: Sequence[VisitNote], path: Path, first: int, total: int, *, stop: Stop) -> bool:
    """A part of a combined PDF: ``notes``, the ``first``-th on of ``total``, at ``path``; False when stopped.
    Not fsynced: a part is read back by :func:`join_parts` and removed, never kept."""
    from needlelog.reports.visit_note import RenderStopped, render_combined

    try:
        pdf = render_combined(notes, stop, first=first, total=total)
    except RenderStopped:
        return False
    path.write_bytes(pdf)
    return True


def join_parts(parts: Sequence[Path], path: Path, total: int, *, stop: Stop) -> bool:
    """The parts, in order, as one PDF at ``path`` (fsynced), their bookmarks kept; False when stopped."""
    from needlelog.reports.joining import join_pdfs

    pdf = join_pdfs(parts, f"Visit notes ({total})", stop)
    if pdf is None:
        return False
    write_file(path, pdf)
    return True


def write_file(path: Path, data: bytes) -> None:
    """A new file (readable by its owner only, as the chart is), written whole and fsynced."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        _write_all(fd, data)
        os.fsync(fd)
    except OSError as exc:
        if exc.filename is None:  # say which file: the caller names it in its message
            raise OSError(exc.errno, exc.strerror or str(exc), os.fspath(path)) from exc
        raise
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
