"""patient search: index given names together with family names

A one-letter search matched thousands of given names, each read from the table before sorting;
with the family name in the same index the given-name branch is answered from the index alone.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_patient_given_key", table_name="patient")
    op.create_index("ix_patient_given_key_family_key", "patient", ["given_key", "family_key"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_patient_given_key_family_key", table_name="patient")
    op.create_index("ix_patient_given_key", "patient", ["given_key"], unique=False)
