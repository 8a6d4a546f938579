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
