"""Admin → Move this chart to the clinic's server…: the same move as `needlelog migrate-to`, in the window,
with its progress and its result or refusal in words (issue 16, item 2)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from needlelog.db import chart_copy
from needlelog.db.engine import open_engine
from needlelog.services.seeding import seed_chart
from needlelog.services.store import Services, engine_at_head, open_chart
from needlelog.ui.dialogs.move_to_server import MoveToServerDialog
from needlelog.ui.main_window import MainWindow
from tests.conftest import TEST_HASHER, TEST_WRAPPING
from tests.pg_server import fresh_database

PG_URL = os.environ.get("NEEDLELOG_TEST_PG_URL")
pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="NEEDLELOG_TEST_PG_URL is not set")]
PASSWORD = "the administrator's 9"


@pytest.fixture
def admin_chart(tmp_path: Path) -> Iterator[Services]:
    path = tmp_path / "chart.sqlite"
    engine = engine_at_head(path)
    seed_chart(engine, 10, 60, seed=2, workers=1)
    engine.dispose()
    services = open_chart(path, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    services.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
    services.accounts.login("admin", PASSWORD)
    yield services
    services.close()


def test_the_administrator_moves_the_chart_from_the_window(qtbot: QtBot, admin_chart: Services) -> None:
    assert PG_URL
    window = MainWindow(admin_chart, None)
    qtbot.addWidget(window)
    assert window.move_action.isVisible()
    with fresh_database(PG_URL) as server:
        window.move_action.trigger()
        dialog = window.dialogs[-1]
        assert isinstance(dialog, MoveToServerDialog)
        qtbot.mouseClick(dialog.move_button, Qt.MouseButton.LeftButton)
        assert dialog.message.text().startswith("Give the server's database URL")
        qtbot.keyClicks(dialog.url, server.url)
        qtbot.mouseClick(dialog.move_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not dialog.running() and dialog.move_button.isEnabled(), timeout=60_000)
        assert dialog.message.text().startswith("Moved 60 sessions"), dialog.message.text()
        assert dialog.progress.value() == dialog.progress.maximum()
        engine = open_engine(server.url)
        try:
            assert chart_copy.row_counts(engine)["treatment_session"] == 60
        finally:
            engine.dispose()
        qtbot.mouseClick(dialog.move_button, Qt.MouseButton.LeftButton)  # again: the server is not empty now
        qtbot.waitUntil(lambda: not dialog.running() and dialog.move_button.isEnabled(), timeout=60_000)
        assert dialog.message.text().startswith("Not moved: The server's database is not empty")
        dialog.reject()
