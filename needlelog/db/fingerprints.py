"""Every signed note's fingerprint recomputed from what the file holds (`needlelog check`).

A signed note's content, with the patient and the signer as signed (schema 0009), must still give the SHA-256
fingerprint stored at the signature. The triggers refuse a change to a signed note; this finds one made while
a trigger was away, or with the triggers of an older copy. The fingerprint has no key, so someone who rewrites
a note and its fingerprint together is not found here: that is the keyed seal's work (issue 13).

Half a million notes are read as plain column tuples, a range of ids at a time, and the fingerprint's content
(:func:`~needlelog.domain.fingerprint.content`) is built straight from them (:func:`stored_contents`; a test holds
it equal to the domain's for notes with every kind of content). Reading them as printed notes (ORM rows, the
patients' consents and courses, the amendments) took 15 minutes on a 500,000-session chart. A note that does
not verify this way is read again as its printed note (:class:`~needlelog.db.notes_repo.VisitNoteLoader`), which
says why in the same words as before: the fast path only ever clears a note, it never names one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, func, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from needlelog.db.bulk import without_cycle_collection
from needlelog.db.models import AdverseEventRow, OutcomeRow, SessionRow, SiteRow, TriggerPointRow
from needlelog.db.notes_repo import VisitNoteLoader
from needlelog.db.outcomes_text import activities_from_text
from needlelog.db.sessions_repo import signed_as_from_text
from needlelog.domain.fingerprint import digest, fingerprint
from needlelog.domain.model import VisitNote
from needlelog.domain.vocab import SessionStatus

BATCH = 2000
SHOWN = 20  # problems named one by one; past that, counted
KEPT = 200  # ids of notes that do not verify kept to be named (SHOWN of them are, unless their reading clears some)
SPAN = 25_000  # session ids a part of the scan reads (a task on a core, and a step of the progress)
Progress = Callable[[int, int], None]  # told how many signed notes of how many have been read
Content = dict[str, object]
_SIGNED = SessionStatus.SIGNED.value


def _bare(column: Any) -> ColumnElement[Any]:
    """The column as its engine stores it: a code as its text, a time as the driver reads it (naive UTC on
    SQLite), without the domain's types (an enum made for each of millions of codes only to be written back)."""
    return type_coerce(column, column.type.impl) if isinstance(column.type, TypeDecorator) else column


_SESSION = tuple(
    _bare(c)
    for c in (
        SessionRow.id,
        SessionRow.service_start,
        SessionRow.service_end,
        SessionRow.condition,
        SessionRow.technique,
        SessionRow.electrical_stimulation,
        SessionRow.pain_before,
        SessionRow.pain_after,
        SessionRow.sharps_disposed,
        SessionRow.soreness,
        SessionRow.reactions,
        SessionRow.reaction_other,
        SessionRow.aftercare,
        SessionRow.precautions_acknowledged,
        SessionRow.notes,
        SessionRow.lung_field_caution,
        SessionRow.signed_at,
        SessionRow.signed_by_id,
        SessionRow.fingerprint,
        SessionRow.signed_as,
        SessionRow.status,
    )
)
_SITE = tuple(
    _bare(c)
    for c in (
        SiteRow.session_id,
        SiteRow.id,
        SiteRow.region,
        SiteRow.side,
        SiteRow.muscle,
        SiteRow.needles,
        SiteRow.needle_size,
        SiteRow.needle_lot,
        SiteRow.dwell_minutes,
        SiteRow.twitch,
        SiteRow.timer_started_at,
        SiteRow.timer_stopped_at,
        SiteRow.needles_out,
        SiteRow.dwell_reason,
    )
)


def _moment(value: datetime | None) -> str | None:
    """An instant as the domain writes it: UTC, ISO (what ``UtcDateTime`` reads, then ``isoformat``)."""
    if value is None:
        return None
    if value.tzinfo is None:  # naive UTC (SQLite): the aware time's text is its text and the offset
        return value.isoformat() + "+00:00"
    return value.astimezone(UTC).isoformat()


def _codes(stored: str | None) -> list[str]:
    """A stored code set as the fingerprint lists it: each code once, sorted."""
    return sorted(set((stored or "").split()))


class _Children:
    """The sites (with their trigger points), adverse events and outcomes of a range of sessions, by session."""

    def __init__(self, conn: Connection, first: int, last: int) -> None:
        in_range = SiteRow.session_id.between(first, last)
        self.points: dict[int, list[list[object]]] = defaultdict(list)
        for site_id, view, x, y in conn.execute(
            select(TriggerPointRow.site_id, _bare(TriggerPointRow.view), TriggerPointRow.x, TriggerPointRow.y)
            .join(SiteRow, SiteRow.id == TriggerPointRow.site_id)
            .where(in_range)
            .order_by(TriggerPointRow.site_id, TriggerPointRow.position)
        ).all():
            self.points[site_id].append([view, round(x, 4), round(y, 4)])
        self.sites: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for row in conn.execute(select(*_SITE).where(in_range).order_by(SiteRow.session_id, SiteRow.position)).all():
            self.sites[row[0]].append(tuple(row))
        self.events: dict[int, list[list[object]]] = defaultdict(list)
        for session_id, kind, description in conn.execute(
            select(AdverseEventRow.session_id, _bare(AdverseEventRow.kind), AdverseEventRow.description)
            .where(AdverseEventRow.session_id.between(first, last))
            .order_by(AdverseEventRow.session_id, AdverseEventRow.position)
        ).all():
            self.events[session_id].append([kind, description])
        self.outcomes: dict[int, list[list[object]]] = defaultdict(list)
        for session_id, instrument, total, activities in conn.execute(
            select(OutcomeRow.session_id, _bare(OutcomeRow.instrument), OutcomeRow.total, OutcomeRow.activities)
            .where(OutcomeRow.session_id.between(first, last))
            .order_by(OutcomeRow.session_id, OutcomeRow.position)
        ).all():
            pairs = [[a.activity, a.score] for a in activities_from_text(activities)]
            self.outcomes[session_id].append([instrument, total, pairs])


def signed_span(conn: Connection) -> tuple[int, int, int] | None:
    """The lowest and highest id of a signed note and how many there are (None: none), from the status index."""
    low, high, count = conn.execute(
        select(func.min(SessionRow.id), func.max(SessionRow.id), func.count()).where(
            SessionRow.status == SessionStatus.SIGNED
        )
    ).one()
    return None if not count else (int(low), int(high), int(count))


def stored_contents(
    conn: Connection, after: int, until: int, limit: int = BATCH
) -> tuple[list[tuple[int, str, Content | None]], int | None]:
    """The signed notes among the ``limit`` sessions with ids above ``after`` and up to ``until``: each one's
    id, stored fingerprint and the content its fingerprint covers, built from the stored rows with the patient
    and signer it was signed as (None where that cannot be said here: no signature time, signer or readable
    ``signed_as``); and the last session id read (None: there were none).

    The sessions are read in id order and the drafts skipped here: asked for signed ones, SQLite takes the
    status index and sorts every signed note again for each batch (what made `check` quadratic)."""
    rows = conn.execute(
        select(*_SESSION).where(SessionRow.id > after, SessionRow.id <= until).order_by(SessionRow.id).limit(limit)
    ).all()
    if not rows:
        return [], None
    children = _Children(conn, rows[0][0], rows[-1][0])
    return [(row[0], row[18], _content(tuple(row), children)) for row in rows if row[20] == _SIGNED], rows[-1][0]


def scan(conn: Connection, first: int, last: int, kept: int) -> tuple[int, int, list[int]]:
    """The signed notes with ids ``first``-``last`` checked from their stored rows: how many were read, how many
    do not verify, and the ids of the first ``kept`` of those (to be named by :func:`problems_of`)."""
    after: int | None = first - 1
    read, wrong, suspects = 0, 0, list[int]()
    with without_cycle_collection():
        while True:
            notes, after = stored_contents(conn, after or 0, last)
            if after is None:
                return read, wrong, suspects
            read += len(notes)
            for ident, stored, covered in notes:
                if covered is None or digest(covered) != stored:
                    wrong += 1
                    if len(suspects) < kept:
                        suspects.append(ident)


def _content(row: tuple[Any, ...], children: _Children) -> Content | None:
    (ident, start, end, condition, technique, stimulation, before, after, sharps, soreness, reactions, other,
     aftercare, precautions, notes, lung, signed_at, signer, _digest, signed_as, _status) = row  # fmt: skip
    signed = signed_as_from_text(signed_as)
    if signed_at is None or signer is None or signed is None:
        return None
    covered: Content = {
        "patient": [signed.chart_number, signed.family_name, signed.given_name, signed.date_of_birth.isoformat()],
        "clinician": [signed.username, signed.display_name, signed.registration_number],
        "service": [_moment(start), _moment(end)],
        "signed_at": _moment(signed_at),
        "condition": condition,
        "technique": [technique, bool(stimulation)],
        "pain": [before, after],
        "reactions": [soreness, _codes(reactions), other],
        "adverse_events": children.events.get(ident, []),
        "aftercare": _codes(aftercare),
        "precautions_acknowledged": _codes(precautions),
        "notes": notes,
    }
    _add_sites(covered, children.sites.get(ident, ()), children.points, bool(sharps))
    if lung:
        covered["lung_field_caution"] = True
    outcomes = children.outcomes.get(ident)
    if outcomes:
        covered["outcomes"] = outcomes
    return covered


def _add_sites(covered: Content, sites: Sequence[tuple[Any, ...]], points: dict[int, Any], sharps: bool) -> None:
    """The sites and the ledger, and the parts later schemas added, present only when used (as the domain's)."""
    listed, timers, outs, reasons = [], [], [], []
    needles_in = needles_out = 0
    for i, (_session, site_id, region, side, muscle, needles, size, lot, dwell, twitch, started, stopped, out,
            why) in enumerate(sites):  # fmt: skip
        listed.append([region, side, muscle, needles, size, lot, dwell, twitch, points.get(site_id, [])])
        needles_in += needles or 0
        needles_out += out
        if started or stopped:
            timers.append([i, _moment(started), _moment(stopped)])
        if out != (needles or 0):
            outs.append([i, out])
        if why:
            reasons.append([i, why])
    covered["sites"] = listed
    covered["ledger"] = [needles_in, needles_out, sharps]
    if timers:
        covered["timers"] = timers
    if outs:
        covered["needles_out"] = outs
    if reasons:
        covered["dwell_reasons"] = reasons


def _mismatch(note: VisitNote) -> str | None:
    """Why a signed note does not verify, in words; None when it does."""
    s = note.session
    if s.signed_at is None or note.signer is None:
        return "has no signature time or signer"
    if s.signed_as is None:
        return "does not say whom it was signed for and by (its record of that is missing or unreadable)"
    if fingerprint(s, note.patient, note.signer, s.signed_at) == s.fingerprint:
        return None
    if s.signed_as.filled_at_upgrade:
        return (
            "does not match its fingerprint with the names filled in at the upgrade to schema 0009: a patient or "
            "clinician renamed before that upgrade shows this way; otherwise the note was changed after signing"
        )
    return "no longer matches its fingerprint: it was changed after signing"


def problems_of(db: Session, suspects: list[int], wrong: int) -> list[str]:
    """The notes ``suspects`` (the first that did not verify, in id order) named with why, as their printed
    notes read them; ``wrong`` of them in all, those past :data:`SHOWN` counted."""
    problems: list[str] = []
    named = 0
    loader = VisitNoteLoader(db)
    for start in range(0, len(suspects), BATCH):
        notes = sorted(loader.notes(suspects[start : start + BATCH]), key=lambda note: note.session.id or 0)
        for note in notes:
            why = _mismatch(note)
            if why is None:  # cleared by the notes' own reading: not counted against the chart
                wrong -= 1
                continue
            named += 1
            if named <= SHOWN:
                s = note.session
                problems.append(
                    f"fingerprint: signed note {s.id} (chart {note.patient.chart_number}, "
                    f"{s.service_start:%Y-%m-%d}) {why}"
                )
    if wrong > SHOWN:
        problems.append(f"fingerprint: {wrong - SHOWN} more signed notes no longer match their fingerprints")
    return problems


def fingerprint_problems(engine: Engine, progress: Progress | None = None) -> list[str]:
    """Each signed note whose content no longer gives its fingerprint, in words; empty when all do (in this
    process: a SQLite file's `check` spreads :func:`scan` over the PC's cores, ``services/checking.py``)."""
    with Session(engine) as db, db.begin():
        conn = db.connection()
        span = signed_span(conn)
        if span is None:
            return []
        first, last, total = span
        read, wrong, suspects = 0, 0, list[int]()
        for start in range(first, last + 1, SPAN):
            got, bad, ids = scan(conn, start, min(start + SPAN - 1, last), KEPT - len(suspects))
            read, wrong, suspects = read + got, wrong + bad, suspects + ids
            if progress is not None:
                progress(read, total)
        return problems_of(db, suspects, wrong)
