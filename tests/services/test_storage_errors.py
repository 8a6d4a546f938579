"""No public service method lets a driver's exception out: storage failures arrive as typed errors in words.

Every public method of every service class is found by introspection (a method added tomorrow is walked
too) and called, with plausible arguments, against a real chart file that has been damaged underneath the
open services: overwritten with bytes that are no database, or emptied. Each call must raise
:class:`StorageError` (the methods that never touch the chart are named, with why, in ``REACHES_NO_CHART``).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import random
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import needlelog.services
from needlelog.db.keyfile import UnauditedFailure
from needlelog.domain.errors import NeedlelogError, StorageError
from needlelog.domain.lots import NeedleLot
from needlelog.domain.model import Clinic, Clinician, Consent, NeedlingSite
from needlelog.domain.registers import CaseStatus, Severity
from needlelog.domain.vocab import AdverseEventKind, BodyRegion, Condition, ConsentMethod, Role, Side, TreatmentPlan
from needlelog.services.base import UseCases
from needlelog.services.exporting import ExportCriteria
from needlelog.services.store import Services
from tests.conftest import FakeClock, make_patient

PASSWORD = "correct horse battery"

# Methods that never open the chart, so nothing about it can fail: "Class.method": why.
REACHES_NO_CHART = {
    "AccountService.hash_password": "hashes a password in memory",
    "AccountService.logout": "forgets who is signed in; nothing is stored",
    "AccountService.take_recovery_key": "hands over the recovery key held in memory, once",
    "AccountService.costs": "hands over the hasher and the wrapping's cost held in memory",
    "AccountService.keep_side_file": "a plain chart has no file of keys: its wrappings are read from the chart",
}


def _service_classes() -> list[type[UseCases]]:
    for module in pkgutil.iter_modules(needlelog.services.__path__):
        importlib.import_module(f"needlelog.services.{module.name}")
    found: list[type[UseCases]] = []
    pending = list(UseCases.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted(found, key=lambda cls: cls.__name__)


def _public_methods() -> list[tuple[type[UseCases], str]]:
    return [
        (cls, name)
        for cls in _service_classes()
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_")
    ]


METHODS = _public_methods()


class Chart:
    """The records a use case is asked about, made while the chart was still sound."""

    def __init__(self, services: Services, clock: FakeClock, tmp_path: Path) -> None:
        self.services = services
        self.clinician = services.clinic.add_clinician(
            Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417", authorised_to_needle=True)
        )
        services.accounts.set_password(self.clinician.id or 0, PASSWORD)
        self.patient = services.patients.create(make_patient())
        site = NeedlingSite(BodyRegion.NECK, Side.RIGHT, needles=2, dwell_minutes=10, timer_started=clock.now)
        draft = services.sessions.new_draft(
            self.patient.id or 0, self.clinician.id or 0, clock.now - timedelta(hours=1)
        )
        self.draft = services.sessions.save_draft(replace(draft, sites=(site,)))
        # Signed in with every role, so no use case stops at a permission before it reaches the chart.
        self.user = replace(self.clinician, roles=frozenset(Role))
        self.today = clock.now.date()
        self.tmp_path = tmp_path

    def by_name(self) -> dict[str, object]:
        clinician_id = self.clinician.id or 0
        return {
            "patient_id": self.patient.id,
            "clinician_id": clinician_id,
            "signer_id": clinician_id,
            "account_id": clinician_id,
            "session_id": self.draft.id,
            "site_index": 0,
            "minutes": 10,
            "page": 100,
            "password": PASSWORD,
            "recovery_key": "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH",
            "username": "newadmin",
            "display_name": "New Administrator",
            "text": "Ng",
            "reason": "Wrong side recorded",
            "detail": "the chart's file encrypted with SQLCipher",
            "failures": [
                UnauditedFailure("dwhitford", datetime(2026, 3, 10, 16, 0, tzinfo=UTC), "account", "failure 1")
            ],
            "dropped": 0,
            "lot": "L2301-11",
            "first": self.today - timedelta(days=30),
            "last": self.today,
            "on": self.today,
            "path": self.tmp_path / "note.pdf",
            "out_dir": self.tmp_path / "notes",
            "plan": TreatmentPlan.ACUTE,
            "condition": Condition.NECK_HEADACHE,
            "started_on": self.today,
            "pdf": self.tmp_path / "report.pdf",
            "csv": self.tmp_path / "register.csv",
            "chart_number": "C100",
            "visit_day": self.today,
            "description": "Short of breath the next morning.",
        }

    def by_type(self) -> dict[str, object]:
        return {
            "Clinician": self.clinician,
            "Patient": self.patient,
            "TreatmentSession": self.draft,
            "Clinic": Clinic("Bow River Physiotherapy"),
            "Consent": Consent(self.today, ConsentMethod.VERBAL, "Dana Whitford"),
            "NeedleLot": NeedleLot("Seirin J-type", "0.25 x 30 mm", "L2301-11", date(2030, 1, 31)),
            "ExportCriteria": ExportCriteria(self.today - timedelta(days=30), self.today, include_drafts=True),
            "AdverseEventKind": AdverseEventKind.PNEUMOTHORAX,
            "Severity | None": Severity.MINOR,
            "CaseStatus": CaseStatus.OPEN,
        }

    def arguments(self, method: Callable[..., Any]) -> dict[str, object]:
        """A plausible value for each parameter without a default: one a sound chart would accept."""
        named, typed = self.by_name(), self.by_type()
        values: dict[str, object] = {}
        for parameter in inspect.signature(method).parameters.values():  # bound: no self
            if parameter.default is not inspect.Parameter.empty:
                continue
            if str(parameter.annotation) in typed:
                values[parameter.name] = typed[str(parameter.annotation)]
            elif parameter.name in named:
                values[parameter.name] = named[parameter.name]
            else:
                raise AssertionError(
                    f"{method.__qualname__}: no plausible value for {parameter.name}: {parameter.annotation}; "
                    "add one to Chart.by_name or Chart.by_type in this test"
                )
        return values


def _garbage(path: Path) -> None:
    size = max(path.stat().st_size, 8192)
    path.write_bytes(random.Random(7).randbytes(size))


def _emptied(path: Path) -> None:
    path.write_bytes(b"")


@pytest.fixture(params=[_garbage, _emptied], ids=["overwritten-with-garbage", "emptied"])
def damaged(
    request: pytest.FixtureRequest, services: Services, db_path: Path, clock: FakeClock, tmp_path: Path
) -> Iterator[Chart]:
    chart = Chart(services, clock, tmp_path)
    services.close()  # every pooled connection closed: the next use case opens the file afresh
    for sidecar in (db_path.with_name(db_path.name + "-wal"), db_path.with_name(db_path.name + "-shm")):
        sidecar.unlink(missing_ok=True)
    request.param(db_path)
    yield chart


def test_every_public_service_method_is_walked() -> None:
    walked = {f"{cls.__name__}.{name}" for cls, name in METHODS}
    assert {"PatientService.search", "SessionService.save_draft", "ExportService.export"} <= walked
    assert {cls.__name__ for cls, _ in METHODS} >= {
        "AccountService",
        "ClinicService",
        "ExportService",
        "PatientService",
        "RegisterService",
        "SessionService",
    }
    assert set(REACHES_NO_CHART) <= walked, "a method named in REACHES_NO_CHART no longer exists"
    assert len(METHODS) >= 45


@pytest.mark.parametrize(("cls", "name"), METHODS, ids=[f"{cls.__name__}.{name}" for cls, name in METHODS])
def test_a_damaged_chart_is_a_storage_error_in_words(damaged: Chart, cls: type[UseCases], name: str) -> None:
    services = damaged.services
    service = next(s for s in vars(services).values() if type(s) is cls)
    services.access.user, services.access.locked = damaged.user, False
    method = getattr(service, name)
    try:
        result = method(**damaged.arguments(method))
        if inspect.isgenerator(result):
            list(result)
    except NeedlelogError as exc:
        qualified = f"{cls.__name__}.{name}"
        assert qualified not in REACHES_NO_CHART, f"{qualified} reached the chart after all: {exc!r}"
        assert isinstance(exc, StorageError), f"{qualified} raised {exc!r}, not a StorageError"
        assert "could not be read or written" in str(exc)
        assert exc.__cause__ is None and exc.__suppress_context__  # the driver's traceback stays below
    except Exception as exc:  # the point of the test: nothing else may come out
        pytest.fail(f"{cls.__name__}.{name} let a driver's exception out: {type(exc).__module__}.{exc!r}")
    else:
        assert f"{cls.__name__}.{name}" in REACHES_NO_CHART, f"{cls.__name__}.{name} succeeded on a damaged chart"
