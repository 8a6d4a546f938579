"""accounts and roles; amendments; the audit trail; needle lots; adverse-event follow-up

SPEC §3 and §4. Every account is a row of ``clinician`` with its roles and an Argon2id password
hash; existing rows become clinicians without a password (an administrator gives them one). The
amendments, the audit trail and the follow-up notes are append-only: triggers refuse UPDATE and
DELETE on SQLite and on PostgreSQL, as they do for signed notes since 0003.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

APPEND_ONLY = ("amendment", "audit_log", "adverse_follow_up")
REFUSAL = "needlelog: {table} is append-only; rows are never changed or removed"

POSTGRES_FUNCTION = """
CREATE FUNCTION needlelog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'needlelog: % is append-only; rows are never changed or removed', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""


def upgrade() -> None:
    op.add_column("clinic", sa.Column("idle_lock_minutes", sa.Integer(), nullable=False, server_default="10"))
    op.add_column(
        "clinician", sa.Column("roles", sa.String(400), nullable=False, server_default=sa.text("'clinician'"))
    )
    op.add_column("clinician", sa.Column("password_hash", sa.String(200), nullable=False, server_default=""))
    op.add_column("clinician", sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("clinician", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "amendment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["clinician.id"], name="fk_amendment_author_id_clinician"),
        sa.ForeignKeyConstraint(
            ["session_id"], ["treatment_session.id"], name="fk_amendment_session_id_treatment_session"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_amendment"),
    )
    op.create_index("ix_amendment_session_id", "amendment", ["session_id"])

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_name", sa.String(80), nullable=False),
        sa.Column("role", sa.String(80), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("previous_hash", sa.String(64), nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_user_name_at", "audit_log", ["user_name", "at"])
    op.create_index("ix_audit_log_patient_id_at", "audit_log", ["patient_id", "at"])

    op.create_table(
        "needle_lot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand", sa.String(200), nullable=False),
        sa.Column("size", sa.String(200), nullable=False),
        sa.Column("lot", sa.String(200), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_needle_lot"),
        sa.UniqueConstraint("lot", name="uq_needle_lot_lot"),
    )

    op.create_table(
        "adverse_follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["clinician.id"], name="fk_adverse_follow_up_author_id_clinician"),
        sa.ForeignKeyConstraint(
            ["session_id"], ["treatment_session.id"], name="fk_adverse_follow_up_session_id_treatment_session"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_adverse_follow_up"),
    )
    op.create_index("ix_adverse_follow_up_session_id", "adverse_follow_up", ["session_id"])

    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION needlelog_append_only()"
            )
        return
    for table in APPEND_ONLY:
        refusal = REFUSAL.format(table=table)
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} FOR EACH ROW "
                f"BEGIN SELECT RAISE(ABORT, '{refusal}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION needlelog_append_only()")
    else:
        for table in APPEND_ONLY:
            for event in ("update", "delete"):
                op.execute(f"DROP TRIGGER {table}_no_{event}")
    for table in ("adverse_follow_up", "needle_lot", "audit_log", "amendment"):
        op.drop_table(table)
    # Plain DROP COLUMN (SQLite 3.35+): rebuilding `clinician` would trip the foreign keys pointing at it.
    for table, column in (
        ("clinician", "locked_until"),
        ("clinician", "failed_logins"),
        ("clinician", "password_hash"),
        ("clinician", "roles"),
        ("clinic", "idle_lock_minutes"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
