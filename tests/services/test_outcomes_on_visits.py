"""Outcome measures on real visits: stored with the draft, refused with the field named, signed into the note's
content (its fingerprint covers them, and the database refuses a change to them), printed on the note with the
change from the first score, and held in the patient's course."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from needlelog.domain.errors import ValidationError
from needlelog.domain.model import Clinician, Patient
from needlelog.domain.outcomes import Instrument, OutcomeMeasure, PsfsActivity
from needlelog.domain.rules import fingerprint
from needlelog.reports.visit_note import render_visit_note
from needlelog.services.exporting import ExportCriteria
from needlelog.services.store import Services, check_database
from tests.conftest import FakeClock
from tests.reports.test_visit_note import squashed, text_of
from tests.services.test_course import visit

ACTIVITIES = ("Reaching overhead", "Sleeping on the left side", "Carrying groceries")


def psfs(*scores: int | None) -> OutcomeMeasure:
    return OutcomeMeasure(
        Instrument.PSFS, activities=tuple(PsfsActivity(a, s) for a, s in zip(ACTIVITIES, scores, strict=True))
    )


def test_outcomes_are_stored_with_the_draft_and_signed_into_the_note(
    services: Services, patient: Patient, clinician: Clinician, clock: FakeClock, db_path: Path
) -> None:
    outcomes = (
        psfs(3, 5, 4),
        OutcomeMeasure(Instrument.NDI, total=24),
        OutcomeMeasure(Instrument.QUICKDASH, total=45.5),
    )
    draft = visit(services, patient, clinician, clock, sign=False, outcomes=outcomes)
    assert services.sessions.get(draft.id or 0).outcomes == outcomes
    signed = services.sessions.sign(services.sessions.get(draft.id or 0), clinician.id or 0)
    assert signed.outcomes == outcomes
    stored = services.sessions.get(signed.id or 0)
    assert signed.fingerprint == fingerprint(stored, patient, clinician, clock.now)
    # the fingerprint covers them: another score is another fingerprint
    changed = replace(stored, outcomes=(psfs(3, 5, 5), *outcomes[1:]))
    assert fingerprint(changed, patient, clinician, clock.now) != signed.fingerprint
    # and the database refuses to change them, as it refuses a signed note's sites
    with sqlite3.connect(db_path) as raw, pytest.raises(sqlite3.DatabaseError, match="signed note cannot be changed"):
        raw.execute(f"UPDATE outcome_measure SET total = 10 WHERE session_id = {signed.id}")
    with sqlite3.connect(db_path) as raw, pytest.raises(sqlite3.DatabaseError, match="signed note cannot be changed"):
        raw.execute(f"DELETE FROM outcome_measure WHERE session_id = {signed.id}")
    services.close()
    assert check_database(db_path) == []


def test_a_wrong_value_is_refused_naming_the_field_and_an_unfinished_one_stops_signing(
    services: Services, patient: Patient, clinician: Clinician, clock: FakeClock
) -> None:
    with pytest.raises(ValidationError) as refused:
        visit(services, patient, clinician, clock, sign=False, outcomes=(OutcomeMeasure(Instrument.NDI, total=60),))
    assert refused.value.fields == ("outcomes[0].total",)
    assert "NDI: give a total from 0 to 50." in str(refused.value)

    unfinished = (OutcomeMeasure(Instrument.PSFS, activities=(PsfsActivity("Running"),)),)
    draft = visit(services, patient, clinician, clock, sign=False, outcomes=unfinished)  # a draft may wait
    with pytest.raises(ValidationError) as unsigned:
        services.sessions.sign(draft, clinician.id or 0)
    assert unsigned.value.fields == ("outcomes[0].activities[0].score",)


def test_the_note_prints_each_score_and_its_change_with_the_mcid(
    services: Services, patient: Patient, clinician: Clinician, clock: FakeClock, tmp_path: Path
) -> None:
    visit(services, patient, clinician, clock, outcomes=(psfs(3, 5, 4), OutcomeMeasure(Instrument.NDI, total=24)))
    visit(services, patient, clinician, clock, outcomes=(psfs(5, 5, 4),))  # 4.67: 0.67 better
    last = visit(
        services, patient, clinician, clock, outcomes=(psfs(6, 7, 5), OutcomeMeasure(Instrument.NDI, total=17))
    )
    course = services.course.course(patient.id or 0)
    assert [(v.instrument, round(v.score, 2)) for v in course.outcomes] == [
        (Instrument.PSFS, 4.0),
        (Instrument.NDI, 24.0),
        (Instrument.PSFS, 4.67),
        (Instrument.PSFS, 6.0),
        (Instrument.NDI, 17.0),
    ]
    notes = {n.session.id: n for n in services.exports.notes(ExportCriteria(date(2026, 1, 1), date(2026, 12, 31)))}
    flat = squashed(text_of(render_visit_note(notes[last.id]), tmp_path))
    first_day = course.outcomes[0].day.isoformat()
    assert squashed(f"PSFS 6.0 (mean of 3 activities) · from 4.0 on {first_day}: 2.0 better · MCID 1.3 reached") in flat
    assert squashed(f"NDI 17 of 50 · from 24 on {first_day}: 7 better · MCID 7 reached") in flat
    assert squashed("Reaching overhead 6 · Sleeping on the left side 7 · Carrying groceries 5") in flat
    second = min(k for k in notes if k != min(notes) and k != last.id)
    assert squashed("0.7 better · MCID 1.3 not reached") in squashed(
        text_of(render_visit_note(notes[second]), tmp_path)
    )
    first = squashed(text_of(render_visit_note(notes[min(notes)]), tmp_path))
    assert squashed("PSFS 4.0 (mean of 3 activities) · first score: the baseline") in first


def test_a_note_without_outcomes_prints_no_section(
    services: Services, patient: Patient, clinician: Clinician, clock: FakeClock, tmp_path: Path
) -> None:
    signed = visit(services, patient, clinician, clock)
    (note,) = services.exports.notes(ExportCriteria(date(2026, 1, 1), date(2026, 12, 31)))
    assert note.session.id == signed.id
    assert "Outcome measures" not in text_of(render_visit_note(note), tmp_path)
