"""outcome measures recorded on the visit, part of its signed content when present

Issue 15 item 2: a visit records the Patient-Specific Functional Scale (up to five activities the patient
named, each 0-10) and the total scores of licensed instruments (NDI 0-50, ODI 0-100 %, QuickDASH 0-100, LEFS
0-80). One row per instrument per visit, in ``outcome_measure``: the instrument's code, its total (the licensed
instruments) and the PSFS's activities as JSON ``[[activity, score], ...]``, ordered like the other children of
a session by ``position``.

The outcomes are part of the signed note: the same triggers that refuse a change to a signed note's sites and
adverse events refuse any INSERT, UPDATE or DELETE of a signed note's outcomes, and (as 0008 does for every
child table) an INSERT or UPDATE that would replace a stored row. The fingerprint covers them only when a note
has any, so every note signed before this revision keeps its fingerprint.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

REFUSAL = "needlelog: a signed note cannot be changed; add an amendment"
REPLACE_REFUSAL = "needlelog: a stored record cannot be replaced or renumbered; add a new one"
SIGNED = "(SELECT status FROM treatment_session WHERE id = {row}.session_id) = 'signed'"
SQLITE_TRIGGERS = [
    (f"signed_outcome_measure_no_{event.lower()}", event, SIGNED.format(row=row))
    for event, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD"))
]
# As 0008 for every other child of a session: a row whose id or (session, position) is taken is refused before
# SQLite's REPLACE could remove the one in the way, and no UPDATE renumbers a row onto another's place.
TAKEN = (
    "EXISTS (SELECT 1 FROM outcome_measure WHERE id = NEW.id{other}) OR EXISTS (SELECT 1 FROM outcome_measure "
    "WHERE session_id = NEW.session_id AND position = NEW.position{other})"
)
SQLITE_NO_REPLACE = [
    ("outcome_measure_no_replace", "INSERT", TAKEN.format(other="")),
    ("outcome_measure_no_renumber", "UPDATE", "NEW.id IS NOT OLD.id OR " + TAKEN.format(other=" AND id IS NOT OLD.id")),
]


def upgrade() -> None:
    op.create_table(
        "outcome_measure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("instrument", sa.String(length=32), nullable=False),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("activities", sa.Text(), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_outcome_measure_session_id_treatment_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_measure")),
        sa.UniqueConstraint("session_id", "position", name=op.f("uq_outcome_measure_session_id_position")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER signed_outcome_no_change BEFORE INSERT OR UPDATE OR DELETE ON outcome_measure "
            "FOR EACH ROW EXECUTE FUNCTION needlelog_refuse_signed_change()"
        )
        return
    for name, event, condition in SQLITE_TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {event} ON outcome_measure FOR EACH ROW WHEN {condition} "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        )
    for name, event, condition in SQLITE_NO_REPLACE:
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {event} ON outcome_measure FOR EACH ROW WHEN {condition} "
            f"BEGIN SELECT RAISE(ABORT, '{REPLACE_REFUSAL}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER signed_outcome_no_change ON outcome_measure")
    op.drop_table("outcome_measure")  # its SQLite triggers go with it
