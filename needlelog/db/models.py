"""SQLAlchemy 2 models: the tables of a clinic's chart.

Row classes end in ``Row`` so they are never mistaken for the domain's value objects;
repositories translate between the two. Indexes serve SPEC §9: patient search by name
key, chart number and date of birth; a patient's sessions by date; sessions by date range
and by clinician.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from needlelog.db.types import Code, CodeSet, UtcDateTime
from needlelog.domain.access import AuditAction
from needlelog.domain.model import CONSENT_VALID_MONTHS_DEFAULT
from needlelog.domain.outcomes import Instrument
from needlelog.domain.registers import CaseStatus, Severity
from needlelog.domain.vocab import (
    AdverseEventKind,
    Aftercare,
    BodyRegion,
    Condition,
    ConsentMethod,
    FigureView,
    Precaution,
    Reaction,
    Role,
    SessionStatus,
    Side,
    Soreness,
    Technique,
    TreatmentPlan,
    TwitchResponse,
)

# Named constraints, so that migrations can refer to them on every engine.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ClinicRow(Base):
    __tablename__ = "clinic"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(400), default="")
    phone: Mapped[str] = mapped_column(String(60), default="")
    default_dwell_minutes: Mapped[int] = mapped_column(Integer, default=10)
    consent_valid_months: Mapped[int] = mapped_column(Integer, default=CONSENT_VALID_MONTHS_DEFAULT)
    idle_lock_minutes: Mapped[int] = mapped_column(Integer, default=10, server_default=text("10"))
    # The letterhead's logo (PNG or JPEG bytes, at most 1 MB), in the chart so that every PC prints it (0010).
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)


class ClinicianRow(Base):
    __tablename__ = "clinician"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    credentials: Mapped[str] = mapped_column(String(200), default="")
    registration_number: Mapped[str] = mapped_column(String(80), default="")
    authorised_to_needle: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Every account is a row here (schema 0005): clinicians, managers and administrators.
    roles: Mapped[frozenset[Role]] = mapped_column(
        CodeSet(Role), default=frozenset({Role.CLINICIAN}), server_default=text("'clinician'")
    )
    password_hash: Mapped[str] = mapped_column(String(200), default="", server_default=text("''"))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PatientRow(Base):
    __tablename__ = "patient"
    __table_args__ = (
        Index(None, "family_key", "given_key"),
        # (given, family): the given-name branch of a search is then read from the index alone, already
        # in the order it is sorted by (revision 0002).
        Index(None, "given_key", "family_key"),
        Index(None, "date_of_birth"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chart_number: Mapped[str] = mapped_column(String(40), unique=True)
    family_name: Mapped[str] = mapped_column(String(200))
    given_name: Mapped[str] = mapped_column(String(200))
    # Lower-case, accent-free copies of the names, so that "zoe" finds "Zoë" with an index.
    family_key: Mapped[str] = mapped_column(String(200))
    given_key: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(200), default="")
    precautions: Mapped[frozenset[Precaution]] = mapped_column(CodeSet(Precaution), default=frozenset())
    surgery_region: Mapped[BodyRegion | None] = mapped_column(Code(BodyRegion))
    treatment_plan: Mapped[TreatmentPlan | None] = mapped_column(Code(TreatmentPlan))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    # In the order recorded: the last is the patient's consent now (a corrected date may be earlier).
    consents: Mapped[list[ConsentRow]] = relationship(
        back_populates="patient",
        order_by="ConsentRow.id",
        cascade="all, delete-orphan",
    )


class ConsentRow(Base):
    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    given_on: Mapped[date] = mapped_column(Date)
    method: Mapped[ConsentMethod] = mapped_column(Code(ConsentMethod))
    obtained_by: Mapped[str] = mapped_column(String(200))
    revoked_on: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)

    patient: Mapped[PatientRow] = relationship(back_populates="consents")


class SessionRow(Base):
    __tablename__ = "treatment_session"
    __table_args__ = (
        Index(None, "patient_id", "service_start"),
        Index(None, "service_start"),
        Index(None, "clinician_id", "service_start"),
        Index(None, "status", "service_start"),
        Index(None, "episode_id", "status"),
        CheckConstraint(
            "pain_before IS NULL OR (pain_before BETWEEN 0 AND 10)",
            name="pain_before_range",
        ),
        CheckConstraint(
            "pain_after IS NULL OR (pain_after BETWEEN 0 AND 10)",
            name="pain_after_range",
        ),
        CheckConstraint("needle_count BETWEEN 0 AND 60", name="needle_count_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    clinician_id: Mapped[int] = mapped_column(ForeignKey("clinician.id"))
    service_start: Mapped[datetime] = mapped_column(UtcDateTime)
    service_end: Mapped[datetime | None] = mapped_column(UtcDateTime)
    condition: Mapped[Condition | None] = mapped_column(Code(Condition))
    technique: Mapped[Technique | None] = mapped_column(Code(Technique))
    electrical_stimulation: Mapped[bool] = mapped_column(Boolean, default=False)
    pain_before: Mapped[int | None] = mapped_column(Integer)
    pain_after: Mapped[int | None] = mapped_column(Integer)
    # Kept with the row so that a history of 200 visits is read without touching the sites.
    site_count: Mapped[int] = mapped_column(Integer, default=0)
    needle_count: Mapped[int] = mapped_column(Integer, default=0)
    # The sum of the sites' needles out (schema 0006), kept like needle_count for the history and exports.
    needles_removed: Mapped[int] = mapped_column(Integer, default=0)
    sharps_disposed: Mapped[bool] = mapped_column(Boolean, default=False)
    soreness: Mapped[Soreness | None] = mapped_column(Code(Soreness))
    reactions: Mapped[frozenset[Reaction]] = mapped_column(CodeSet(Reaction), default=frozenset())
    reaction_other: Mapped[str] = mapped_column(Text, default="")
    aftercare: Mapped[frozenset[Aftercare]] = mapped_column(CodeSet(Aftercare), default=frozenset())
    precautions_acknowledged: Mapped[frozenset[Precaution]] = mapped_column(CodeSet(Precaution), default=frozenset())
    notes: Mapped[str] = mapped_column(Text, default="")
    lung_field_caution: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[SessionStatus] = mapped_column(Code(SessionStatus), default=SessionStatus.DRAFT)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    signed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("clinician.id"))
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    # The patient and the signer as signed (schema 0009), JSON; "" for a draft.
    signed_as: Mapped[str] = mapped_column(Text, default="", server_default="")
    # A draft discarded by its clinician (schema 0007): kept, never deleted, and hidden from the chart.
    discarded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    discarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("clinician.id"))
    discard_reason: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The episode of care the visit counts in (schema 0011): chosen while a draft, frozen once signed.
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episode.id"))

    sites: Mapped[list[SiteRow]] = relationship(
        back_populates="session",
        order_by="SiteRow.position",
        cascade="all, delete-orphan",
    )
    adverse_events: Mapped[list[AdverseEventRow]] = relationship(
        back_populates="session",
        order_by="AdverseEventRow.position",
        cascade="all, delete-orphan",
    )
    outcomes: Mapped[list[OutcomeRow]] = relationship(
        back_populates="session",
        order_by="OutcomeRow.position",
        cascade="all, delete-orphan",
    )


class OutcomeRow(Base):
    """One outcome measure of a visit (schema 0013): a licensed instrument's total, or the PSFS's activities."""

    __tablename__ = "outcome_measure"
    __table_args__ = (UniqueConstraint("session_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_session.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    instrument: Mapped[Instrument] = mapped_column(Code(Instrument))
    total: Mapped[float | None] = mapped_column(Float)
    # The PSFS's activities as JSON [[activity, score], ...]; "" for a licensed instrument.
    activities: Mapped[str] = mapped_column(Text, default="", server_default="")

    session: Mapped[SessionRow] = relationship(back_populates="outcomes")


class EpisodeRow(Base):
    """An episode of care (schema 0011): one condition, acute or chronic, from a start date until closed."""

    __tablename__ = "episode"
    __table_args__ = (
        Index(None, "patient_id", "started_on"),
        CheckConstraint("plan IN ('acute', 'chronic')", name="plan_code"),
        CheckConstraint("closed_on IS NULL OR closed_on >= started_on", name="closed_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    condition: Mapped[Condition | None] = mapped_column(Code(Condition))
    plan: Mapped[TreatmentPlan] = mapped_column(Code(TreatmentPlan))
    started_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SiteRow(Base):
    __tablename__ = "needling_site"
    __table_args__ = (
        UniqueConstraint("session_id", "position"),
        CheckConstraint("needles IS NULL OR (needles BETWEEN 1 AND 20)", name="needles_range"),
        CheckConstraint(
            "dwell_minutes IS NULL OR (dwell_minutes BETWEEN 5 AND 15)",
            name="dwell_range",
        ),
        # Partial (WHERE timer_started_at IS NOT NULL AND timer_stopped_at IS NULL) in the database: that
        # clause lives in migration 0004 only. Naming it here as ``sqlite_where=`` / ``postgresql_where=``
        # made SQLAlchemy load every dialect it names (PostgreSQL with asyncpg, aiosqlite) at import, ~90 ms
        # of every start-up for a URL that uses one of them (issue 14).
        Index("ix_needling_site_running_timer", "timer_started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_session.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    region: Mapped[BodyRegion | None] = mapped_column(Code(BodyRegion))
    side: Mapped[Side | None] = mapped_column(Code(Side))
    muscle: Mapped[str] = mapped_column(String(200), default="")
    needles: Mapped[int | None] = mapped_column(Integer)
    needle_size: Mapped[str] = mapped_column(String(200), default="")
    needle_lot: Mapped[str] = mapped_column(String(200), default="")
    dwell_minutes: Mapped[int | None] = mapped_column(Integer)
    twitch: Mapped[TwitchResponse | None] = mapped_column(Code(TwitchResponse))
    timer_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    timer_stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The site's needle ledger (schema 0006): counted out when its timer stops; "in" is ``needles``.
    needles_out: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    dwell_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")

    session: Mapped[SessionRow] = relationship(back_populates="sites")
    trigger_points: Mapped[list[TriggerPointRow]] = relationship(
        back_populates="site",
        order_by="TriggerPointRow.position",
        cascade="all, delete-orphan",
    )


class TriggerPointRow(Base):
    __tablename__ = "trigger_point"
    __table_args__ = (
        UniqueConstraint("site_id", "position"),
        CheckConstraint("x BETWEEN 0 AND 1 AND y BETWEEN 0 AND 1", name="position_on_figure"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("needling_site.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    view: Mapped[FigureView] = mapped_column(Code(FigureView))
    x: Mapped[float] = mapped_column(Float)
    y: Mapped[float] = mapped_column(Float)

    site: Mapped[SiteRow] = relationship(back_populates="trigger_points")


class AdverseEventRow(Base):
    __tablename__ = "adverse_event"
    __table_args__ = (UniqueConstraint("session_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_session.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[AdverseEventKind] = mapped_column(Code(AdverseEventKind))
    description: Mapped[str] = mapped_column(Text, default="")

    session: Mapped[SessionRow] = relationship(back_populates="adverse_events")


class AmendmentRow(Base):
    """A correction appended to a signed note; append-only (triggers refuse UPDATE and DELETE)."""

    __tablename__ = "amendment"
    __table_args__ = (Index(None, "session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_session.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("clinician.id"))
    written_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)


class AuditRow(Base):
    """The audit trail: each row carries the SHA-256 of the one before; append-only (triggers)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index(None, "at"),
        Index(None, "user_name", "at"),
        Index(None, "patient_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    user_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(80))
    action: Mapped[AuditAction] = mapped_column(Code(AuditAction))
    patient_id: Mapped[int | None] = mapped_column(Integer)
    session_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")
    previous_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


class NeedleLotRow(Base):
    __tablename__ = "needle_lot"
    __table_args__ = (UniqueConstraint("lot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand: Mapped[str] = mapped_column(String(200))
    size: Mapped[str] = mapped_column(String(200))
    lot: Mapped[str] = mapped_column(String(200))
    expiry: Mapped[date] = mapped_column(Date)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)


class FollowUpRow(Base):
    """A follow-up note on an adverse event (the manager's register); append-only."""

    __tablename__ = "adverse_follow_up"
    __table_args__ = (Index(None, "session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_session.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("clinician.id"))
    written_at: Mapped[datetime] = mapped_column(UtcDateTime)
    text: Mapped[str] = mapped_column(Text)


class AdverseReviewRow(Base):
    """The register's review of one visit's adverse events (schema 0012): severity, open or closed, by whom."""

    __tablename__ = "adverse_review"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status_known"),
        CheckConstraint(
            "(status = 'closed') = (closed_at IS NOT NULL AND closed_by_id IS NOT NULL)",
            name="closed_with_who_and_when",
        ),
    )

    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_session.id"), primary_key=True)
    severity: Mapped[Severity | None] = mapped_column(Code(Severity))
    status: Mapped[CaseStatus] = mapped_column(Code(CaseStatus), default=CaseStatus.OPEN, server_default="open")
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("clinician.id"))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LateReportRow(Base):
    """An adverse event reported after the visit, against it (schema 0012); append-only."""

    __tablename__ = "adverse_late_report"
    __table_args__ = (Index(None, "session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_session.id"))
    kind: Mapped[AdverseEventKind] = mapped_column(Code(AdverseEventKind))
    description: Mapped[str] = mapped_column(Text)
    noticed_on: Mapped[date | None] = mapped_column(Date)
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("clinician.id"))


class KeyWrappingRow(Base):
    """One wrapped copy of the chart key (schema 0014): an account's (``clinician_id``) or the recovery key's
    (``clinician_id`` empty). Never the key itself: :mod:`needlelog.db.chart_key`."""

    __tablename__ = "key_wrapping"
    __table_args__ = (UniqueConstraint("clinician_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinician_id: Mapped[int | None] = mapped_column(ForeignKey("clinician.id"))
    kdf: Mapped[str] = mapped_column(String(200))
    nonce: Mapped[str] = mapped_column(String(64))
    wrapped: Mapped[str] = mapped_column(String(200))
    made_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RecordSealRow(Base):
    """The keyed seal (HMAC-SHA256) of one signed note, amendment, follow-up or audit row (schema 0014)."""

    __tablename__ = "record_seal"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    row_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seal: Mapped[str] = mapped_column(String(64))


class ChainSealRow(Base):
    """The audit chain's head and row count, sealed (schema 0014): one row, updated by every sealed append, so
    that a cut tail or a trail emptied is found."""

    __tablename__ = "chain_seal"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    head_id: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer)
    seal: Mapped[str] = mapped_column(String(64))
