"""the chart key's wrappings and the keyed seals of the records that never change

SPEC §3: a signed note never changes and the audit trail finds an edited or removed row. The fingerprints and
the audit chain are SHA-256 without a key, so someone who could write the file could rewrite a note with its
fingerprint, or a row of the trail and every hash after it, or cut the trail's tail. A chart key, held only
wrapped for each account (``key_wrapping``), gives the HMAC key of the seals: one per signed note, amendment,
follow-up and audit row (``record_seal``, append-only), and one over the chain's head and row count
(``chain_seal``, one row, updated by every sealed append).

A chart has no chart key until its first account has a password: then the key is made, and every record
already there is sealed as found, and audited (``chart_key_made``). An upgraded chart with accounts gets it at
its first administrator's sign-in.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

REFUSAL = "needlelog: record_seal is append-only; rows are never changed or removed"


def upgrade() -> None:
    op.create_table(
        "key_wrapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinician_id", sa.Integer(), nullable=True),
        sa.Column("kdf", sa.String(200), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("wrapped", sa.String(200), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinician_id"], ["clinician.id"], name="fk_key_wrapping_clinician_id_clinician"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_key_wrapping"),
        sa.UniqueConstraint("clinician_id", name="uq_key_wrapping_clinician_id"),
    )
    op.create_table(
        "record_seal",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("row_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seal", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("kind", "row_id", name="pk_record_seal"),
    )
    op.create_table(
        "chain_seal",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("head_id", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("seal", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_chain_seal"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER record_seal_append_only BEFORE UPDATE OR DELETE ON record_seal "
            "FOR EACH ROW EXECUTE FUNCTION needlelog_append_only()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER record_seal_no_{event.lower()} BEFORE {event} ON record_seal FOR EACH ROW "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        )


def downgrade() -> None:
    for table in ("chain_seal", "record_seal", "key_wrapping"):
        op.drop_table(table)
