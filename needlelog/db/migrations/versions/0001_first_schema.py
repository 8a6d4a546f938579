"""first schema: clinic, clinicians, patients, consent, sessions, sites, trigger points, adverse events

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clinic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=400), nullable=False),
        sa.Column("phone", sa.String(length=60), nullable=False),
        sa.Column("default_dwell_minutes", sa.Integer(), nullable=False),
        sa.Column("consent_valid_months", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic")),
    )
    op.create_table(
        "clinician",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("credentials", sa.String(length=200), nullable=False),
        sa.Column("registration_number", sa.String(length=80), nullable=False),
        sa.Column("authorised_to_needle", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinician")),
        sa.UniqueConstraint("username", name=op.f("uq_clinician_username")),
    )
    op.create_table(
        "patient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chart_number", sa.String(length=40), nullable=False),
        sa.Column("family_name", sa.String(length=200), nullable=False),
        sa.Column("given_name", sa.String(length=200), nullable=False),
        sa.Column("family_key", sa.String(length=200), nullable=False),
        sa.Column("given_key", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("phone", sa.String(length=200), nullable=False),
        sa.Column("precautions", sa.String(length=400), nullable=False),
        sa.Column("surgery_region", sa.String(length=32), nullable=True),
        sa.Column("treatment_plan", sa.String(length=32), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient")),
        sa.UniqueConstraint("chart_number", name=op.f("uq_patient_chart_number")),
    )
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patient_date_of_birth"), ["date_of_birth"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_patient_family_key_given_key"),
            ["family_key", "given_key"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_patient_given_key"), ["given_key"], unique=False
        )

    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("obtained_by", sa.String(length=200), nullable=False),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_consent_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
    )
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "treatment_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("clinician_id", sa.Integer(), nullable=False),
        sa.Column("service_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("service_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("condition", sa.String(length=32), nullable=True),
        sa.Column("technique", sa.String(length=32), nullable=True),
        sa.Column("electrical_stimulation", sa.Boolean(), nullable=False),
        sa.Column("pain_before", sa.Integer(), nullable=True),
        sa.Column("pain_after", sa.Integer(), nullable=True),
        sa.Column("site_count", sa.Integer(), nullable=False),
        sa.Column("needle_count", sa.Integer(), nullable=False),
        sa.Column("needles_removed", sa.Integer(), nullable=False),
        sa.Column("sharps_disposed", sa.Boolean(), nullable=False),
        sa.Column("soreness", sa.String(length=32), nullable=True),
        sa.Column("reactions", sa.String(length=400), nullable=False),
        sa.Column("reaction_other", sa.Text(), nullable=False),
        sa.Column("aftercare", sa.String(length=400), nullable=False),
        sa.Column("precautions_acknowledged", sa.String(length=400), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_by_id", sa.Integer(), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "needle_count BETWEEN 0 AND 60",
            name=op.f("ck_treatment_session_needle_count_range"),
        ),
        sa.CheckConstraint(
            "pain_after IS NULL OR (pain_after BETWEEN 0 AND 10)",
            name=op.f("ck_treatment_session_pain_after_range"),
        ),
        sa.CheckConstraint(
            "pain_before IS NULL OR (pain_before BETWEEN 0 AND 10)",
            name=op.f("ck_treatment_session_pain_before_range"),
        ),
        sa.ForeignKeyConstraint(
            ["clinician_id"],
            ["clinician.id"],
            name=op.f("fk_treatment_session_clinician_id_clinician"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_treatment_session_patient_id_patient"),
        ),
        sa.ForeignKeyConstraint(
            ["signed_by_id"],
            ["clinician.id"],
            name=op.f("fk_treatment_session_signed_by_id_clinician"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_session")),
    )
    with op.batch_alter_table("treatment_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_treatment_session_clinician_id_service_start"),
            ["clinician_id", "service_start"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_treatment_session_patient_id_service_start"),
            ["patient_id", "service_start"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_treatment_session_service_start"),
            ["service_start"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_treatment_session_status_service_start"),
            ["status", "service_start"],
            unique=False,
        )

    op.create_table(
        "adverse_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_adverse_event_session_id_treatment_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adverse_event")),
        sa.UniqueConstraint(
            "session_id", "position", name=op.f("uq_adverse_event_session_id_position")
        ),
    )
    op.create_table(
        "needling_site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=True),
        sa.Column("side", sa.String(length=32), nullable=True),
        sa.Column("muscle", sa.String(length=200), nullable=False),
        sa.Column("needles", sa.Integer(), nullable=True),
        sa.Column("needle_size", sa.String(length=200), nullable=False),
        sa.Column("needle_lot", sa.String(length=200), nullable=False),
        sa.Column("dwell_minutes", sa.Integer(), nullable=True),
        sa.Column("twitch", sa.String(length=32), nullable=True),
        sa.CheckConstraint(
            "dwell_minutes IS NULL OR (dwell_minutes BETWEEN 5 AND 15)",
            name=op.f("ck_needling_site_dwell_range"),
        ),
        sa.CheckConstraint(
            "needles IS NULL OR (needles BETWEEN 1 AND 20)",
            name=op.f("ck_needling_site_needles_range"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_needling_site_session_id_treatment_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_needling_site")),
        sa.UniqueConstraint(
            "session_id", "position", name=op.f("uq_needling_site_session_id_position")
        ),
    )
    op.create_table(
        "trigger_point",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("view", sa.String(length=32), nullable=False),
        sa.Column("x", sa.Float(), nullable=False),
        sa.Column("y", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "x BETWEEN 0 AND 1 AND y BETWEEN 0 AND 1",
            name=op.f("ck_trigger_point_position_on_figure"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["needling_site.id"],
            name=op.f("fk_trigger_point_site_id_needling_site"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trigger_point")),
        sa.UniqueConstraint(
            "site_id", "position", name=op.f("uq_trigger_point_site_id_position")
        ),
    )


def downgrade() -> None:
    op.drop_table("trigger_point")
    op.drop_table("needling_site")
    op.drop_table("adverse_event")
    with op.batch_alter_table("treatment_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_treatment_session_status_service_start"))
        batch_op.drop_index(batch_op.f("ix_treatment_session_service_start"))
        batch_op.drop_index(batch_op.f("ix_treatment_session_patient_id_service_start"))
        batch_op.drop_index(
            batch_op.f("ix_treatment_session_clinician_id_service_start")
        )

    op.drop_table("treatment_session")
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_patient_id"))

    op.drop_table("consent")
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patient_given_key"))
        batch_op.drop_index(batch_op.f("ix_patient_family_key_given_key"))
        batch_op.drop_index(batch_op.f("ix_patient_date_of_birth"))

    op.drop_table("patient")
    op.drop_table("clinician")
    op.drop_table("clinic")
