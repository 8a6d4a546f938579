"""`needlelog check` on a large chart (issue 13): every signed note's fingerprint is recomputed from plain rows
(db/fingerprints.py), on every core (services/checking.py), and must find exactly what reading each note as
printed finds. Here the stored rows' content is held equal to the domain's for notes with every kind of
content, rewritten behind the triggers in every way that changes it, and the parts run in worker processes
name the same notes as one process does."""

from __future__ import annotations

import io
import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from needlelog.cli_progress import Progress
from needlelog.db import fingerprints
from needlelog.db.engine import open_engine
from needlelog.db.notes_repo import VisitNoteLoader
from needlelog.domain.fingerprint import content
from needlelog.domain.model import AdverseEvent, Clinician, Patient, Reactions
from needlelog.domain.outcomes import Instrument, OutcomeMeasure, PsfsActivity
from needlelog.domain.vocab import AdverseEventKind, Aftercare, Reaction, Soreness
from needlelog.services import checking
from needlelog.services.store import Services, check_database
from tests.conftest import FakeClock
from tests.services.test_course import visit

TIMED = 11  # minutes the rich visit's timer ran


def rich_visits(services: Services, patient: Patient, clinician: Clinician, clock: FakeClock) -> list[int]:
    """Signed notes holding every part of a note's content the fingerprint covers, and a plain one."""
    plain = visit(services, patient, clinician, clock)
    draft = visit(services, patient, clinician, clock, sign=False)
    started = clock.now - timedelta(minutes=30)
    timed = replace(
        draft.sites[0], timer_started=started, timer_stopped=started + timedelta(minutes=TIMED), dwell_minutes=TIMED
    )
    rich = services.sessions.sign(
        replace(
            draft,
            sites=(timed,),
            adverse_events=(AdverseEvent(AdverseEventKind.FAINTING_INJURY, "Fainted <b>& bruised</b>"),),
            outcomes=(
                OutcomeMeasure(Instrument.PSFS, activities=(PsfsActivity("Reaching", 3), PsfsActivity("Sleep", 5))),
                OutcomeMeasure(Instrument.QUICKDASH, total=45.5),
            ),
            reactions=Reactions(Soreness.MODERATE, frozenset({Reaction.BRUISING, Reaction.FATIGUE}), "Zoë"),
            aftercare=draft.aftercare | {Aftercare.HYDRATE, Aftercare.ICE_HEAT},
            notes="Øyvind 李 — «quoted» \\ back\nslash",
        ),
        clinician.id or 0,
    )
    return [plain.id or 0, rich.id or 0]


def tamper(path: Path, *statements: str) -> None:
    """``statements`` run with every trigger dropped, then every trigger put back as it was."""
    with sqlite3.connect(path) as raw:
        triggers = raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
        for name, _sql in triggers:
            raw.execute(f"DROP TRIGGER {name}")
        for statement in statements:
            raw.execute(statement)
        for _name, sql in triggers:
            raw.execute(sql)


REWRITES = [
    "UPDATE needling_site SET needles_out = 1, dwell_reason = 'pulled early' WHERE session_id = :note",
    "UPDATE treatment_session SET aftercare = 'hydrate hydrate ice_heat', reactions = 'fatigue bruising' "
    "WHERE id = :note",
    "UPDATE treatment_session SET service_end = NULL, lung_field_caution = 1, notes = 'rewritten' WHERE id = :note",
    "UPDATE trigger_point SET x = x + 0.001 WHERE site_id IN (SELECT id FROM needling_site WHERE session_id = :note)",
    "UPDATE treatment_session SET signed_as = '{\"chart_number\": 1}' WHERE id = :note",
    "UPDATE treatment_session SET signed_by_id = NULL WHERE id = :note",
    "UPDATE outcome_measure SET activities = 'not json' WHERE session_id = :note",
    "DELETE FROM adverse_event WHERE session_id = :note",
]


def stored_and_domain(path: Path) -> list[tuple[int, object, object]]:
    """Each signed note: its id, the content built from its stored rows, and the domain's content of it read as
    printed (None where the note cannot be verified: no signer, signature time or record of whom)."""
    engine = open_engine(f"sqlite:///{path}?mode=ro", create=False)
    try:
        with Session(engine) as db, db.begin():
            stored, _last = fingerprints.stored_contents(db.connection(), 0, 10**9)
            notes = {n.session.id: n for n in VisitNoteLoader(db).notes([ident for ident, _, _ in stored])}
        found = []
        for ident, _digest, covered in stored:
            note = notes[ident]
            s = note.session
            usable = s.signed_at is not None and note.signer is not None and s.signed_as is not None
            expected = content(s, note.patient, note.signer, s.signed_at) if usable else None  # type: ignore[arg-type]
            found.append((ident, covered, expected))
        return found
    finally:
        engine.dispose()


@pytest.mark.parametrize("rewrite", REWRITES)
def test_the_stored_rows_give_the_domains_content_as_signed_and_as_rewritten(
    services: Services, patient: Patient, clinician: Clinician, clock: FakeClock, db_path: Path, rewrite: str
) -> None:
    plain, rich = rich_visits(services, patient, clinician, clock)
    services.close()
    before = stored_and_domain(db_path)
    assert [ident for ident, _, _ in before] == [plain, rich]
    assert all(covered == expected and covered is not None for _, covered, expected in before)
    assert check_database(db_path) == []
    tamper(db_path, rewrite.replace(":note", str(rich)))
    for ident, covered, expected in stored_and_domain(db_path):
        assert covered == expected, ident
    problems = check_database(db_path)
    assert len(problems) == 1 and problems[0].startswith(f"fingerprint: signed note {rich} "), problems


def test_worker_processes_name_the_same_notes_as_one_process(
    services: Services,
    patient: Patient,
    clinician: Clinician,
    clock: FakeClock,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    notes = [visit(services, patient, clinician, clock).id or 0 for _ in range(6)]
    services.close()
    tamper(
        db_path,
        f"UPDATE treatment_session SET notes = 'rewritten' WHERE id IN ({notes[1]}, {notes[4]})",
        f"UPDATE needling_site SET needles = 1 WHERE session_id = {notes[5]}",
    )
    monkeypatch.setattr(fingerprints, "SPAN", 2)  # three parts of two ids, and more tasks than workers
    told: list[tuple[int, int]] = []
    inline = checking.fingerprint_problems(db_path, None, lambda read, total: told.append((read, total)), workers=1)
    assert told[-1] == (6, 6) and len(told) >= 3
    monkeypatch.setattr(checking, "PARALLEL_FROM", 0)
    spread = checking.fingerprint_problems(db_path, workers=2)
    assert spread == inline
    assert [p.split()[3] for p in inline] == [str(notes[1]), str(notes[4]), str(notes[5])]


def test_progress_is_quiet_for_a_short_check_then_told_by_stage_and_every_few_seconds() -> None:
    now = [100.0]
    out = io.StringIO()
    progress = Progress("check", out, clock=lambda: now[0])
    progress("pages: every page read")
    now[0] += 2.0
    progress("fingerprints: 10 of 100 signed notes")
    assert out.getvalue() == ""  # a check that ends within the first seconds says only its answer
    now[0] += 1.5
    progress("fingerprints: 20 of 100 signed notes")  # past the quiet seconds: said
    progress("fingerprints: 30 of 100 signed notes")  # the same stage a moment later: not again
    progress("seals: 10 signed notes verified")  # another stage: said at once
    now[0] += 6.0
    progress("seals: 20 signed notes verified")  # the same stage, some seconds later: said
    assert out.getvalue().splitlines() == [
        "needlelog check: fingerprints: 20 of 100 signed notes (4 s)",
        "needlelog check: seals: 10 signed notes verified (4 s)",
        "needlelog check: seals: 20 signed notes verified (10 s)",
    ]


def test_reading_the_notes_in_id_order_does_not_sort_the_signed_ones_again_for_each_batch(db_path: Path) -> None:
    """The query each batch runs walks the primary key: asked for signed notes in id order, SQLite took the
    status index and sorted every signed note for each batch of 2,000 (quadratic on 500,000)."""
    from sqlalchemy import select

    statement = (
        select(*fingerprints._SESSION)
        .where(fingerprints.SessionRow.id > 0, fingerprints.SessionRow.id <= 10)
        .order_by(fingerprints.SessionRow.id)
        .limit(fingerprints.BATCH)
    )
    engine = open_engine(f"sqlite:///{db_path}?mode=ro", create=False)
    try:
        with engine.connect() as conn:
            compiled = statement.compile(conn)
            sql = str(compiled)
            params = [compiled.params[name] for name in compiled.positiontup or ()]
        with sqlite3.connect(db_path) as raw:
            plan = " ".join(str(row[-1]) for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params))
    finally:
        engine.dispose()
    assert "INTEGER PRIMARY KEY" in plan and "TEMP B-TREE" not in plan, plan
