"""The house rules of imports (STYLE.md) are import-linter contracts in pyproject.toml, run by `lint-imports`.

Here: the package keeps them, and each contract can fail. For each, a copy of the package gets one planted
violation (relative and in-function imports among them) and `lint-imports` must report that contract broken,
naming the planted module, so the copy and not the checkout was read.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONTRACTS = {
    contract["name"]: contract
    for contract in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
}
LAYERS = "Imports run one way: ui -> services -> db -> domain, and reports -> domain"
QT = "Qt lives only in the UI and the composition root"
CLI = "The command line reaches Qt only through the composition root, when it opens the window"
UI = "The UI reaches storage and reports only through the services"
DOMAIN = "The domain is plain Python: the standard library only"


def lint_imports(root: Path) -> tuple[int, str]:
    """Run `lint-imports` on the package under ``root``; its exit code and its report on one line."""
    env = {**os.environ, "COLUMNS": "400", "NO_COLOR": "1", "PYTHONPATH": ""}
    done = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], check=False, cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    return done.returncode, " ".join((done.stdout + done.stderr).split())


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The package, its contracts and the custom contract type, copied to a folder lint-imports runs in."""
    shutil.copytree(ROOT / "needlelog", tmp_path / "needlelog", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "__init__.py").write_text("")
    shutil.copy(ROOT / "tests" / "import_contracts.py", tmp_path / "tests")
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_package_keeps_every_contract() -> None:
    assert set(CONTRACTS) == {LAYERS, QT, CLI, UI, DOMAIN}
    code, report = lint_imports(ROOT)
    assert code == 0, report
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in report


def test_an_untouched_copy_keeps_every_contract(copy: Path) -> None:
    code, report = lint_imports(copy)
    assert code == 0, report


# (contract, planted file relative to the package, its text, the module lint-imports must name)
PLANTED = [
    (
        LAYERS,
        "reports/bad.py",
        "def load():\n    from ..db import engine\n\n    return engine\n",
        "needlelog.reports.bad",
    ),
    (LAYERS, "db/bad.py", "from ..ui.widgets import common\n", "needlelog.db.bad"),
    (LAYERS, "domain/bad.py", "from ..ui import main_window\n", "needlelog.domain.bad"),
    (QT, "services/bad.py", "import shiboken6\n", "needlelog.services.bad"),
    (QT, "db/bad.py", "def show():\n    from PySide6.QtWidgets import QMessageBox\n", "needlelog.db.bad"),
    (CLI, "cli.py", "from PySide6 import QtCore\n", "needlelog.cli"),
    (UI, "ui/bad.py", "import needlelog.reports.visit_note\n", "needlelog.ui.bad"),
    (UI, "ui/bad.py", "from sqlalchemy import select\n", "needlelog.ui.bad"),
    (UI, "ui/bad.py", "from ..db import records\n", "needlelog.ui.bad"),
    (DOMAIN, "domain/bad.py", "import argon2\n", "needlelog.domain.bad"),
    (DOMAIN, "domain/bad.py", "def parse():\n    import platformdirs\n", "needlelog.domain.bad"),
    (DOMAIN, "domain/bad.py", "from ..ui import main_window\n", "needlelog.domain.bad"),
]


@pytest.mark.parametrize(
    ("contract", "path", "text", "module"), PLANTED, ids=[f"{p[1]}: {p[2].split()[1]}" for p in PLANTED]
)
def test_each_contract_fails_on_a_planted_violation(
    copy: Path, contract: str, path: str, text: str, module: str
) -> None:
    target = copy / "needlelog" / path
    target.write_text(target.read_text() + "\n" + text if target.exists() else text)
    code, report = lint_imports(copy)
    assert code == 1, report
    assert f"{contract} BROKEN" in report, report
    assert module in report.split("Broken contracts", 1)[1], report


def test_every_contract_has_a_planted_violation() -> None:
    assert {contract for contract, *_ in PLANTED} == set(CONTRACTS)
