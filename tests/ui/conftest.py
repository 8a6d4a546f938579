from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from needlelog.services.seeding import seed_chart
from needlelog.services.store import Services, engine_at_head, open_chart
from needlelog.ui.window import quit_question
from tests.conftest import NOW, TEST_HASHER, TEST_WRAPPING, FakeClock, copy_chart


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small clinic, seeded once per test session (per worker under xdist: each has its own temp folder)."""
    path = tmp_path_factory.mktemp("seeded") / "clinic.sqlite"
    engine = engine_at_head(path)
    try:
        seed_chart(engine, 60, 3000, seed=11, now=NOW, workers=1)
    finally:
        engine.dispose()
    return path


@pytest.fixture
def seeded_chart(seeded_template: Path, tmp_path: Path) -> Iterator[Services]:
    """A small clinic: 60 patients, 3,000 sessions (some with more than a page of history), a copy for this test."""
    path = tmp_path / "clinic.sqlite"
    copy_chart(seeded_template, path)
    services = open_chart(path, clock=FakeClock(), hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    yield services
    services.close()


@pytest.fixture(autouse=True)
def quit_question_answered_yes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Closing a main window with a dwell timer running asks before quitting. A test that is not about that
    question says yes (a real box would wait for a click until the test's time ran out); the counts of
    running timers it was asked about are listed. tests/ui/test_sign_out.py asks the real question."""
    asked: list[int] = []

    def yes(_parent: object, timers: list[object], names_hidden: bool) -> bool:
        asked.append(len(timers))
        return True

    monkeypatch.setattr(quit_question, "quit_anyway", yes)
    return asked
