"""Old databases are fixtures: a file made by each released schema must open with its data intact.

When a revision is added, commit a file made by the schema before it here (see README in this folder).
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from needlelog.db import migrate
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
        before = raw.execute("SELECT COUNT(*), SUM(needle_count) FROM treatment_session").fetchone()
        notes = dict(raw.execute("SELECT id, fingerprint FROM treatment_session"))
    chart = open_chart(path)
    patients = chart.patients.search("", limit=100)
    assert len(patients) == 6
    sessions = [chart.sessions.get(h.id) for p in patients for h in chart.sessions.history(p.id)]
    assert (len(sessions), sum(s.needles_inserted for s in sessions)) == before
    assert {s.id: s.fingerprint for s in sessions} == notes
    chart.close()
    assert check_database(path) == []
