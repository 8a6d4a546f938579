"""The house rules of imports (STYLE.md), checked on every import in the package, lazy ones included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "needlelog"
COMPOSITION_ROOT = {"app.py", "cli.py", "__main__.py"}


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules() -> list[tuple[str, set[str]]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("db/migrations/"):
            continue  # Alembic scripts: they import alembic and sqlalchemy by design
        found.append((relative, imports_of(path)))
    return found


def starts(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize(("module", "names"), modules(), ids=[m for m, _ in modules()])
def test_imports_run_one_way(module: str, names: set[str]) -> None:
    layer = module.split("/", maxsplit=1)[0] if "/" in module else module
    qt = {n for n in names if starts(n, "PySide6", "needlelog.ui")}
    if not module.startswith("ui/") and module not in COMPOSITION_ROOT:
        assert not qt, f"{module} imports Qt or the UI: {qt}"
    if module.startswith("ui/"):
        storage = {n for n in names if starts(n, "sqlalchemy", "alembic", "needlelog.db")}
        assert not storage, f"{module} reaches the database directly: {storage}"
    if layer == "domain":
        outside = {n for n in names if starts(n, "needlelog") and not starts(n, "needlelog.domain")}
        third_party = {n for n in names if starts(n, "sqlalchemy", "alembic", "reportlab", "platformdirs")}
        assert not outside | third_party, f"{module} must be plain Python: {outside | third_party}"
    if layer == "db":
        upward = {n for n in names if starts(n, "needlelog.services", "needlelog.reports", "needlelog.ui")}
        assert not upward, f"{module} imports a layer above it: {upward}"
    if layer == "services":
        assert not {n for n in names if starts(n, "needlelog.ui")}, module
    if layer == "reports":
        allowed = {
            n for n in names if starts(n, "needlelog") and not starts(n, "needlelog.domain", "needlelog.reports")
        }
        assert not allowed, f"{module} may use only the domain: {allowed}"
        assert not {n for n in names if starts(n, "sqlalchemy")}, module


def test_the_walk_sees_the_whole_package() -> None:
    seen = dict(modules())
    assert "ui/main_window.py" in seen and "PySide6.QtWidgets" in seen["ui/main_window.py"]
    assert "db/models.py" in seen and "sqlalchemy" in seen["db/models.py"]
