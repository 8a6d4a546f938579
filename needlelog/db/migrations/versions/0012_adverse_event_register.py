"""the adverse-event register: each case's severity and open / closed status, and events reported later

Issue 15, item 4: a critical-event review needs, for each visit with an adverse event, its severity (minor or
major, Boyce et al. 2020; docs/CLINICAL.md), whether the case is open or closed and who closed it when. That
review state changes after the note is signed, so it lives in ``adverse_review``, one row per visit, never on
the signed note. An event that comes to light after signing (a delayed pneumothorax) is a row of
``adverse_late_report`` against the visit: append-only like the follow-up notes (triggers refuse UPDATE and
DELETE, and on SQLite a REPLACE of a stored row, as 0005 and 0008 do), and never part of the signed note or its
fingerprint.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

APPEND_ONLY = "adverse_late_report"
REFUSAL = "needlelog: adverse_late_report is append-only; rows are never changed or removed"
REPLACE_REFUSAL = "needlelog: a stored record cannot be replaced or renumbered; add a new one"


def upgrade() -> None:
    op.create_table(
        "adverse_review",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(32), nullable=True),
        sa.Column("status", sa.String(32), nullable=False, server_default="open"),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["treatment_session.id"], name="fk_adverse_review_session_id_treatment_session"
        ),
        sa.ForeignKeyConstraint(["closed_by_id"], ["clinician.id"], name="fk_adverse_review_closed_by_id_clinician"),
        sa.PrimaryKeyConstraint("session_id", name="pk_adverse_review"),
        sa.CheckConstraint("status IN ('open', 'closed')", name="ck_adverse_review_status_known"),
        sa.CheckConstraint(
            "(status = 'closed') = (closed_at IS NOT NULL AND closed_by_id IS NOT NULL)",
            name="ck_adverse_review_closed_with_who_and_when",
        ),
    )
    op.create_table(
        "adverse_late_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("noticed_on", sa.Date(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["treatment_session.id"], name="fk_adverse_late_report_session_id_treatment_session"
        ),
        sa.ForeignKeyConstraint(
            ["reported_by_id"], ["clinician.id"], name="fk_adverse_late_report_reported_by_id_clinician"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_adverse_late_report"),
    )
    op.create_index("ix_adverse_late_report_session_id", "adverse_late_report", ["session_id"])
    if op.get_bind().dialect.name == "postgresql":
        # needlelog_append_only() is 0005's.
        op.execute(
            f"CREATE TRIGGER {APPEND_ONLY}_append_only BEFORE UPDATE OR DELETE ON {APPEND_ONLY} "
            "FOR EACH ROW EXECUTE FUNCTION needlelog_append_only()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {APPEND_ONLY}_no_{event.lower()} BEFORE {event} ON {APPEND_ONLY} FOR EACH ROW "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        )
    op.execute(
        f"CREATE TRIGGER {APPEND_ONLY}_no_replace BEFORE INSERT ON {APPEND_ONLY} FOR EACH ROW "
        f"WHEN EXISTS (SELECT 1 FROM {APPEND_ONLY} WHERE id = NEW.id) "
        f"BEGIN SELECT RAISE(ABORT, '{REPLACE_REFUSAL}'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {APPEND_ONLY}_append_only ON {APPEND_ONLY}")
    else:
        for name in ("update", "delete", "replace"):
            op.execute(f"DROP TRIGGER {APPEND_ONLY}_no_{name}")
    op.drop_index("ix_adverse_late_report_session_id", table_name="adverse_late_report")
    op.drop_table("adverse_late_report")
    op.drop_table("adverse_review")
