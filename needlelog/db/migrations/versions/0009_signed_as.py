"""a signed note keeps the patient and the signer as they were when it was signed

SPEC §3: a signed note never changes. Its fingerprint covers the patient's chart number, names and birth
date and the signer's user name, name and registration, but the note read them from the patient and
clinician rows, so renaming a patient (a marriage) or correcting a clinician's registration changed what an
old signed note printed, and made its fingerprint fail to recompute. The note now keeps them in
``signed_as`` (JSON, written once by signing, under the triggers that refuse any change to a signed row).

Existing signed notes get what their rows hold now, the best there is, marked ``filled_at_upgrade``: their
fingerprints were made from the same values unless a name changed before the upgrade, which the fingerprint
check then names as such rather than as a change after signing.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SQLITE_SNAPSHOT = """
UPDATE treatment_session SET signed_as = (
    SELECT json_object(
        'chart_number', p.chart_number, 'family_name', p.family_name, 'given_name', p.given_name,
        'date_of_birth', p.date_of_birth,
        'username', c.username, 'display_name', c.display_name, 'registration_number', c.registration_number,
        'credentials', c.credentials, 'filled_at_upgrade', 1)
    FROM patient p, clinician c
    WHERE p.id = treatment_session.patient_id AND c.id = treatment_session.signed_by_id)
WHERE status = 'signed' AND signed_by_id IS NOT NULL
"""
POSTGRES_SNAPSHOT = """
UPDATE treatment_session s SET signed_as = json_build_object(
    'chart_number', p.chart_number, 'family_name', p.family_name, 'given_name', p.given_name,
    'date_of_birth', to_char(p.date_of_birth, 'YYYY-MM-DD'),
    'username', c.username, 'display_name', c.display_name, 'registration_number', c.registration_number,
    'credentials', c.credentials, 'filled_at_upgrade', 1)::text
FROM patient p, clinician c
WHERE p.id = s.patient_id AND c.id = s.signed_by_id AND s.status = 'signed'
"""


def upgrade() -> None:
    # Plain ADD COLUMN: a table rebuild would drop the triggers of 0003 and 0008.
    op.add_column("treatment_session", sa.Column("signed_as", sa.Text(), nullable=False, server_default=""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE treatment_session DISABLE TRIGGER signed_session_no_change")
        op.execute(POSTGRES_SNAPSHOT)
        op.execute("ALTER TABLE treatment_session ENABLE TRIGGER signed_session_no_change")
        return
    # The one writer let past the signed-row trigger, for one statement, inside the upgrade's transaction; the
    # trigger is made again from its own stored text, so `needlelog check` finds it as it was.
    trigger = op.get_bind().exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'signed_session_no_update'"
    ).scalar()
    if trigger is None:  # already dropped by someone: the upgrade goes on, and `needlelog check` names it
        op.execute(SQLITE_SNAPSHOT)
        return
    op.execute("DROP TRIGGER signed_session_no_update")
    op.execute(SQLITE_SNAPSHOT)
    op.execute(trigger)


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a table rebuild would drop the triggers.
    op.execute("ALTER TABLE treatment_session DROP COLUMN signed_as")
