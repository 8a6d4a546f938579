"""Search, opening a chart and saving a draft cost what they show (SPEC §9), counted, not timed.

The work a statement does is counted in SQLite's virtual-machine steps (a progress handler), which do not
depend on the machine or its load: a search must do the same work on a chart ten times larger. And reads
take no write lock: a keystroke or a chart opened never waits for another PC's save.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from needlelog.db import repositories as repo
from needlelog.db.models import ClinicianRow
from needlelog.domain.access import AuditAction
from needlelog.domain.errors import PermissionDenied
from needlelog.domain.search import parse_patient_query
from needlelog.services.store import Services
from tests.conftest import FakeClock, make_patient
from tests.services.test_access import PASSWORD, Clinic, clinic  # noqa: F401 (a fixture)

FAMILIES = ("Carter", "Kowalski", "Smith", "Nguyen", "Li", "Tran", "O'Brien", "Klein", "Adams", "Chen")
GIVEN = ("Kim", "Zoë", "Alena", "Chris", "Sam", "Kate", "Tom", "Lea")
# Each typed a letter at a time in the window; "c", "c0" and "C000" start every chart number of the chart.
TYPED = ("c", "c0", "C000", "C00", "k", "ko", "smith", "c0 smith")


def add_patients(services: Services, first: int, count: int) -> None:
    """``count`` patients, chart numbers C00000 up, names from a short list (so a letter matches many)."""
    now = services.clock()
    with Session(services._engine) as db, db.begin():
        for n in range(first, first + count):
            patient = make_patient(
                f"C{n:05d}",
                family_name=FAMILIES[n % len(FAMILIES)],
                given_name=GIVEN[n % len(GIVEN)],
                date_of_birth=date(1950 + n % 50, 1 + n % 12, 1 + n % 28),
            )
            repo.add_patient(db, patient, now)


def search_steps(services: Services, text: str) -> tuple[int, int]:
    """SQLite's steps for one page (100 rows) of the search for ``text``, and the rows found."""
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    with Session(services._engine) as db, db.begin():
        driver = db.connection().connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        driver.set_progress_handler(tick, 10)
        try:
            found = repo.search_patients(db, parse_patient_query(text), 100)
        finally:
            driver.set_progress_handler(None, 10)
    return steps[0], len(found)


@pytest.fixture
def growing(services: Services) -> Iterator[Services]:
    add_patients(services, 0, 1500)
    yield services


def test_a_search_does_the_same_work_on_a_chart_four_times_larger(growing: Services) -> None:
    small = {text: search_steps(growing, text) for text in TYPED}
    add_patients(growing, 1500, 4500)
    large = {text: search_steps(growing, text) for text in TYPED}
    for text in TYPED:
        assert small[text][1] == large[text][1] == 100, (text, small[text], large[text])  # a full page shown
    # In steps of 10 instructions. A chart-number prefix or a family name reads a page of index entries, the same
    # on 1,500 and on 6,000 patients (ordering chart-number matches by name read and sorted all of them: "c0"
    # grew fourfold).
    for text in ("c0", "C000", "C00", "ko", "smith", "c0 smith"):
        assert large[text][0] <= small[text][0] * 1.2 + 50, (text, small[text], large[text])
    # A single letter also starts given names ("k": Kim, Kate; "c": Chris): those are sorted by family name from
    # the (given, family) index alone, a cost that grows with those matches, much slower than the chart.
    for text in ("c", "k"):
        assert large[text][0] <= small[text][0] * 2, (text, small[text], large[text])


def test_names_come_first_then_chart_numbers_in_order(services: Services) -> None:
    for chart, family in (("C20", "Zimmer"), ("C3", "Abbott"), ("Z1", "Carter"), ("C100", "Adams")):
        services.patients.create(make_patient(chart, family_name=family))
    found = [(p.family_name, p.chart_number) for p in services.patients.search("c")]
    # Carter's name starts with C; the others are found by their chart number alone, in its order.
    assert found == [("Carter", "Z1"), ("Adams", "C100"), ("Zimmer", "C20"), ("Abbott", "C3")]
    assert [p.chart_number for p in services.patients.search("c", limit=2, offset=2)] == ["C20", "C3"]
    assert [p.family_name for p in services.patients.search("c1 adams")] == ["Adams"]


def test_reads_go_on_while_another_pc_holds_the_write_lock(clinic: Clinic, db_path: Path) -> None:  # noqa: F811
    c = clinic
    c.services.accounts.logout()
    c.services.accounts.login("dwhitford", PASSWORD)
    patient_id = c.patient.id or 0
    with sqlite3.connect(db_path, isolation_level=None) as other:
        other.execute("BEGIN IMMEDIATE")  # another PC in the middle of a save
        try:
            assert [p.id for p in c.services.patients.search("nguy")] == [patient_id]
            chart = c.services.patients.open_chart(patient_id, 100, viewed=False)
            assert chart.patient.id == patient_id and chart.session_count == len(chart.sessions) == 3
            assert c.services.sessions.history(patient_id)
            assert c.services.sessions.count_for_patient(patient_id) == 3
            assert c.services.sessions.get(c.signed.id or 0).is_signed
            assert c.services.clinic.clinicians()
        finally:
            other.execute("ROLLBACK")


def test_an_opened_chart_is_audited_once_and_a_reread_is_not(clinic: Clinic, clock: FakeClock) -> None:  # noqa: F811
    c = clinic
    c.services.accounts.logout()
    c.services.accounts.login("dwhitford", PASSWORD)
    patient_id = c.patient.id or 0
    chart = c.services.patients.open_chart(patient_id, 2)
    assert (len(chart.sessions), chart.session_count) == (2, 3)  # the count beyond the first page
    c.services.patients.open_chart(patient_id, 100, viewed=False)
    c.services.access.user = None
    rows = c.services.registers.audit(clock.now.date(), clock.now.date())
    viewed = [(r.entry.user, r.entry.patient_id) for r in rows if r.entry.action is AuditAction.PATIENT_VIEWED]
    assert viewed == [("dwhitford", patient_id)]


def test_a_deactivated_account_cannot_search_open_a_chart_or_save(clinic: Clinic) -> None:  # noqa: F811
    c = clinic
    c.services.accounts.logout()
    c.services.accounts.login("dwhitford", PASSWORD)
    with Session(c.services._engine) as db, db.begin():  # the administrator deactivates her from another PC
        db.execute(update(ClinicianRow).where(ClinicianRow.username == "dwhitford").values(active=False))
    for use_case in (
        lambda: c.services.patients.search("nguy"),
        lambda: c.services.patients.open_chart(c.patient.id or 0, 100),
        lambda: c.services.sessions.save_draft(c.draft),
    ):
        with pytest.raises(PermissionDenied, match="no longer active"):
            use_case()
