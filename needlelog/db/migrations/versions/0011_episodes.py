"""the treatment plan as episodes of care, and each visit's episode

SPEC §2: a plan is acute (2-3 visits) or chronic (4-6) and the chart shows "visit n of 2-3". One plan per
patient could not say which condition it was for, nor start again when a new problem came, so the banner
counted every session of the patient, empty drafts and other conditions included. An ``episode`` holds
the patient, the condition, acute or chronic, the start date and, once over, the date it was closed; a
visit's ``episode_id`` says which plan it counts in (chosen while it is a draft, frozen with the signed row).

Existing charts keep working: a patient's ``treatment_plan`` becomes their first episode, for the
condition of their latest visit (none when no visit names one: then every visit counts), started on the
day of their first visit for it (or the day the patient was entered), and the patient's visits for that
condition are linked to it. ``patient.treatment_plan`` stays, read by older copies of the program.

Signed rows are linked under the triggers that refuse a change to a signed note: as in 0009, the trigger
is set aside for the linking statements only, inside the upgrade's transaction, and made again from its
own stored text. The link is not part of the signed content, so every fingerprint is unchanged.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

FOREIGN_KEY = "fk_treatment_session_episode_id_episode"
INDEX = "ix_treatment_session_episode_id_status"


def upgrade() -> None:
    op.create_table(
        "episode",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("condition", sa.String(length=32), nullable=True),
        sa.Column("plan", sa.String(length=32), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("plan IN ('acute', 'chronic')", name=op.f("ck_episode_plan_code")),
        sa.CheckConstraint("closed_on IS NULL OR closed_on >= started_on", name=op.f("ck_episode_closed_after_start")),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"], name=op.f("fk_episode_patient_id_patient")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_episode")),
    )
    op.create_index(op.f("ix_episode_patient_id_started_on"), "episode", ["patient_id", "started_on"])
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.add_column("treatment_session", sa.Column("episode_id", sa.Integer(), nullable=True))
        op.create_foreign_key(FOREIGN_KEY, "treatment_session", "episode", ["episode_id"], ["id"])
    else:
        # SQLite adds a column with its foreign key in one statement; a table rebuild would drop the triggers.
        op.execute(
            f"ALTER TABLE treatment_session ADD COLUMN episode_id INTEGER CONSTRAINT {FOREIGN_KEY} REFERENCES episode (id)"
        )
    op.create_index(INDEX, "treatment_session", ["episode_id", "status"])
    _past_signed_trigger(postgres, _first_episodes)


def _past_signed_trigger(postgres: bool, work: Callable[[sa.Connection], None]) -> None:
    bind = op.get_bind()
    if postgres:
        op.execute("ALTER TABLE treatment_session DISABLE TRIGGER signed_session_no_change")
        work(bind)
        op.execute("ALTER TABLE treatment_session ENABLE TRIGGER signed_session_no_change")
        return
    trigger = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'signed_session_no_update'"
    ).scalar()
    if trigger is None:  # already dropped by someone: the upgrade goes on, and `needlelog check` names it
        work(bind)
        return
    op.execute("DROP TRIGGER signed_session_no_update")
    work(bind)
    op.execute(trigger)


def _first_episodes(bind: sa.Connection) -> None:
    """Each patient's plan as their first episode, with their visits for its condition linked to it."""
    now = datetime.now(UTC)
    patients = bind.execute(
        sa.text("SELECT id, treatment_plan, created_at FROM patient WHERE treatment_plan IS NOT NULL ORDER BY id")
    ).all()
    for patient_id, plan, created_at in patients:
        visits = bind.execute(
            sa.text(
                "SELECT service_start, condition FROM treatment_session "
                "WHERE patient_id = :patient AND status != 'discarded' ORDER BY service_start, id"
            ),
            {"patient": patient_id},
        ).all()
        conditions = [condition for _, condition in visits if condition is not None]
        condition = conditions[-1] if conditions else None
        theirs = [start for start, of in visits if condition is None or of == condition]
        started = _day(theirs[0]) if theirs else _day(created_at)
        episode_id = bind.execute(
            sa.text(
                "INSERT INTO episode (patient_id, condition, plan, started_on, closed_on, created_at) "
                "VALUES (:patient, :condition, :plan, :started, NULL, :now) RETURNING id"
            ).bindparams(sa.bindparam("started", type_=sa.Date()), sa.bindparam("now", type_=_NOW_TYPE[bind.dialect.name])),
            {"patient": patient_id, "condition": condition, "plan": plan, "started": started, "now": _stored(now, bind)},
        ).scalar_one()
        which = "" if condition is None else " AND condition = :condition"
        bind.execute(
            sa.text(
                f"UPDATE treatment_session SET episode_id = :episode "
                f"WHERE patient_id = :patient AND status != 'discarded'{which}"
            ),
            {"episode": episode_id, "patient": patient_id, "condition": condition},
        )


_NOW_TYPE = {"sqlite": sa.DateTime(), "postgresql": sa.DateTime(timezone=True)}


def _stored(moment: datetime, bind: sa.Connection) -> datetime:
    """As the program stores an instant: naive UTC in SQLite, aware in PostgreSQL."""
    return moment.replace(tzinfo=None) if bind.dialect.name == "sqlite" else moment


def _day(value: object) -> date:
    """The UTC day of a stored instant, whichever form the driver returns it in."""
    if isinstance(value, datetime):
        return (value if value.tzinfo is None else value.astimezone(UTC)).date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date()


def downgrade() -> None:
    op.drop_index(INDEX, table_name="treatment_session")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(FOREIGN_KEY, "treatment_session", type_="foreignkey")
    # Plain DROP COLUMN (SQLite 3.35+): a table rebuild would drop the triggers of 0003.
    op.execute("ALTER TABLE treatment_session DROP COLUMN episode_id")
    op.drop_index(op.f("ix_episode_patient_id_started_on"), table_name="episode")
    op.drop_table("episode")
