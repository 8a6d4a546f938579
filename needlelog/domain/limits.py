"""The clinic's ranges and lengths: dwell, needles, pain, age, clocks, text (SPEC §3)."""

from __future__ import annotations

from datetime import timedelta

DWELL_MIN, DWELL_MAX = 5, 15
NEEDLES_PER_SITE_MIN, NEEDLES_PER_SITE_MAX = 1, 20
NEEDLES_PER_SESSION_MAX = 60
PAIN_MIN, PAIN_MAX = 0, 10
MIN_NEEDLING_AGE = 12
LATE_ENTRY_AFTER = timedelta(hours=24)
# Two clinic PCs rarely agree to the second; a service time this far ahead is still "now".
CLOCK_GRACE = timedelta(minutes=5)
TEXT_MAX = 100_000
SHORT_TEXT_MAX = 200  # a name, a muscle, a needle size or lot
REASON_MAX = 500  # a written reason: a timed dwell outside 5-15, an amendment's
CONSENT_VALID_MONTHS_MIN, CONSENT_VALID_MONTHS_MAX = 1, 120
# What `needlelog seed` may be asked to make: a clinic of SPEC §9's size is 50,000 patients and 500,000
# sessions; the bounds leave room for twenty such clinics and are refused before anything starts
# (a count of 10^20 would otherwise grow memory until the system kills the program).
SEED_PATIENTS_MAX = 1_000_000
SEED_SESSIONS_MAX = 10_000_000
SEED_CLINICIANS_MAX = 1_000
