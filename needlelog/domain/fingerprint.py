"""The signed note's fingerprint: SHA-256 of its content in a canonical form that does not depend on storage."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from needlelog.domain.model import Clinician, Patient, TreatmentSession
from needlelog.domain.vocab import Coded

# json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")) makes this encoder for every
# call; made once, its text is the same (dumps is exactly ``JSONEncoder(...).encode``).
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def fingerprint(session: TreatmentSession, patient: Patient, signer: Clinician, signed_at: datetime) -> str:
    """SHA-256 of the note's content, in a canonical form that does not depend on storage."""
    return digest(content(session, patient, signer, signed_at))


def digest(note_content: dict[str, object]) -> str:
    """The fingerprint of a note's :func:`content`: SHA-256 of its canonical JSON."""
    return hashlib.sha256(_CANONICAL.encode(note_content).encode("utf-8")).hexdigest()


def content(session: TreatmentSession, patient: Patient, signer: Clinician, signed_at: datetime) -> dict[str, object]:
    """What the fingerprint covers, as plain JSON values (codes, ISO times). `needlelog check` builds the same
    from stored rows (:mod:`needlelog.db.fingerprints`); a test holds the two equal."""

    def code(value: Coded | None) -> str | None:
        return None if value is None else value.value

    covered: dict[str, object] = {
        "patient": [
            patient.chart_number,
            patient.family_name,
            patient.given_name,
            patient.date_of_birth.isoformat(),
        ],
        "clinician": [signer.username, signer.display_name, signer.registration_number],
        "service": [
            session.service_start.isoformat(),
            session.service_end.isoformat() if session.service_end else None,
        ],
        "signed_at": signed_at.isoformat(),
        "condition": code(session.condition),
        "technique": [code(session.technique), session.electrical_stimulation],
        "sites": [
            [
                code(s.region),
                code(s.side),
                s.muscle,
                s.needles,
                s.needle_size,
                s.needle_lot,
                s.dwell_minutes,
                code(s.twitch),
                [[p.view.value, round(p.x, 4), round(p.y, 4)] for p in s.trigger_points],
            ]
            for s in session.sites
        ],
        "pain": [session.pain_before, session.pain_after],
        "ledger": [
            session.needles_inserted,
            session.needles_removed,
            session.sharps_disposed,
        ],
        "reactions": [
            code(session.reactions.soreness),
            sorted(r.value for r in session.reactions.others),
            session.reactions.other_text,
        ],
        "adverse_events": [[e.kind.value, e.description] for e in session.adverse_events],
        "aftercare": sorted(a.value for a in session.aftercare),
        "precautions_acknowledged": sorted(p.value for p in session.precautions_acknowledged),
        "notes": session.notes,
    }
    # Added with schema 4; present only when used, so notes signed before keep their fingerprint.
    timers = [
        [i, _moment(s.timer_started), _moment(s.timer_stopped)]
        for i, s in enumerate(session.sites)
        if s.timer_started or s.timer_stopped
    ]
    if timers:
        covered["timers"] = timers
    if session.lung_field_caution:
        covered["lung_field_caution"] = True
    # Added with schema 13: outcome measures, present only when recorded, so every note signed before keeps its
    # fingerprint.
    if session.outcomes:
        covered["outcomes"] = [
            [o.instrument.value, o.total, [[a.activity, a.score] for a in o.activities]] for o in session.outcomes
        ]
    # Added with schema 6: a site's needles out are listed only where they differ from its needles in, and
    # a dwell's reason only where written. A signed note counts every site out (out = in), and a note signed
    # before schema 6 was given out = in by the upgrade, so its fingerprint still verifies; nothing of the
    # content escapes it, since a site not listed had out = in.
    outs = [[i, s.needles_out] for i, s in enumerate(session.sites) if s.needles_out != (s.needles or 0)]
    if outs:
        covered["needles_out"] = outs
    reasons = [[i, s.dwell_reason] for i, s in enumerate(session.sites) if s.dwell_reason]
    if reasons:
        covered["dwell_reasons"] = reasons
    return covered
