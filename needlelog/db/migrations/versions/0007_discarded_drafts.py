"""a draft discarded by its clinician: kept in the file, hidden from the chart

SPEC §3-§4: a clinician discards their own unsigned draft, with a reason. Records are kept 10 years,
so the row is never deleted: its status becomes ``discarded`` (the status column holds a code with no
CHECK, so the new code needs no change to the table) and it keeps who discarded it, when and why.
Every list and count of the chart leaves discarded sessions out.

The columns are added with plain ADD COLUMN: a table rebuild would drop the triggers of 0003. Those
triggers refuse changes to signed notes only; a discarded draft is never signed, and discarding is an
UPDATE of a draft, which they allow.

Going back to 0006 turns discarded drafts into drafts again (0006 knows no other status): nothing is
lost, and the audit trail still says who discarded each one, when and why.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FOREIGN_KEY = "fk_treatment_session_discarded_by_id_clinician"


def upgrade() -> None:
    op.add_column("treatment_session", sa.Column("discarded_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "treatment_session", sa.Column("discard_reason", sa.String(length=200), nullable=False, server_default="")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.add_column("treatment_session", sa.Column("discarded_by_id", sa.Integer(), nullable=True))
        op.create_foreign_key(FOREIGN_KEY, "treatment_session", "clinician", ["discarded_by_id"], ["id"])
        return
    # SQLite adds a column with its foreign key in one statement (Alembic would ask for a table rebuild).
    op.execute(
        f"ALTER TABLE treatment_session ADD COLUMN discarded_by_id INTEGER "
        f"CONSTRAINT {FOREIGN_KEY} REFERENCES clinician (id)"
    )


def downgrade() -> None:
    op.execute("UPDATE treatment_session SET status = 'draft' WHERE status = 'discarded'")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(FOREIGN_KEY, "treatment_session", type_="foreignkey")
    # Plain DROP COLUMN (SQLite 3.35+): a table rebuild would drop the triggers of 0003.
    for column in ("discarded_by_id", "discard_reason", "discarded_at"):
        op.execute(f"ALTER TABLE treatment_session DROP COLUMN {column}")
