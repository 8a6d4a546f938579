"""One version, from one place (needlelog/__init__.py): the command line, the package metadata, the About box,
the printed visit note, and what the bundle and the Debian package are built with all say the same."""

from __future__ import annotations

import io
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from pypdf import PdfReader
from pytestqt.qtbot import QtBot

from needlelog import __version__
from needlelog.reports.visit_note import render_visit_note
from needlelog.services.store import open_chart
from tests.conftest import TEST_HASHER, TEST_WRAPPING
from tests.reports.test_visit_note import signed_note

ROOT = Path(__file__).resolve().parents[1]


def test_the_version_is_read_from_the_package_by_the_build() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["dynamic"] == ["version"] and "version" not in project["project"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "needlelog.__version__"}
    assert metadata.version("needlelog") == __version__


def test_the_command_line_says_the_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "needlelog", "--version"], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == f"needlelog {__version__}"


def test_the_debian_package_and_the_notices_take_the_same_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "packaging"))
    import build_deb

    assert build_deb.version() == __version__
    assert "Version: @VERSION@" in (ROOT / "packaging" / "debian" / "control.in").read_text(encoding="utf-8")


def test_the_about_box_says_the_version(qtbot: QtBot, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QLabel

    from needlelog.ui.dialogs.about import AboutDialog

    services = open_chart(tmp_path / "chart.sqlite", hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    try:
        dialog = AboutDialog(services)
        qtbot.addWidget(dialog)
        assert dialog.findChild(QLabel, "aboutVersion").text() == __version__
    finally:
        services.close()


def test_the_printed_note_s_footer_says_the_version() -> None:
    reader = PdfReader(io.BytesIO(render_visit_note(signed_note())))
    for page in reader.pages:
        assert f"needlelog {__version__}" in page.extract_text()
