"""The clinic dashboard and its report (issue 15, item 3): the PDF's rates are the CSV's and plain SQL's, the
intervals are Wilson's, drafts are grouped by age, and every view and report is audited."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import subprocess
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from needlelog.domain.dashboard import Rate, draft_age_group, wilson
from needlelog.domain.errors import PermissionDenied, ValidationError
from needlelog.domain.model import Clinician
from needlelog.domain.vocab import Role
from needlelog.services.seeding import seed_chart
from needlelog.services.store import Services, engine_at_head, open_chart
from tests.conftest import NOW, TEST_HASHER, FakeClock, copy_chart

FIRST, LAST = date(2025, 3, 1), date(2026, 3, 10)
MEASURES = {"Mild reactions": "mild", "Bruising": "bruising", "Bleeding": "bleeding", "Adverse events": "adverse"}
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dashboard") / "clinic.sqlite"
    engine = engine_at_head(str(path))
    try:
        seed_chart(engine, 80, 2500, seed=11, now=NOW, workers=1, history_days=500)
    finally:
        engine.dispose()
    with sqlite3.connect(path) as raw:  # a few adverse events reported later, against signed visits
        raw.execute(
            "INSERT INTO adverse_late_report (session_id, kind, description, reported_at, reported_by_id) "
            "SELECT id, 'pneumothorax', 'Breathless next day', '2026-03-10 12:00:00', clinician_id "
            "FROM treatment_session WHERE status = 'signed' AND id % 97 = 0"
        )
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # into the file itself, which the tests copy
    return path


@pytest.fixture
def chart(seeded: Path, tmp_path: Path) -> Services:
    path = tmp_path / "clinic.sqlite"
    copy_chart(seeded, path)
    services = open_chart(path, clock=FakeClock(), hasher=TEST_HASHER)
    yield services  # type: ignore[misc]
    services.close()


def instant(day: date) -> str:
    return datetime.combine(day, time.min).astimezone().astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def plain_sql(path: Path) -> dict[str, dict[str, int]]:
    """Each clinician's counts over the range, in plain SQL that shares nothing with the program's queries."""
    query = """
        SELECT c.display_name, COUNT(*), SUM(s.needle_count),
               SUM(s.reactions != ''),
               SUM(' ' || s.reactions || ' ' LIKE '% bruising %'),
               SUM(' ' || s.reactions || ' ' LIKE '% bleeding %'),
               SUM(EXISTS (SELECT 1 FROM adverse_event e WHERE e.session_id = s.id)
                   OR EXISTS (SELECT 1 FROM adverse_late_report r WHERE r.session_id = s.id))
        FROM treatment_session s JOIN clinician c ON c.id = s.clinician_id
        WHERE s.status = 'signed' AND s.service_start >= ? AND s.service_start < ?
        GROUP BY c.id"""
    with sqlite3.connect(path) as raw:
        rows = raw.execute(query, (instant(FIRST), instant(LAST + timedelta(days=1)))).fetchall()
    keys = ("visits", "needles", "mild", "bruising", "bleeding", "adverse")
    return {name: dict(zip(keys, counts, strict=True)) for name, *counts in rows}


def pdf_rates(path: Path) -> dict[str, dict[str, tuple[int, str]]]:
    """The 'Rates by clinician' table read back from the PDF: per clinician, visits and each rate's cell."""
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    table = text[text.index("Rates by clinician") : text.index("Published rates")]
    cell = r"([\d,]+) · ([\d.]+ % \([\d.]+–[\d.]+\))"
    found: dict[str, dict[str, tuple[int, str]]] = {}
    for line in table.splitlines():
        match = re.match(rf"^\s*(\S.*?)\s{{2,}}([\d,]+)\s+([\d,]+)\s+{cell}\s+{cell}\s+{cell}\s+{cell}\s*$", line)
        if match:
            name, visits, needles, *rest = match.groups()
            found[name] = {"visits": (int(visits.replace(",", "")), ""), "needles": (int(needles.replace(",", "")), "")}
            for i, key in enumerate(MEASURES.values()):
                found[name][key] = (int(rest[2 * i].replace(",", "")), rest[2 * i + 1])
    return found


def test_the_pdf_s_rates_are_the_csv_s_and_plain_sql_s(chart: Services, seeded: Path, tmp_path: Path) -> None:
    written = chart.reports.write_report(FIRST, LAST, tmp_path / "report.pdf", tmp_path / "report.csv")
    expected = plain_sql(seeded)
    assert len(expected) >= 3 and all(counts["visits"] > 20 for counts in expected.values())
    assert sum(c["adverse"] for c in expected.values()) > 0 and sum(c["bruising"] for c in expected.values()) > 0

    from_pdf = pdf_rates(written.pdf or Path())
    rows = list(csv.DictReader(io.StringIO((tmp_path / "report.csv").read_text("utf-8-sig"))))
    from_csv: dict[str, dict[str, int]] = {}
    for row in rows:
        if row["Section"] == "clinician total":
            key = {"Signed visits": "visits", "Needles": "needles", **MEASURES}[row["Measure"]]
            from_csv.setdefault(row["Clinician"], {})[key] = int(row["Count"])
            if key in MEASURES.values():  # the rate and interval printed are those of the counts
                rate = Rate(int(row["Count"]), int(row["Out of"]))
                low, high = rate.interval
                assert (row["Rate %"], row["Low %"], row["High %"]) == tuple(
                    f"{100 * v:.2f}" for v in (rate.proportion, low, high)
                )
    for name in expected:
        assert from_csv[name] == expected[name], name
    assert set(from_pdf) == set(expected) | {"All clinicians"}
    for name, counts in expected.items():
        for key, count in counts.items():
            assert from_pdf[name][key][0] == count, (name, key)
            if key in MEASURES.values():
                assert from_pdf[name][key][1] == Rate(count, counts["visits"]).percent()
    total = sum(c["visits"] for c in expected.values())
    assert from_pdf["All clinicians"]["visits"][0] == total
    # the months add up to the totals, per clinician
    months = [r for r in rows if r["Section"] == "clinician month" and r["Measure"] == "Signed visits"]
    assert sum(int(r["Count"]) for r in months) == total
    assert {r["Month"] for r in months} <= {f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)}


def test_wilson_intervals_against_worked_values() -> None:
    # Wilson 1927 / Newcombe 1998 (Stat Med 17:857, table I): 0 of 10 -> 0 to 27.75 %; 81 of 263 -> 25.6 to 36.1 %.
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=5e-5)
    assert wilson(81, 263) == pytest.approx((0.2553, 0.3662), abs=5e-4)
    assert wilson(15, 148) == pytest.approx((0.0624, 0.1605), abs=5e-4)
    assert wilson(0, 0) == (0.0, 0.0)
    assert Rate(2, 4).percent() == "50.0 % (15.0–85.0)"
    assert [draft_age_group(d) for d in (1, 2, 7, 8, 400)] == ["today", "2–7 days", "2–7 days", "older", "older"]


def test_drafts_by_age_the_clinician_filter_and_the_audit(chart: Services, seeded: Path) -> None:
    found = chart.reports.dashboard(FIRST, LAST)
    assert found.drafts and sum(found.drafts_by_age().values()) == len(found.drafts)
    with sqlite3.connect(seeded) as raw:
        drafts = raw.execute("SELECT COUNT(*) FROM treatment_session WHERE status = 'draft'").fetchone()[0]
        username, name = raw.execute("SELECT username, display_name FROM clinician ORDER BY id LIMIT 1").fetchone()
    assert len(found.drafts) == drafts
    assert [d.service_start for d in found.drafts] == sorted(d.service_start for d in found.drafts)
    one = chart.reports.dashboard(FIRST, LAST, username)
    assert {m.clinician for m in one.months} == {name} and {d.clinician for d in one.drafts} <= {name}
    assert sum(t.sites for t in one.twitches) > 0
    with pytest.raises(ValidationError, match="No clinician has the user name 'nobody'"):
        chart.reports.dashboard(FIRST, LAST, "nobody")
    with pytest.raises(ValidationError, match="first day comes after"):
        chart.reports.dashboard(LAST, FIRST)
    with sqlite3.connect(chart.location) as raw:
        audited = [r[0] for r in raw.execute("SELECT detail FROM audit_log WHERE action = 'report_viewed'")]
    assert audited == [
        f"clinic dashboard: {FIRST} to {LAST}",
        f"clinic dashboard: {FIRST} to {LAST}, clinician {username}",
    ]


def test_a_clinician_may_not_see_the_dashboard_an_administrator_sees_no_names(chart: Services) -> None:
    chart.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
    chart.accounts.add_user(Clinician("Pat Lee", "plee", "PT", "PT-1"), PASSWORD)
    chart.accounts.login("plee", PASSWORD)
    with pytest.raises(PermissionDenied, match="may not"):
        chart.reports.dashboard(FIRST, LAST)
    chart.accounts.login("admin", PASSWORD)
    found = chart.reports.dashboard(FIRST, LAST)
    assert found.drafts and all(d.patient_name == "" and d.chart_number for d in found.drafts)
    manager = Clinician("Kiran Patel", "kpatel", authorised_to_needle=False, roles=frozenset({Role.MANAGER}))
    chart.accounts.add_user(manager, PASSWORD)
    chart.accounts.login("kpatel", PASSWORD)
    assert all(d.patient_name for d in chart.reports.dashboard(FIRST, LAST).drafts)
