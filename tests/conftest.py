"""Shared fixtures: a real SQLite file per test, copied from one migrated template.

Every application folder is redirected into the test's own temporary folder, Qt runs
offscreen, and the clock is injected so that no test depends on today's date.
"""

from __future__ import annotations

import gc
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import Parameters, PasswordHasher, Type
from hypothesis import settings

from needlelog.db.chart_key import KeyWrapping
from needlelog.domain.model import Clinic, Clinician, Consent, Patient, Screening
from needlelog.domain.vocab import ConsentMethod
from needlelog.services.store import Services, build_services, engine_at_head, open_chart
from needlelog.ui.widgets.main_thread_gc import collect_if_due

# Before any test imports Qt (these imports above do not).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# No per-example deadline: on a shared CI machine a slow moment would fail a correct test.
settings.register_profile("needlelog", deadline=None)
settings.load_profile("needlelog")

NOW = datetime(2026, 3, 10, 16, 30, tzinfo=UTC)

# Argon2id at its minimum cost: the program's algorithm and format, a thousandth of its time. Every chart a
# test opens gets it through the composition root (open_chart / build_services); the program's own cost is
# proved to be the documented one in tests/services/test_access.py.
TEST_HASHING = Parameters(type=Type.ID, version=19, salt_len=16, hash_len=32, time_cost=1, memory_cost=8, parallelism=1)
TEST_HASHER = PasswordHasher.from_parameters(TEST_HASHING)
# The chart key's wrapping at Argon2id's minimum cost likewise (the program's is proved in test_chart_key.py).
TEST_WRAPPING = KeyWrapping(time_cost=1, memory_cost=8, parallelism=1)


def copy_chart(source: Path, target: Path) -> None:
    """``source`` copied to ``target`` as one consistent file, whatever its write-ahead log holds
    (SQLite's backup API), so a template can be copied while it is still open."""
    with closing(sqlite3.connect(source)) as original, closing(sqlite3.connect(target)) as copy:
        original.backup(copy)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(autouse=True, scope="session")
def _collect_garbage_on_the_main_thread() -> Iterator[None]:
    """As the program does (ui/widgets/main_thread_gc.py): no collection in an export's or a backup's thread,
    where it could destroy a window a test left in a reference cycle (a segmentation fault seen once)."""
    gc.disable()
    yield
    gc.enable()


@pytest.fixture(autouse=True)
def _collect_between_tests() -> Iterator[None]:
    yield
    collect_if_due()  # in the main thread, with CPython's own thresholds


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEEDLELOG_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("NEEDLELOG_DB", raising=False)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    engine_at_head(path).dispose()
    return path


@pytest.fixture
def db_path(template_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "chart.sqlite"
    copy_chart(template_db, path)
    return path


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def services(db_path: Path, clock: FakeClock) -> Iterator[Services]:
    chart = open_chart(db_path, clock=clock, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    chart.clinic.save_clinic(Clinic(name="Bow River Physiotherapy", address="12 Centre Ave W", phone="403-555-0142"))
    yield chart
    chart.close()


@pytest.fixture
def clinician(services: Services) -> Clinician:
    return services.clinic.add_clinician(
        Clinician("Dana Whitford", "dwhitford", "PT, MScPT", "PT-04417", authorised_to_needle=True)
    )


def make_patient(chart: str = "C100", **changes: object) -> Patient:
    values: dict[str, object] = {
        "chart_number": chart,
        "family_name": "Nguyễn",
        "given_name": "Zoë",
        "date_of_birth": date(1984, 5, 17),
        "screening": Screening(),
        "consent": Consent(date(2026, 1, 5), ConsentMethod.WRITTEN, "Dana Whitford"),
    }
    values.update(changes)
    return Patient(**values)  # type: ignore[arg-type]


@pytest.fixture
def patient(services: Services) -> Patient:
    return services.patients.create(make_patient())


def rebuild(db_path: Path, clock: FakeClock) -> Services:
    """A second, independent opening of the same file (another window, another PC)."""
    return build_services(engine_at_head(db_path), clock, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
