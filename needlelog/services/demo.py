"""The demo clinic: a clinic, three clinicians, forty patients with a few years of visits."""

from __future__ import annotations

import os
from datetime import date

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from needlelog.db import records
from needlelog.db.chart_key import KEY_WRAPPING, KeyWrapping
from needlelog.db.keyfile import file_key_for
from needlelog.db.repositories import get_clinic
from needlelog.domain.errors import PermissionDenied, ValidationError
from needlelog.domain.lots import NeedleLot
from needlelog.domain.model import Clinician
from needlelog.domain.vocab import Role
from needlelog.services.chart_generator import DEMO_CLINIC
from needlelog.services.encryption import encrypt_chart
from needlelog.services.seeding import seed_chart
from needlelog.services.store import build_services, encrypted_chart, engine_at_head

DEMO_PATIENTS = 40
DEMO_SESSIONS = 320
DEMO_SEED = 2026
# A clinic in full swing: most courses within the last 18 months, so most consents are current.
DEMO_HISTORY_DAYS = 540
# The demo's accounts share one password, shown on its sign-in window; a real clinic's never are.
DEMO_PASSWORD = "needlelog-demo"
DEMO_MANAGER = Clinician(
    "Kiran Patel", "kpatel", "Clinic manager", authorised_to_needle=False, roles=frozenset({Role.MANAGER})
)
# Two lots in date and one expired, which the editor does not offer.
DEMO_LOTS = (("L2304-27", date(2027, 9, 30)), ("L2306-11", date(2027, 12, 31)), ("L2211-43", date(2025, 6, 30)))
DEMO_HINT = (
    "Demo clinic — every account's password is needlelog-demo: dwhitford, rsandhu or mgauthier "
    "(clinicians), kpatel (manager), admin (administrator)."
)


def ensure_demo_clinic(
    target: str | os.PathLike[str], *, hasher: PasswordHasher | None = None, wrapping: KeyWrapping = KEY_WRAPPING
) -> bool:
    """Create the demo clinic at ``target`` unless a clinic is already there; True when created. The demo's
    chart is encrypted like a clinic's (issue 13): each of its accounts holds a copy of its key."""
    engine = engine_at_head(target, key=_demo_key(target))
    try:
        with Session(engine) as db, db.begin():
            clinic = get_clinic(db)
            # The demo clinic stays the demo whatever is charted in it since; any other clinic's chart with
            # signed notes is a clinic's records, never opened under the demo's shared password.
            if (clinic is None or clinic.name != DEMO_CLINIC.name) and records.holds_real_signed_notes(db):
                raise ValidationError.single(
                    "db",
                    "This chart holds notes signed by clinicians: it is a clinic's chart, not the demo; open it "
                    "with `needlelog --db`, where no demo password is shown.",
                )
            if clinic is not None:
                return False
        seed_chart(engine, DEMO_PATIENTS, DEMO_SESSIONS, seed=DEMO_SEED, clinicians=3, history_days=DEMO_HISTORY_DAYS)
        services = build_services(engine, hasher=hasher, wrapping=wrapping)  # as the system: it sets up the accounts
        services.accounts.create_admin("admin", "Clinic Administrator", DEMO_PASSWORD)
        for clinician in services.clinic.clinicians():
            services.accounts.set_password(clinician.id or 0, DEMO_PASSWORD)
        services.accounts.add_user(DEMO_MANAGER, DEMO_PASSWORD)
        for lot, expiry in (
            ("L2304-27", date(2027, 9, 30)),
            ("L2306-11", date(2027, 12, 31)),
            ("L2211-43", date(2025, 6, 30)),
        ):
            services.registers.add_lot(NeedleLot("Seirin J-type", "0.25 x 30 mm", lot, expiry))
        encrypt_chart(services).close()  # every account holds a copy: the file is encrypted at once
        return True
    finally:
        engine.dispose()


def _demo_key(target: str | os.PathLike[str]) -> bytes | None:
    """The file key of an encrypted demo chart (its administrator's password is the demo's); None for a plain
    or new file. An encrypted chart the demo's password does not open is a clinic's, refused in words."""
    chart = encrypted_chart(target)
    if chart is None:
        return None
    try:
        return file_key_for(chart, "admin", DEMO_PASSWORD)
    except PermissionDenied:
        raise ValidationError.single(
            "db",
            "This chart is encrypted with its own accounts: it is a clinic's chart, not the demo; open it with "
            "`needlelog --db`, where no demo password is shown.",
        ) from None
