"""Two notes whose fingerprints are known, made with the standard library and the domain only, so that any
installed Python can compute them (``test_fingerprint_versions.py`` runs this module under each one).

    python -m tests.unit.known_notes        # prints the two digests, one a line
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from needlelog.domain.model import Clinician, Consent, NeedlingSite, Patient, TreatmentSession
from needlelog.domain.rules import fingerprint
from needlelog.domain.vocab import BodyRegion, Condition, ConsentMethod, Side, TwitchResponse

# Computed before the encoder was made once instead of per call: the digests signed notes hold.
KNOWN = (
    "f009ea3cdbb3007e5f91482ec38a9672f873568e185d2d361446786fad94f056",
    "a515c699feae85b508bce42c868d776b2599e6a0c113241c2ee3b95750fa3b59",
)
NOW = datetime(2026, 3, 10, 16, 30, tzinfo=UTC)
START = NOW - timedelta(hours=1)


def _site(side: Side, needles: int, out: int | None = None, reason: str = "") -> NeedlingSite:
    return NeedlingSite(
        BodyRegion.NECK,
        side,
        "levator scapulae",
        needles,
        dwell_minutes=10,
        twitch=TwitchResponse.WEAK,
        needles_out=needles if out is None else out,
        dwell_reason=reason,
    )


def digests() -> tuple[str, str]:
    clinician = Clinician("Dana Whitford", "dwhitford", "PT", "PT-1", authorised_to_needle=True, id=1)
    consent = Consent(date(2026, 1, 5), ConsentMethod.WRITTEN, "Dana Whitford")
    patient = Patient("C1", "Nguyễn", "Zoë", date(1984, 5, 17), consent=consent, id=1)
    session = TreatmentSession(
        patient_id=1,
        clinician_id=1,
        service_start=START,
        service_end=START + timedelta(minutes=30),
        condition=Condition.NECK_HEADACHE,
        sites=(_site(Side.RIGHT, 2), _site(Side.LEFT, 3)),
        sharps_disposed=True,
        notes="Tolerated well. Ça va — 😊",
        id=7,
    )
    first = fingerprint(session, patient, clinician, NOW)
    named = Patient("C1", "Nguyễn", "Алёна", date(1984, 5, 17), consent=consent, id=1)
    more = TreatmentSession(
        **{
            **{name: getattr(session, name) for name in ("patient_id", "clinician_id", "service_start")},
            "service_end": session.service_end,
            "condition": session.condition,
            "sites": (_site(Side.RIGHT, 2, out=1, reason="Fainted"), session.sites[1]),
            "sharps_disposed": True,
            "notes": session.notes,
            "lung_field_caution": True,
            "id": 7,
        }
    )
    return first, fingerprint(more, named, clinician, NOW)


if __name__ == "__main__":
    print("\n".join(digests()))
