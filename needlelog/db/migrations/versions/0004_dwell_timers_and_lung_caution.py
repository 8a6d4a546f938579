"""dwell timers on needling sites; the lung-field caution recorded with the session

SPEC §5: a site's dwell timer survives closing the editor and a restart, so its start (and stop)
instants are stored with the draft's site. A session with a site over the lung field records
that the caution was shown. Drafts charted before get it from their regions; signed notes are
left exactly as signed (the triggers of 0003 would refuse the change, rightly).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: a table rebuild would drop the triggers of 0003.
    op.add_column("needling_site", sa.Column("timer_started_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("needling_site", sa.Column("timer_stopped_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "treatment_session",
        sa.Column("lung_field_caution", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute(
        "UPDATE treatment_session SET lung_field_caution = TRUE WHERE status = 'draft' AND id IN "
        "(SELECT session_id FROM needling_site WHERE region IN ('chest', 'upper_back'))"
    )
    # The dock of running timers reads drafts' sites whose timer has started and not stopped.
    op.create_index(
        "ix_needling_site_running_timer",
        "needling_site",
        ["timer_started_at"],
        sqlite_where=sa.text("timer_started_at IS NOT NULL AND timer_stopped_at IS NULL"),
        postgresql_where=sa.text("timer_started_at IS NOT NULL AND timer_stopped_at IS NULL"),
    )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a table rebuild would drop the triggers of 0003.
    op.drop_index("ix_needling_site_running_timer", table_name="needling_site")
    for table, column in (
        ("treatment_session", "lung_field_caution"),
        ("needling_site", "timer_stopped_at"),
        ("needling_site", "timer_started_at"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
