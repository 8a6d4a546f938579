"""One clock (STYLE.md 10c): every "now" in the program comes from the clock the composition root
injects, so a test that moves it moves everything. Nothing reads the wall clock behind its back."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "needlelog"
THE_CLOCK = PACKAGE / "services" / "base.py"  # utc_now: the one place the wall clock is read

# (object, attribute) pairs that read the wall clock's date or time of day.
WALL_CLOCK = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("QDate", "currentDate"),
    ("QDateTime", "currentDateTime"),
    ("QDateTime", "currentDateTimeUtc"),
    ("QTime", "currentTime"),
    ("time", "time"),
    ("time", "localtime"),
    ("time", "gmtime"),
}


def wall_clock_reads(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
            if (name, node.func.attr) in WALL_CLOCK:
                found.append((node.lineno, f"{name}.{node.func.attr}()"))
    return found


def test_nothing_but_the_clock_reads_the_wall_clock() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {call}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != THE_CLOCK and "migrations" not in path.parts
        for line, call in wall_clock_reads(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_check_finds_each_way_of_reading_it() -> None:
    source = "\n".join(
        [
            "datetime.now(UTC)",
            "dt.datetime.now()",
            "date.today()",
            "QDate.currentDate()",
            "QDateTime.currentDateTime()",
            "time.time()",
            "clock()",  # the injected clock: allowed
            "time.monotonic()",  # an interval, not a date: allowed
        ]
    )
    assert [call for _, call in wall_clock_reads(source)] == [
        "datetime.now()",
        "datetime.now()",
        "date.today()",
        "QDate.currentDate()",
        "QDateTime.currentDateTime()",
        "time.time()",
    ]
