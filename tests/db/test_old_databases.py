"""Old databases are fixtures: a file made by each released schema must open with its data intact.

When a revision is added, commit a file made by the schema before it here (see README in this folder).
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from needlelog.db import migrate
from needlelog.domain.rules import NeedleLedger, fingerprint
from needlelog.services.store import check_database, open_chart

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RELEASED = sorted(FIXTURES.glob("schema-*.sqlite"))


def test_every_released_schema_has_a_fixture() -> None:
    assert {p.stem.removeprefix("schema-") for p in RELEASED} == set(migrate.KNOWN_REVISIONS)


@pytest.mark.parametrize("fixture", RELEASED, ids=[p.stem for p in RELEASED])
def test_an_old_database_opens_at_head_with_its_data(fixture: Path, tmp_path: Path) -> None:
    path = tmp_path / fixture.name
    shutil.copyfile(fixture, path)
    with sqlite3.connect(path) as raw:
        # a discarded draft (schema 0007 on) is kept in the file but in no patient's history
        in_chart = "FROM treatment_session WHERE status != 'discarded'"
        before = raw.execute(f"SELECT COUNT(*), SUM(needle_count) {in_chart}").fetchone()
        notes = dict(raw.execute(f"SELECT id, fingerprint {in_chart}"))
    chart = open_chart(path)
    patients = chart.patients.search("", limit=100)
    assert len(patients) == 6
    sessions = [chart.sessions.get(h.id) for p in patients for h in chart.sessions.history(p.id)]
    assert (len(sessions), sum(s.needles_inserted for s in sessions)) == before
    assert {s.id: s.fingerprint for s in sessions} == notes
    chart.close()
    assert check_database(path) == []


def test_schema_0005_upgrades_to_a_ledger_per_site_and_its_signed_notes_still_verify(tmp_path: Path) -> None:
    """0006 gives each site its needles out from the session's count (in site order, up to each site's
    needles in): a signed note, reconciled, gets out = in at every site, and its fingerprint still verifies."""
    path = tmp_path / "schema-0005.sqlite"
    shutil.copyfile(FIXTURES / "schema-0005.sqlite", path)
    with sqlite3.connect(path) as raw:
        removed = dict(raw.execute("SELECT id, needles_removed FROM treatment_session"))
        drafts = {row[0] for row in raw.execute("SELECT id FROM treatment_session WHERE status = 'draft'")}
    chart = open_chart(path)
    try:
        sessions = [chart.sessions.get(session_id) for session_id in removed]
        signers = {c.id: c for c in chart.clinic.clinicians()}
        assert {s.id: s.needles_removed for s in sessions} == removed  # the sum is what was stored
        signed = [s for s in sessions if s.is_signed]
        assert signed and not drafts  # the 0005 chart's visits are all signed; drafts are below
        for note in signed:
            assert [site.needles_out for site in note.sites] == [site.needles or 0 for site in note.sites]
            assert NeedleLedger.of(note).reconciled
            patient = chart.patients.get(note.patient_id)
            assert note.signed_at is not None and note.signed_by_id is not None
            assert fingerprint(note, patient, signers[note.signed_by_id], note.signed_at) == note.fingerprint
    finally:
        chart.close()
    with sqlite3.connect(path) as raw:  # the signed notes' sites refuse change again after the upgrade
        note_id = next(s.id for s in signed)
        with pytest.raises(sqlite3.DatabaseError, match="signed note cannot be changed"):
            raw.execute(f"UPDATE needling_site SET needles_out = 0 WHERE session_id = {note_id}")
    assert check_database(path) == []


def _draft_copy(raw: sqlite3.Connection, of: int, removed: int) -> int:
    """A draft made at schema 0005 from a signed note's facts and sites, with ``removed`` counted out."""
    columns = [r[1] for r in raw.execute("PRAGMA table_info(treatment_session)") if r[1] != "id"]
    values = {"status": "'draft'", "needles_removed": str(removed), "fingerprint": "''"}
    values |= {"signed_at": "NULL", "signed_by_id": "NULL"}
    chosen = ", ".join(values.get(c, c) for c in columns)
    new = raw.execute(
        f"INSERT INTO treatment_session ({', '.join(columns)}) SELECT {chosen} FROM treatment_session WHERE id = {of}"
    ).lastrowid
    site_columns = [r[1] for r in raw.execute("PRAGMA table_info(needling_site)") if r[1] not in ("id", "session_id")]
    raw.execute(
        f"INSERT INTO needling_site (session_id, {', '.join(site_columns)}) "
        f"SELECT {new}, {', '.join(site_columns)} FROM needling_site WHERE session_id = {of}"
    )
    return int(new or 0)


def test_schema_0005_drafts_get_their_count_out_site_by_site_in_order(tmp_path: Path) -> None:
    path = tmp_path / "schema-0005.sqlite"
    shutil.copyfile(FIXTURES / "schema-0005.sqlite", path)
    with sqlite3.connect(path) as raw:
        note, inserted = raw.execute(
            "SELECT session_id, SUM(needles) FROM needling_site GROUP BY session_id "
            "HAVING COUNT(*) >= 2 ORDER BY session_id LIMIT 1"
        ).fetchone()
        needles = [
            n for (n,) in raw.execute(f"SELECT needles FROM needling_site WHERE session_id = {note} ORDER BY position")
        ]
        short = _draft_copy(raw, note, inserted - 1)  # one needle not counted out: the last site's
        extra = _draft_copy(raw, note, inserted + 2)  # two counted out too many: kept, on the last site
        none = _draft_copy(raw, note, 0)
    chart = open_chart(path)
    try:
        outs = {d: [s.needles_out for s in chart.sessions.get(d).sites] for d in (short, extra, none)}
    finally:
        chart.close()
    assert outs[short] == [*needles[:-1], needles[-1] - 1]
    assert outs[extra] == [*needles[:-1], needles[-1] + 2]
    assert outs[none] == [0] * len(needles)
