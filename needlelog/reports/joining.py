"""One combined PDF joined from parts rendered in parallel (``reports.batch``), bookmarks kept.

A combined PDF of 1,000 notes is one reportlab document, which one process renders in some 20 s; split
into parts, every core renders one, and joining them costs a fraction of that. Each part is a complete
PDF with its own fonts (a subset each) and a bookmark per visit, named by the visit's place in the whole;
pypdf copies the pages and the outline, in order, into one file. The notes' 'page x of y' is per note, so
a part break never changes what a page says.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path


def join_pdfs(parts: Sequence[Path], title: str, stop: Callable[[], bool]) -> bytes | None:
    """The PDFs at ``parts`` as one, titled ``title``, their outlines in order; None when ``stop()`` says so."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for part in parts:
        if stop():
            return None
        writer.append(str(part), import_outline=True)
    writer.add_metadata({"/Title": title, "/Author": "needlelog", "/Producer": "needlelog"})
    writer.page_mode = "/UseOutlines"
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
