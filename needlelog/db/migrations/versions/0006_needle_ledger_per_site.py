"""a needle ledger per site; the reason for a timed dwell outside 5-15 minutes

SPEC §3 and §5: every needle is accounted for at its site. Each site holds its needles out beside
its needles in (``needles``); the session's ``needles_removed`` becomes the sites' sum, kept on the
row like ``needle_count``. A site whose timer ran outside 5-15 minutes keeps the timer's minutes and
a written reason (``dwell_reason``).

How existing sessions' needles out are filled: the session's count is given to its sites in their
order, each site up to its needles in, and anything left over to the last site, so the sum is what
was stored. A signed note was reconciled (out = in for the session) and no site can have had more out
than in, so every one of its sites gets out = in; its fingerprint still verifies, because the
fingerprint lists a site's needles out only where they differ from its needles in.

Signed notes refuse every change by the triggers of 0003; this upgrade is the one writer allowed past
them: the triggers that refuse an UPDATE of a signed note's sites are set aside for the one statement
that fills the new column, and put back, all in the upgrade's transaction.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The trigger of 0003 that refuses an UPDATE of a signed session's site, as 0003 made it.
SQLITE_SITE_UPDATE_TRIGGER = (
    "CREATE TRIGGER signed_needling_site_no_update BEFORE UPDATE ON needling_site FOR EACH ROW "
    "WHEN (SELECT status FROM treatment_session WHERE id = OLD.session_id) = 'signed' "
    "BEGIN SELECT RAISE(ABORT, 'needlelog: a signed note cannot be changed; add an amendment'); END"
)

# Needles counted out before this site (in site order) are taken from the session's count first.
EARLIER_SITES = (
    "COALESCE((SELECT SUM(COALESCE(e.needles, 0)) FROM needling_site e "
    "WHERE e.session_id = needling_site.session_id AND e.position < needling_site.position), 0)"
)
SESSION_REMOVED = "(SELECT s.needles_removed FROM treatment_session s WHERE s.id = needling_site.session_id)"
LAST_SITE = (
    "needling_site.position = (SELECT MAX(l.position) FROM needling_site l "
    "WHERE l.session_id = needling_site.session_id)"
)
ALL_SITES = (
    "(SELECT SUM(COALESCE(a.needles, 0)) FROM needling_site a WHERE a.session_id = needling_site.session_id)"
)


def _fill_needles_out(greatest: str, least: str) -> None:
    op.execute(
        f"UPDATE needling_site SET needles_out = "
        f"{greatest}(0, {least}(COALESCE(needles, 0), {SESSION_REMOVED} - {EARLIER_SITES}))"
    )
    op.execute(
        f"UPDATE needling_site SET needles_out = needles_out + ({SESSION_REMOVED} - {ALL_SITES}) "
        f"WHERE {LAST_SITE} AND {SESSION_REMOVED} > {ALL_SITES}"
    )


def upgrade() -> None:
    # Plain ADD COLUMN: a table rebuild would drop the triggers of 0003.
    op.add_column("needling_site", sa.Column("needles_out", sa.Integer(), nullable=False, server_default="0"))
    op.add_column(
        "needling_site", sa.Column("dwell_reason", sa.String(length=500), nullable=False, server_default="")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE needling_site DISABLE TRIGGER signed_site_no_change")
        _fill_needles_out("GREATEST", "LEAST")
        op.execute("ALTER TABLE needling_site ENABLE TRIGGER signed_site_no_change")
        return
    op.execute("DROP TRIGGER signed_needling_site_no_update")
    _fill_needles_out("MAX", "MIN")
    op.execute(SQLITE_SITE_UPDATE_TRIGGER)


def downgrade() -> None:
    # The session keeps its sum in needles_removed, so nothing is lost going back.
    # Plain DROP COLUMN (SQLite 3.35+): a table rebuild would drop the triggers of 0003.
    for column in ("dwell_reason", "needles_out"):
        op.execute(f"ALTER TABLE needling_site DROP COLUMN {column}")
