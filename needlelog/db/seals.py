"""Keyed seals (issue 13): what a signed note, an amendment, a follow-up or an audit row held when it was written.

Each is sealed with HMAC-SHA256 under a key derived from the chart key (:func:`needlelog.db.chart_key.seal_key`),
which the file does not hold: someone who rewrites a row and its fingerprint or hash, or forges a signed row,
cannot make its seal. The audit chain's head and row count are sealed in one row (``chain_seal``), so a cut tail
or an emptied trail is found too. Sealing happens in the transaction of the write: the key rides on the session
(``db.info["seal_key"]``, set by the services for an account that unwrapped the chart key at sign-in).

Rows written without the key (a failed sign-in, the command line's backup, and whatever an account that holds
no copy of the key yet writes: a chart upgraded from before its key) are sealed by the next write that has it, in
its transaction. A record waits for that only while the audit row written with it lies after the sealed head
(:func:`waiting`); `needlelog check` names it "not yet sealed" without failing, and names any other record
without a seal as tampering.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, func, insert, select, true
from sqlalchemy.orm import Session

from needlelog.db import keyholders
from needlelog.db.bulk import without_cycle_collection
from needlelog.db.engine import read_snapshot
from needlelog.db.models import (
    AmendmentRow,
    AuditRow,
    ChainSealRow,
    FollowUpRow,
    LateReportRow,
    RecordSealRow,
    SessionRow,
)
from needlelog.domain.access import AuditAction
from needlelog.domain.vocab import SessionStatus

Row = tuple[Any, ...]
SEAL_KEY = "seal_key"  # where a use case's session carries the seal key (Session.info)
BATCH = 2000
SHOWN = 20

NOTE, AMENDMENT, FOLLOW_UP, LATE_REPORT, AUDIT = "note", "amendment", "follow_up", "late_report", "audit"
_COLUMNS: dict[str, tuple[Any, ...]] = {
    NOTE: (
        SessionRow.id,
        SessionRow.patient_id,
        SessionRow.clinician_id,
        SessionRow.status,
        SessionRow.signed_at,
        SessionRow.signed_by_id,
        SessionRow.fingerprint,
        SessionRow.signed_as,
    ),
    AMENDMENT: tuple(AmendmentRow.__table__.c),
    FOLLOW_UP: tuple(FollowUpRow.__table__.c),
    LATE_REPORT: tuple(LateReportRow.__table__.c),
    AUDIT: tuple(AuditRow.__table__.c),
}
_WORDS = {
    NOTE: "signed note",
    AMENDMENT: "amendment",
    FOLLOW_UP: "follow-up",
    LATE_REPORT: "adverse event reported later",
    AUDIT: "audit row",
}
_PLURAL = {
    NOTE: "signed notes",
    AMENDMENT: "amendments",
    FOLLOW_UP: "follow-ups",
    LATE_REPORT: "adverse events reported later",
    AUDIT: "audit rows",
}
RECORDS = (NOTE, AMENDMENT, FOLLOW_UP, LATE_REPORT)  # sealed once, as written; the audit rows as a chain
# The audit row each record is written with, in the same transaction, and the visit it names.
_WRITTEN_WITH = {
    NOTE: AuditAction.SESSION_SIGNED,
    AMENDMENT: AuditAction.SESSION_AMENDED,
    FOLLOW_UP: AuditAction.FOLLOW_UP,
    LATE_REPORT: AuditAction.ADVERSE_REPORTED,
}
_AUTHOR = {  # who wrote a record (signed it, for a note)
    NOTE: SessionRow.signed_by_id,
    AMENDMENT: AmendmentRow.author_id,
    FOLLOW_UP: FollowUpRow.author_id,
    LATE_REPORT: LateReportRow.reported_by_id,
}
# Audit rows written outside a signed-in use case, whoever they name: a sign-in that failed (before a password
# opened anything), and the backup and restore engines' own connections (the window's backup thread, the command
# line, the step that encrypts a chart after its backup).
_WITHOUT_KEY_ANYWAY = (AuditAction.LOGIN_FAILED, AuditAction.LOCKED, AuditAction.BACKUP, AuditAction.RESTORE)
_VISIT = {
    NOTE: SessionRow.id,
    AMENDMENT: AmendmentRow.session_id,
    FOLLOW_UP: FollowUpRow.session_id,
    LATE_REPORT: LateReportRow.session_id,
}


def _id_column(kind: str) -> Any:
    return _COLUMNS[kind][0]


def _only(kind: str) -> ColumnElement[bool] | None:
    return SessionRow.status == SessionStatus.SIGNED if kind == NOTE else None


def _plain(value: object) -> object:
    """A time as ISO text (UTC), for the JSON a seal covers; the encoder asks only for what it cannot write."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"a {type(value).__name__} is not sealed")


# json.dumps(..., ensure_ascii=False, separators=(",", ":")) with the times written out, made once: `check`
# seals half a million notes, and the encoder is called back only for the times, not for every value.
_MESSAGE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_plain)


def seal_of(key: bytes, kind: str, values: Sequence[object]) -> str:
    """The HMAC-SHA256 of one row's content, as stored (its id first)."""
    return hmac.digest(key, _MESSAGE.encode([kind, *values]).encode("utf-8"), "sha256").hex()


def _chain_seal_of(key: bytes, head_id: int, head_hash: str, row_count: int) -> str:
    return seal_of(key, "chain", (head_id, head_hash, row_count))


def key_of(db: Session) -> bytes | None:
    key = db.info.get(SEAL_KEY)
    return key if isinstance(key, bytes) else None


def _rows(db: Session, kind: str, where: ColumnElement[bool], limit: int | None = None) -> list[Row]:
    stmt = select(*_COLUMNS[kind]).where(where).order_by(_id_column(kind)).limit(limit)
    only = _only(kind)
    if only is not None:
        stmt = stmt.where(only)
    return [tuple(row) for row in db.execute(stmt)]


def _seal_unsealed(db: Session, key: bytes, kind: str, where: ColumnElement[bool]) -> int:
    """Seal every row of ``kind`` matching ``where`` that has no seal, :data:`BATCH` rows at a time (the sweep
    when a key is made may meet half a million notes and millions of audit rows: memory stays flat)."""
    sealed, last = 0, 0
    column = _id_column(kind)
    while True:
        # In id order, the drafts skipped here rather than in SQL (see _batches: SQLite would sort again).
        stmt = select(*_COLUMNS[kind]).where(where & (column > last) & _unsealed(kind)).order_by(column).limit(BATCH)
        rows = [tuple(row) for row in db.execute(stmt)]
        if not rows:
            return sealed
        last = int(rows[-1][0])
        sealed += _insert(db, key, kind, [row for row in rows if kind != NOTE or row[3] == SessionStatus.SIGNED])


def _unsealed(kind: str) -> ColumnElement[bool]:
    sealed = select(RecordSealRow.row_id).where(RecordSealRow.kind == kind, RecordSealRow.row_id == _id_column(kind))
    return ~sealed.exists()


def _insert(db: Session, key: bytes, kind: str, rows: list[Row]) -> int:
    if rows:
        db.execute(
            insert(RecordSealRow),
            [{"kind": kind, "row_id": row[0], "seal": seal_of(key, kind, row)} for row in rows],
        )
    return len(rows)


def waiting(db: Session, kind: str, head_id: int) -> list[int]:
    """The unsealed rows of ``kind`` written by an account without the key since the sealed head ``head_id``.

    For each visit whose audit rows after the head record such a write (a signature, an amendment, a follow-up,
    an event reported later), its unsealed rows of that kind wait only if there are no more of them than those
    audit rows, and no fewer sealed rows than the same audit rows at or before the head (each of which was
    sealed, with the key or by the sweep of the write that moved the head past it). A seal deleted from an older
    record, or a record forged without an audit row after the head, therefore does not wait: it is tampering.
    And only what an account that never held a copy of the key wrote waits (:mod:`needlelog.db.keyholders`):
    every one of those audit rows names such an account, and each record's author or signer is one of them; a
    row in the name of an account that holds the key was not written by it (it seals what it writes).
    Only visits named after the head are read, through the audit trail's primary key and patient index."""
    action = _WRITTEN_WITH[kind]
    keyless = keyholders.keyless_names(db)
    actors: dict[tuple[int | None, int | None], list[str]] = {}
    for visit, patient, actor in db.execute(
        select(AuditRow.session_id, AuditRow.patient_id, AuditRow.user_name).where(
            AuditRow.id > head_id, AuditRow.action == action, AuditRow.session_id.is_not(None)
        )
    ):
        actors.setdefault((visit, patient), []).append(actor)
    found: list[int] = []
    for (visit, patient), names in actors.items():
        if not all(name in keyless for name in names):
            continue
        ids = [int(row[0]) for row in _rows(db, kind, _VISIT[kind] == visit)]
        sealed = set(
            db.scalars(select(RecordSealRow.row_id).where(RecordSealRow.kind == kind, RecordSealRow.row_id.in_(ids)))
        )
        unsealed = [row_id for row_id in ids if row_id not in sealed]
        if not unsealed or len(unsealed) > len(names) or not _by(db, kind, unsealed, {keyless[n] for n in names}):
            continue
        written_before = db.scalar(
            select(func.count())
            .select_from(AuditRow)
            .where(
                AuditRow.patient_id == patient,
                AuditRow.id <= head_id,
                AuditRow.action == action,
                AuditRow.session_id == visit,
            )
        )
        if len(sealed) >= int(written_before or 0):
            found += unsealed
    return sorted(found)


def _by(db: Session, kind: str, row_ids: list[int], authors: set[int]) -> bool:
    """Whether every one of the rows was written (signed, for a note) by one of the accounts ``authors``."""
    column = _AUTHOR[kind]
    found = db.execute(select(column).where(_id_column(kind).in_(row_ids))).scalars().all()
    return len(found) == len(row_ids) and all(author in authors for author in found)


def seal_row(db: Session, kind: str, row_id: int) -> None:
    """Seal one row just written, in the writer's transaction, when the one acting holds the key."""
    key = key_of(db)
    if key is not None:
        _insert(db, key, kind, _rows(db, kind, _id_column(kind) == row_id))
        if kind == AUDIT:
            seal_audit_tail(db, just_sealed=row_id)


def seal_audit_tail(db: Session, just_sealed: int | None = None) -> None:
    """Seal the audit rows after the sealed head (those written without the key, and the newest), then the head.

    ``just_sealed``: the audit row the caller has just written and sealed with the key. When it is the only row
    after the head (every write of a signed-in key holder, one after another), nothing can be waiting: no account
    without the key wrote since the head. The search for what waits is then skipped (about twenty queries, 4 ms of
    a draft's save on a chart with a key, issue 14)."""
    key = key_of(db)
    if key is None:
        return
    chain = db.get(ChainSealRow, 1)
    start = chain.head_id if chain is not None else 0
    after = db.scalars(select(AuditRow.id).where(AuditRow.id > start).order_by(AuditRow.id).limit(2)).all()
    if chain is None or just_sealed is None or list(after) != [just_sealed]:
        for kind in RECORDS:  # what accounts without the key wrote since the head, before the head moves past it
            pending = waiting(db, kind, start) if chain is not None else []
            if pending:
                _insert(db, key, kind, _rows(db, kind, _id_column(kind).in_(pending)))
        _seal_unsealed(
            db, key, AUDIT, (AuditRow.id > start) & _written_without_key(db) if chain is not None else true()
        )
    keyholders.mark_keyholders(db, key)
    head = db.execute(select(AuditRow.id, AuditRow.row_hash).order_by(AuditRow.id.desc()).limit(1)).first()
    if head is None:
        return
    added = db.scalar(select(func.count()).select_from(AuditRow).where(AuditRow.id > start, AuditRow.id <= head[0]))
    count = (chain.row_count if chain is not None else 0) + int(added or 0)
    seal = _chain_seal_of(key, head[0], head[1], count)
    if chain is None:
        db.add(ChainSealRow(id=1, head_id=head[0], head_hash=head[1], row_count=count, seal=seal))
    else:
        chain.head_id, chain.head_hash, chain.row_count, chain.seal = head[0], head[1], count, seal
    db.flush()


def _written_without_key(db: Session) -> ColumnElement[bool]:
    """The audit rows after the head that an account without the key may have written: those of an account that
    never held a copy, and of any account a failed or locked sign-in, a backup or a restore (written outside a
    signed-in use case). Any other row in the name of an account that holds the key was not written by it: it is
    left unsealed, and named."""
    holders = keyholders.holder_names(db)
    if not holders:
        return true()
    return func.lower(AuditRow.user_name).not_in(holders) | AuditRow.action.in_(_WITHOUT_KEY_ANYWAY)


def seal_everything(db: Session) -> dict[str, int]:
    """Seal every record not sealed yet, as found (the chart key was just made); how many of each kind."""
    key = key_of(db)
    if key is None:
        return {}
    counts = {}
    for kind in RECORDS:
        counts[kind] = _seal_unsealed(db, key, kind, _id_column(kind) > 0)
    before = db.scalar(select(func.count()).select_from(AuditRow)) or 0
    seal_audit_tail(db)
    counts[AUDIT] = int(before)
    return counts


# --- what `needlelog check` verifies --------------------------------------------------------------------


def _batches(db: Session, kind: str) -> Iterator[tuple[list[Row], dict[int, str]]]:
    """The rows of ``kind`` in id order, :data:`BATCH` at a time, with the seals stored for them.

    Read in id order and the drafts skipped here, not in SQL: asked for signed notes, SQLite takes the status
    index and sorts every signed note again for each batch (quadratic: most of `check`'s 15 minutes)."""
    conn = db.connection()
    column = _id_column(kind)
    last = 0
    while True:
        rows = [
            tuple(row)
            for row in conn.execute(select(*_COLUMNS[kind]).where(column > last).order_by(column).limit(BATCH)).all()
        ]
        if not rows:
            return
        first, last = int(rows[0][0]), int(rows[-1][0])
        if kind == NOTE:
            rows = [row for row in rows if row[3] == SessionStatus.SIGNED]
        found = conn.execute(
            select(RecordSealRow.row_id, RecordSealRow.seal).where(
                RecordSealRow.kind == kind, RecordSealRow.row_id.between(first, last)
            )
        ).all()
        yield rows, {int(row_id): seal for row_id, seal in found}


def _kind_problems(
    db: Session, key: bytes, kind: str, sealed_head: int, pending: set[int], progress: Callable[[str], None] | None
) -> list[str]:
    problems: list[str] = []
    verified = 0
    holders = keyholders.holder_names(db) if kind == AUDIT else set()
    for rows, seals in _batches(db, kind):
        verified += len(rows)
        if progress is not None:
            progress(f"seals: {verified:,} {_PLURAL[kind]} verified")
        for row in rows:
            row_id = int(row[0])
            stored = seals.get(row_id)
            if stored is None:
                if kind == AUDIT and _claims_a_holder(row, holders):
                    problems.append(
                        f"seal: audit row {row_id} has no seal and names {row[_AUDIT_USER]}, who holds the chart key "
                        "and seals what they write: it was not written by them"
                    )
                elif row_id not in pending and (kind != AUDIT or row_id <= sealed_head):
                    problems.append(f"seal: {_WORDS[kind]} {row_id} has no seal: it was written without the chart key")
            elif not hmac.compare_digest(stored, seal_of(key, kind, row)):
                problems.append(f"seal: {_WORDS[kind]} {row_id} does not match its seal: it was changed or forged")
            elif kind == AUDIT and row_id > sealed_head:  # every sealed append moves the head to itself
                problems.append(f"seal: audit row {row_id} is sealed after the sealed head: an older head was put back")
    column = _id_column(kind)
    exists = select(column).where(column == RecordSealRow.row_id)
    only = _only(kind)
    gone = db.scalars(
        select(RecordSealRow.row_id)
        .where(RecordSealRow.kind == kind, ~(exists if only is None else exists.where(only)).exists())
        .order_by(RecordSealRow.row_id)
    ).all()
    problems += [f"seal: {_WORDS[kind]} {row_id} was sealed and is no longer there" for row_id in gone]
    return problems


def _chain_problems(db: Session, key: bytes) -> tuple[list[str], int | None]:
    """What is wrong with the sealed head, and its row id (None when it cannot be trusted: nothing waits then)."""
    chain = db.get(ChainSealRow, 1)
    rows = db.scalar(select(func.count()).select_from(AuditRow)) or 0
    if chain is None:
        return (["seal: the audit trail's sealed head is missing"] if rows else []), None
    expected = _chain_seal_of(key, chain.head_id, chain.head_hash, chain.row_count)
    if not hmac.compare_digest(chain.seal, expected):
        return ["seal: the audit trail's sealed head and count do not match their seal: they were changed"], None
    problems = []
    head = db.get(AuditRow, chain.head_id) if chain.head_id else None
    if chain.head_id and head is None:
        last = db.scalar(select(func.max(AuditRow.id)))
        after = f"after row {last}" if last is not None else "whole"
        problems.append(
            f"seal: audit row {chain.head_id}, the sealed head of the trail, is missing: the trail was cut ({after})"
        )
    elif head is not None and head.row_hash != chain.head_hash:
        problems.append(f"seal: audit row {chain.head_id}, the sealed head of the trail, was re-hashed")
    counted = db.scalar(select(func.count()).select_from(AuditRow).where(AuditRow.id <= chain.head_id)) or 0
    if counted != chain.row_count:
        problems.append(
            f"seal: the audit trail holds {counted} rows up to row {chain.head_id}, and {chain.row_count} were sealed"
        )
    return problems, chain.head_id


def seal_problems(engine: Engine, key: bytes) -> list[str]:
    """Every record whose seal is missing or wrong, and a cut or emptied audit trail, in words; empty when all hold.
    Rows a chart held before its key are sealed as found when it is made (audited), like those written after."""
    return seal_findings(engine, key)[0]


def seal_findings(
    engine: Engine, key: bytes, progress: Callable[[str], None] | None = None
) -> tuple[list[str], list[str]]:
    """:func:`seal_problems`, and the rows not yet sealed because an account without the key wrote them after the
    sealed head (:func:`waiting`): named, not problems. ``progress`` is told how far it is, in words."""
    with Session(read_snapshot(engine)) as db, db.begin(), without_cycle_collection():
        problems, head = _chain_problems(db, key)
        pending = {kind: set(waiting(db, kind, head)) if head is not None else set() for kind in RECORDS}
        for kind in (*RECORDS, AUDIT):
            problems += _kind_problems(db, key, kind, head or 0, pending.get(kind, set()), progress)
        problems += keyholders.keyholder_problems(db, key)
        later = 0 if head is None else _unsealed_audit_after(db, head)
    if len(problems) > SHOWN:
        problems = [*problems[:SHOWN], f"seal: {len(problems) - SHOWN} more problems with seals"]
    words = [f"{_WORDS[kind]} {row_id}" for kind in RECORDS for row_id in sorted(pending[kind])]
    if later:
        words.append(f"{later} audit row{'s' if later != 1 else ''} after the sealed head")
    if len(words) > SHOWN:
        words = [*words[:SHOWN], f"{len(words) - SHOWN} more"]
    return problems, [f"not yet sealed (written by an account without the key): {word}" for word in words]


def _unsealed_audit_after(db: Session, head: int) -> int:
    """The audit rows after the head that the next keyed write will seal (not those it will not: named)."""
    where = (AuditRow.id > head) & _unsealed(AUDIT) & _written_without_key(db)
    return int(db.scalar(select(func.count()).select_from(AuditRow).where(where)) or 0)


_AUDIT_USER = [column.key for column in _COLUMNS[AUDIT]].index("user_name")
_AUDIT_ACTION = [column.key for column in _COLUMNS[AUDIT]].index("action")


def _claims_a_holder(row: Row, holders: set[str]) -> bool:
    """An audit row in the name of an account that holds the key, for what it writes only with it."""
    return str(row[_AUDIT_USER]).lower() in holders and row[_AUDIT_ACTION] not in _WITHOUT_KEY_ANYWAY
