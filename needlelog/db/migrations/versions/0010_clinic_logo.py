"""the letterhead's logo, kept in the chart

SPEC §5-§6: the clinic's letterhead carries a logo, chosen once in the settings and printed by every PC
that shares the chart, so the file's bytes live in the chart (a nullable column of the one clinic row),
not in a path on one PC. Plain ADD COLUMN on both dialects; going back drops it (the settings' audit
rows still say which logo was chosen).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("clinic", sa.Column("logo", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE clinic DROP COLUMN logo")
