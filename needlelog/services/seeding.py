"""Synthetic, realistic charts written to a database: the demo clinic and `needlelog seed`.

``services/chart_generator.py`` makes the patients and visits (deterministic for a given seed;
realistic in the clinic's terms, seeds in SPEC §2); this module reserves their ids, cuts the
visits into chunks made in worker processes and writes the rows by bulk insert, never one ORM
object at a time, in one transaction.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from needlelog.db import bulk, keyring, records
from needlelog.db.repositories import get_clinic, save_clinic
from needlelog.domain.access import AuditAction
from needlelog.domain.errors import StorageError, ValidationError
from needlelog.domain.limits import SEED_CLINICIANS_MAX, SEED_PATIENTS_MAX, SEED_SESSIONS_MAX
from needlelog.domain.model import Clinician
from needlelog.domain.vocab import ConsentMethod, SessionStatus
from needlelog.services.base import Access, storage_failure, utc_now
from needlelog.services.chart_generator import (  # the generator's names, still found here by earlier callers
    AFTERCARE_SETS,
    ANCHOR_POINTS,
    CLINICIANS,
    CONDITIONS,
    DEMO_CLINIC,
    FAMILY_NAMES,
    GIVEN_NAMES,
    NEEDLE_LOTS,
    NEEDLE_RANGE,
    NEEDLE_SIZES,
    NOTES,
    SIDES,
    SITE_COUNTS,
    SORENESS,
    SPREAD,
    TECHNIQUES,
    TWITCHES,
    ChartGenerator,
    _PatientPlan,
    course_gap,
    share_visits,
)
from needlelog.services.workers import WorkerPool

__all__ = [
    "AFTERCARE_SETS",
    "ANCHOR_POINTS",
    "BATCH",
    "CHUNK_SESSIONS",
    "CLINICIANS",
    "CONDITIONS",
    "CONSENT_COLUMNS",
    "DEMO_CLINIC",
    "FAMILY_NAMES",
    "GIVEN_NAMES",
    "IN_PROCESS_BELOW",
    "MAX_SITES",
    "NEEDLE_LOTS",
    "NEEDLE_RANGE",
    "NEEDLE_SIZES",
    "NOTES",
    "PATIENT_COLUMNS",
    "POINT_COLUMNS",
    "SESSION_COLUMNS",
    "SIDES",
    "SITE_COLUMNS",
    "SITE_COUNTS",
    "SORENESS",
    "SPREAD",
    "TECHNIQUES",
    "TWITCHES",
    "ChartGenerator",
    "SeedResult",
    "course_gap",
    "seed_chart",
    "share_visits",
]


PATIENT_COLUMNS = (
    "id",
    "chart_number",
    "family_name",
    "given_name",
    "family_key",
    "given_key",
    "date_of_birth",
    "phone",
    "precautions",
    "surgery_region",
    "treatment_plan",
    "version",
    "created_at",
    "updated_at",
)
CONSENT_COLUMNS = (
    "id",
    "patient_id",
    "given_on",
    "method",
    "obtained_by",
    "revoked_on",
    "recorded_at",
)
EPISODE_COLUMNS = ("id", "patient_id", "condition", "plan", "started_on", "closed_on", "created_at")
SESSION_COLUMNS = (
    "id",
    "patient_id",
    "clinician_id",
    "service_start",
    "service_end",
    "condition",
    "technique",
    "electrical_stimulation",
    "pain_before",
    "pain_after",
    "site_count",
    "needle_count",
    "needles_removed",
    "sharps_disposed",
    "soreness",
    "reactions",
    "reaction_other",
    "aftercare",
    "precautions_acknowledged",
    "notes",
    "lung_field_caution",
    "status",
    "version",
    "created_at",
    "updated_at",
    "signed_at",
    "signed_by_id",
    "fingerprint",
    "signed_as",
    "episode_id",
)
SITE_COLUMNS = (
    "id",
    "session_id",
    "position",
    "region",
    "side",
    "muscle",
    "needles",
    "needle_size",
    "needle_lot",
    "dwell_minutes",
    "twitch",
    "needles_out",
)
POINT_COLUMNS = ("site_id", "position", "view", "x", "y")
VISIT_TABLES = ("treatment_session", "needling_site", "trigger_point")
_STATUS_AT, _SIGNED_AS_AT = SESSION_COLUMNS.index("status"), SESSION_COLUMNS.index("signed_as")
BATCH = 20_000
CHUNK_SESSIONS = 10_000
IN_PROCESS_BELOW = 30_000
MAX_SITES = 4


@dataclass(frozen=True, slots=True)
class SeedResult:
    clinicians: int
    patients: int
    sessions: int
    sites: int


@dataclass(frozen=True, slots=True)
class _Chunk:
    """A slice of patients whose visits one worker makes; id ranges are reserved up front."""

    index: int
    seed: int
    now: datetime
    clinicians: dict[int, Clinician]
    plans: list[_PatientPlan]
    visits: list[int]
    first_session_id: int
    first_site_id: int
    sqlite: bool


@dataclass(slots=True)
class _ChunkRows:
    sessions: list[Sequence[object]]
    sites: list[Sequence[object]]
    points: list[Sequence[object]]
    site_count: int


def _make_chunk(chunk: _Chunk) -> _ChunkRows:
    """Run in a worker process: every visit of the chunk's patients, as rows ready for the driver."""
    gen = ChartGenerator(chunk.seed * 1_000_003 + chunk.index, chunk.now, chunk.clinicians)
    sessions: list[Sequence[object]] = []
    sites: list[Sequence[object]] = []
    points: list[tuple[object, ...]] = []
    sid = chunk.first_session_id
    signed_at_once = chunk.sqlite  # the writer lifts SQLite's guards for the load (bulk.unguarded)
    for plan, count in zip(chunk.plans, chunk.visits, strict=True):
        for start_at in gen.visit_times(plan.first_visit, count):
            s = gen.session(plan, sid, start_at)
            row = gen.session_row(s, plan.patient)
            if signed_at_once and row[_SIGNED_AS_AT]:  # its signature filled in: signed as it is written
                row = (*row[:_STATUS_AT], SessionStatus.SIGNED, *row[_STATUS_AT + 1 :])
            sessions.append((*row, plan.episode_id))
            # Each visit owns MAX_SITES site ids, so a worker never needs to know another's count.
            site_id = chunk.first_site_id + (sid - chunk.first_session_id) * MAX_SITES
            for position, site in enumerate(s.sites):
                sites.append(
                    (
                        site_id,
                        sid,
                        position,
                        site.region,
                        site.side,
                        site.muscle,
                        site.needles,
                        site.needle_size,
                        site.needle_lot,
                        site.dwell_minutes,
                        site.twitch,
                        site.needles_out,
                    )
                )
                for p_pos, point in enumerate(site.trigger_points):
                    points.append((site_id, p_pos, point.view, point.x, point.y))
                site_id += 1
            sid += 1
    return _ChunkRows(
        bulk.driver_rows("treatment_session", SESSION_COLUMNS, sessions, chunk.sqlite),
        bulk.driver_rows("needling_site", SITE_COLUMNS, sites, chunk.sqlite),
        bulk.driver_rows("trigger_point", POINT_COLUMNS, points, chunk.sqlite),
        len(sites),
    )


def seed_chart(
    engine: Engine,
    patients: int,
    sessions: int,
    seed: int = 1,
    clinicians: int | None = None,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    history_days: int = 3650,
) -> SeedResult:
    """Add ``patients`` patients and ``sessions`` sessions to the database, in one transaction.

    Courses of treatment start within the last ``history_days`` days (ten years by default).

    Visits are made in worker processes (one per core) while this process writes; a small
    chart is made in-process, where starting workers would cost more than it saves.
    """
    if patients < 0 or sessions < 0:
        raise ValueError("counts must not be negative")
    if sessions and not patients:
        raise ValueError("sessions need at least one patient")
    refuse_too_many(patients, sessions, clinicians)
    now = now if now is not None else utc_now()  # the program's one clock
    wanted = clinicians if clinicians is not None else (3 if patients <= 200 else 10)
    try:
        return _seed(engine, patients, sessions, seed, wanted, now, progress, workers, history_days)
    except OSError as exc:  # a worker's scratch file: the disk full, the folder gone
        raise StorageError(f"Seeding stopped and wrote nothing: {exc.strerror or exc} ({exc.filename}).") from None
    except Exception as exc:
        translated = storage_failure(exc)
        if translated is None:
            raise
        raise translated from None


def refuse_too_many(patients: int, sessions: int, clinicians: int | None) -> None:
    """Counts beyond :mod:`domain.limits`' bounds are refused before anything is made."""
    for field, count, most in (
        ("patients", patients, SEED_PATIENTS_MAX),
        ("sessions", sessions, SEED_SESSIONS_MAX),
        ("clinicians", clinicians or 0, SEED_CLINICIANS_MAX),
    ):
        if count > most:
            raise ValidationError.single(field, f"--{field}: at most {most:,} can be seeded at once.")


def _seed(
    engine: Engine,
    patients: int,
    sessions: int,
    seed: int,
    wanted: int,
    now: datetime,
    progress: Callable[[int, int], None] | None,
    workers: int | None,
    history_days: int,
) -> SeedResult:
    with engine.begin() as conn:
        sqlite = conn.dialect.name == "sqlite"
        with Session(bind=conn) as db:
            if records.holds_real_signed_notes(db):
                raise ValidationError.single(
                    "db",
                    "This chart holds notes signed by clinicians: synthetic patients and notes are added only to a "
                    "demo or test chart, never to a clinic's records.",
                )
            if keyring.has_chart_key(db):  # its notes would carry no seal, and `check --user` would name each
                raise ValidationError.single(
                    "db",
                    "This chart has accounts with a chart key: synthetic notes are added only to a chart without "
                    "accounts.",
                )
            if get_clinic(db) is None:
                save_clinic(db, DEMO_CLINIC)
        staff = _clinicians(conn, wanted)
        gen = ChartGenerator(seed, now, staff, history_days)
        plans, visits = _plan_patients(conn, gen, patients, sessions, now)
        _insert_patients(conn, gen, plans)
        _insert_consents(conn, plans, staff)
        _insert_episodes(conn, plans)
        chunks = _plan_chunks(conn, seed, now, staff, plans, visits, sqlite)
        done, site_total = _insert_visits(conn, chunks, workers, sessions, progress)
        bulk.reset_sequences(conn)
        with Session(bind=conn) as db:
            detail = f"{patients} synthetic patients, {done} sessions, {len(staff)} clinicians (seed {seed})"
            records.append_audit(db, Access().entry(now, AuditAction.CHART_SEEDED, detail=detail))
    return SeedResult(len(staff), patients, done, site_total)


def _plan_patients(
    conn: Connection, gen: ChartGenerator, patients: int, sessions: int, now: datetime
) -> tuple[list[_PatientPlan], list[int]]:
    """The patients, with ids reserved, and how many visits each has."""
    first_pid = bulk.next_id(conn, "patient")
    plans = [gen.patient(first_pid + i) for i in range(patients)]
    visits = share_visits(gen.rng, patients, sessions)
    for plan, count in zip(plans, visits, strict=True):
        # A course fits inside its consent's validity and ends before today.
        latest_start = now - timedelta(days=count * course_gap(count))
        plan.first_visit = min(plan.first_visit, latest_start)
    return plans, visits


def _insert_patients(conn: Connection, gen: ChartGenerator, plans: list[_PatientPlan]) -> None:
    for start in range(0, len(plans), BATCH):
        bulk.insert_rows(
            conn,
            "patient",
            PATIENT_COLUMNS,
            (gen.patient_row(p) for p in plans[start : start + BATCH]),
        )


def _insert_consents(conn: Connection, plans: list[_PatientPlan], staff: dict[int, Clinician]) -> None:
    """Each patient's consent, given on the day of the first visit."""
    consent_id = bulk.next_id(conn, "consent")
    names = [c.display_name for c in staff.values()]
    bulk.insert_rows(
        conn,
        "consent",
        CONSENT_COLUMNS,
        (
            (
                consent_id + i,
                p.id,
                p.first_visit.astimezone().date(),
                ConsentMethod.WRITTEN if i % 4 else ConsentMethod.VERBAL,
                names[i % len(names)],
                None,
                p.first_visit,
            )
            for i, p in enumerate(plans)
        ),
    )


def _insert_episodes(conn: Connection, plans: list[_PatientPlan]) -> None:
    """Each patient's plan as one episode of care for their condition, from the day of the first visit."""
    first_id = bulk.next_id(conn, "episode")
    planned = [p for p in plans if p.patient.treatment_plan is not None]
    for i, p in enumerate(planned):
        p.episode_id = first_id + i  # the patient's only episode: their visits are written linked to it
    rows = (
        (
            first_id + i,
            p.id,
            p.condition,
            p.patient.treatment_plan,
            p.first_visit.astimezone().date(),
            None,
            p.first_visit,
        )
        for i, p in enumerate(planned)
    )
    bulk.insert_rows(conn, "episode", EPISODE_COLUMNS, rows)


def _insert_visits(
    conn: Connection,
    chunks: list[_Chunk],
    workers: int | None,
    sessions: int,
    progress: Callable[[int, int], None] | None,
) -> tuple[int, int]:
    """Write the chunks' visits as they are made; returns how many sessions and sites were written."""
    done = site_total = 0
    with bulk.loading(conn, "treatment_session"), bulk.unguarded(conn, VISIT_TABLES):
        for rows in _run_chunks(chunks, workers):
            bulk.insert_rows(
                conn,
                "treatment_session",
                SESSION_COLUMNS,
                rows.sessions,
                prepared=True,
            )
            bulk.insert_rows(conn, "needling_site", SITE_COLUMNS, rows.sites, prepared=True)
            bulk.insert_rows(conn, "trigger_point", POINT_COLUMNS, rows.points, prepared=True)
            if conn.dialect.name != "sqlite":  # on SQLite written signed already (_make_chunk), the guards lifted
                bulk.sign_seeded(conn, [cast(int, row[0]) for row in rows.sessions if row[_SIGNED_AS_AT]])
            done += len(rows.sessions)
            site_total += rows.site_count
            if progress:
                progress(done, sessions)
    return done, site_total


def _plan_chunks(
    conn: Connection,
    seed: int,
    now: datetime,
    staff: dict[int, Clinician],
    plans: list[_PatientPlan],
    visits: list[int],
    sqlite: bool,
) -> list[_Chunk]:
    sid = bulk.next_id(conn, "treatment_session")
    site_id = bulk.next_id(conn, "needling_site")
    chunks: list[_Chunk] = []
    start = 0
    while start < len(plans):
        end, count = start, 0
        while end < len(plans) and (count < CHUNK_SESSIONS or end == start):
            count += visits[end]
            end += 1
        chunks.append(
            _Chunk(
                len(chunks),
                seed,
                now,
                staff,
                plans[start:end],
                visits[start:end],
                sid,
                site_id,
                sqlite,
            )
        )
        sid += count
        site_id += count * MAX_SITES
        start = end
    return chunks


def _run_chunks(chunks: list[_Chunk], workers: int | None) -> Iterator[_ChunkRows]:
    total = sum(sum(c.visits) for c in chunks)
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers <= 1 or total < IN_PROCESS_BELOW:
        yield from map(_make_chunk, chunks)
        return
    # Each worker leaves its rows in a file (results are files, never large pickles through a pipe:
    # see services/workers.py); they are read back in the chunks' order, a few chunks ahead at most.
    with tempfile.TemporaryDirectory(prefix="needlelog-seed-") as scratch, WorkerPool(workers) as pool:
        folder = Path(scratch)
        tickets: dict[int, int] = {}  # ticket -> chunk index
        ready: set[int] = set()
        submitted = 0
        for index in range(len(chunks)):
            while submitted < len(chunks) and submitted < index + 2 * workers:
                tickets[pool.submit(_write_chunk, chunks[submitted], folder / f"{submitted}.pickle")] = submitted
                submitted += 1
            while index not in ready:
                ready.update(tickets.pop(done.ticket) for done in pool.finished(1.0))
            path = folder / f"{index}.pickle"
            with path.open("rb") as file:
                rows: _ChunkRows = pickle.load(file)
            path.unlink()
            yield rows


def _write_chunk(chunk: _Chunk, path: Path, *, stop: Callable[[], bool]) -> None:
    """Run in a worker process: a chunk's rows, pickled into ``path`` (a file this process made)."""
    if stop():
        return
    with path.open("wb") as file:
        pickle.dump(_make_chunk(chunk), file, protocol=pickle.HIGHEST_PROTOCOL)


def _clinicians(conn: Connection, wanted: int) -> dict[int, Clinician]:
    first = bulk.next_id(conn, "clinician")
    staff: dict[int, Clinician] = {}
    for offset in range(wanted):
        model = CLINICIANS[offset % len(CLINICIANS)]
        suffix = "" if first == 1 and offset < len(CLINICIANS) else str(first + offset)
        staff[first + offset] = replace(model, username=model.username + suffix, id=first + offset)
    bulk.insert_rows(
        conn,
        "clinician",
        (
            "id",
            "username",
            "display_name",
            "credentials",
            "registration_number",
            "authorised_to_needle",
            "active",
        ),
        [
            (
                cid,
                c.username,
                c.display_name,
                c.credentials,
                c.registration_number,
                True,
                True,
            )
            for cid, c in staff.items()
        ],
    )
    return staff
