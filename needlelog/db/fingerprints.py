"""Every signed note's fingerprint recomputed from what the file holds (`needlelog check`).

A signed note's content, with the patient and the signer as signed (schema 0009), must still give the SHA-256
fingerprint stored at the signature. The triggers refuse a change to a signed note; this finds one made while
a trigger was away, or with the triggers of an older copy. The fingerprint has no key, so someone who rewrites
a note and its fingerprint together is not found here: that is the keyed seal's work (issue 13).
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from needlelog.db.models import SessionRow
from needlelog.db.notes_repo import VisitNoteLoader
from needlelog.domain.fingerprint import fingerprint
from needlelog.domain.model import VisitNote
from needlelog.domain.vocab import SessionStatus

BATCH = 500
SHOWN = 20  # problems named one by one; past that, counted


def _signed_ids(db: Session) -> Iterator[list[int]]:
    ids = list(
        db.scalars(select(SessionRow.id).where(SessionRow.status == SessionStatus.SIGNED).order_by(SessionRow.id))
    )
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


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


def fingerprint_problems(engine: Engine) -> list[str]:
    """Each signed note whose content no longer gives its fingerprint, in words; empty when all do."""
    problems: list[str] = []
    wrong = 0
    with Session(engine) as db, db.begin():
        loader = VisitNoteLoader(db)
        for batch in _signed_ids(db):
            for note in loader.notes(batch):
                why = _mismatch(note)
                if why is None:
                    continue
                wrong += 1
                if wrong <= SHOWN:
                    s = note.session
                    problems.append(
                        f"fingerprint: signed note {s.id} (chart {note.patient.chart_number}, "
                        f"{s.service_start:%Y-%m-%d}) {why}"
                    )
    if wrong > SHOWN:
        problems.append(f"fingerprint: {wrong - SHOWN} more signed notes no longer match their fingerprints")
    return problems
