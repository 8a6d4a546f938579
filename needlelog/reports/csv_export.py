"""Visit notes as CSV for spreadsheets: one row per visit, words not codes, safe to open in Excel.

Written with the :mod:`csv` module (RFC 4180 quoting, CRLF rows) in UTF-8 with a byte-order mark,
so that spreadsheets read Zoë and Nguyễn right. A cell that begins with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return would be run as a formula by a spreadsheet (OWASP "CSV injection"): it
is prefixed with a single quote, which spreadsheets show as text.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from typing import IO, TypeVar

from needlelog.domain.model import NeedlingSite, VisitNote
from needlelog.domain.rules import NeedleLedger, recorded_dwell
from needlelog.domain.vocab import Coded

C = TypeVar("C", bound=Coded)

ENCODING = "utf-8-sig"  # the BOM tells spreadsheets the file is UTF-8
COLUMNS = (
    "Date",
    "Start",
    "End",
    "Chart number",
    "Family name",
    "Given name",
    "Clinician",
    "Condition",
    "Technique",
    "Sites",
    "Needles inserted",
    "Needles removed",
    "Sharps disposed",
    "Pain before",
    "Pain after",
    "Soreness",
    "Reactions",
    "Adverse events",
    "Aftercare",
    "Status",
    "Signed at",
    "Fingerprint",
    "Notes",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """``cell`` as a spreadsheet will show it, never run it: a leading formula character gets a ``'``."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _text(text: str) -> str:
    """User text with the characters no spreadsheet cell holds (NUL, other controls) dropped; line breaks kept."""
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")


def _label(value: object) -> str:
    if value is None:
        return ""
    label = getattr(value, "label", None)
    return str(label) if label is not None else str(value)


def _time(moment: datetime | None, pattern: str) -> str:
    return "" if moment is None else moment.astimezone().strftime(pattern)


def _site(number: int, site: NeedlingSite) -> str:
    parts = [_label(site.region) or "region not set"]
    if site.side is not None:
        parts.append(site.side.label.lower())
    if site.muscle.strip():
        parts.append(site.muscle.strip())
    if site.needles is not None:
        parts.append(f"{site.needles} needle{'s' if site.needles != 1 else ''}")
    dwell = recorded_dwell(site)  # the timer's minutes when it ran (SPEC §3)
    if dwell is not None:
        parts.append(f"{dwell} min")
    if site.twitch is not None:
        parts.append(f"twitch {site.twitch.label.lower()}")
    lot = site.needle_lot.strip()
    needle = " ".join(p for p in (site.needle_size.strip(), lot and f"lot {lot}") if p)
    if needle:
        parts.append(needle)
    return f"{number}. " + ", ".join(parts)


def _in_order(values: frozenset[C]) -> list[C]:
    """Terms of a code set in their vocabulary's order (a stable, readable order)."""
    return sorted(values, key=lambda v: list(type(v).__members__.values()).index(v))


def csv_row(note: VisitNote) -> list[str]:
    """One visit as the cells of :data:`COLUMNS`, each already neutralised."""
    session, patient = note.session, note.patient
    ledger = NeedleLedger.of(session)
    technique = _label(session.technique)
    if session.electrical_stimulation:
        technique = f"{technique} with electrical stimulation".strip()
    reactions = [_label(r) for r in _in_order(session.reactions.others)]
    if session.reactions.other_text.strip():
        reactions.append(session.reactions.other_text.strip())
    events = [
        _label(e.kind) + (f": {e.description.strip()}" if e.description.strip() else "") for e in session.adverse_events
    ]
    cells = [
        _time(session.service_start, "%Y-%m-%d"),
        _time(session.service_start, "%H:%M"),
        _time(session.service_end, "%H:%M"),
        patient.chart_number,
        patient.family_name,
        patient.given_name,
        note.clinician.display_name,
        _label(session.condition),
        technique,
        "; ".join(_site(i, site) for i, site in enumerate(session.sites, start=1)),
        str(ledger.inserted),
        str(ledger.removed),
        "yes" if ledger.sharps_disposed else "no",
        _label(session.pain_before),
        _label(session.pain_after),
        _label(session.reactions.soreness),
        "; ".join(reactions),
        "; ".join(events),
        "; ".join(_label(a) for a in _in_order(session.aftercare)),
        _label(session.status),
        _time(session.signed_at, "%Y-%m-%d %H:%M") if session.is_signed else "",
        session.fingerprint if session.is_signed else "",
        session.notes,
    ]
    return [neutralise(_text(cell)) for cell in cells]


class CsvSheet:
    """Rows written one visit at a time to ``stream`` (opened with ``newline=""``), header first."""

    def __init__(self, stream: IO[str]) -> None:
        self._writer = csv.writer(stream, dialect="excel")  # RFC 4180: quote when needed, CRLF rows
        self._writer.writerow(COLUMNS)
        self.rows = 0

    def add(self, note: VisitNote) -> None:
        self._writer.writerow(csv_row(note))
        self.rows += 1


def write_csv(notes: Iterable[VisitNote], stream: IO[str]) -> int:
    """Write the header and one row per note; returns the number of rows."""
    sheet = CsvSheet(stream)
    for note in notes:
        sheet.add(note)
    return sheet.rows


def render_csv(notes: Iterable[VisitNote]) -> bytes:
    """The whole CSV file's bytes (UTF-8 with BOM)."""
    buffer = io.StringIO(newline="")
    write_csv(notes, buffer)
    return buffer.getvalue().encode(ENCODING)
