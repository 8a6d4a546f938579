"""Size limits (STYLE.md 10b, issue 10): no module of `needlelog/` over 600 lines, no function over 80
(the Alembic revisions aside: each is a dated record of one schema change, never edited).

A function is measured from its `def` line to the last line of its body (`ast` `lineno` / `end_lineno`, so
decorators do not count); nested functions and methods are measured on their own as well.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "needlelog"
MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 80


def file_lines(source: str) -> int:
    return len(source.splitlines())


def long_functions(source: str, limit: int = MAX_FUNCTION_LINES) -> list[tuple[str, int, int]]:
    """Each function or method of ``source`` longer than ``limit`` lines: (name, its def line, its length)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > limit:
                found.append((node.name, node.lineno, length))
    return sorted(found, key=lambda item: item[1])


def modules() -> list[Path]:
    found = sorted(path for path in PACKAGE.rglob("*.py") if "migrations" not in path.relative_to(PACKAGE).parts)
    assert len(found) > 40, PACKAGE  # the walk found the package, not an empty folder
    return found


def test_no_module_is_over_600_lines() -> None:
    too_long = {
        str(path.relative_to(PACKAGE)): lines
        for path in modules()
        if (lines := file_lines(path.read_text(encoding="utf-8"))) > MAX_FILE_LINES
    }
    assert too_long == {}, f"split these into panels or modules of at most {MAX_FILE_LINES} lines"


def test_no_function_is_over_80_lines() -> None:
    too_long = [
        f"{path.relative_to(PACKAGE)}:{line} {name} ({length} lines)"
        for path in modules()
        for name, line, length in long_functions(path.read_text(encoding="utf-8"))
    ]
    assert too_long == [], f"break these into named builder methods of at most {MAX_FUNCTION_LINES} lines"


def test_the_measure_counts_from_def_to_the_end_of_the_body() -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(79))
    # def + 79 body lines = 80: allowed, and a decorator does not count.
    assert long_functions(f"@decorated\ndef fits():\n{body}") == []
    assert long_functions(f"def one_more():\n{body}    x = 79\n") == [("one_more", 1, 81)]
    # A method holding a nested function: each measured on its own (lines 2-82 and 3-82).
    nested = "class Dialog:\n    def build(self):\n        def inner():\n" + body.replace("    x", "            x")
    assert long_functions(nested) == [("build", 2, 81)]
    assert file_lines("a = 1\n" * 601) == 601
