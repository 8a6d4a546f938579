from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from needlelog.services.seeding import seed_chart
from needlelog.services.store import Services, engine_at_head, open_chart
from tests.conftest import NOW, FakeClock


@pytest.fixture
def seeded_chart(tmp_path: Path) -> Iterator[Services]:
    """A small clinic: 60 patients, 3,000 sessions (some with more than a page of history)."""
    path = tmp_path / "clinic.sqlite"
    engine = engine_at_head(path)
    seed_chart(engine, 60, 3000, seed=11, now=NOW, workers=1)
    engine.dispose()
    services = open_chart(path, clock=FakeClock())
    yield services
    services.close()
