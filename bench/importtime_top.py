"""The ten slowest imports (cumulative) of a start of the window, from ``python -X importtime``: the closing
note's before/after of issue 14 (docs/PERFORMANCE.md, start-up).

    python bench/importtime_top.py --db CHART [--runs 3] [--source FOLDER]

Runs ``python -X importtime -m needlelog --db CHART --exit-after 0`` offscreen ``--runs`` times (from
``--source``, a checkout of another commit, to measure that one) and prints the top ten of the run whose
imports took least in all, with the total. ``--to-sign-in``: the same start, ended the moment the sign-in
window is painted (the program's start-up mark, ``needlelog/app.py``: what the person waits for first).
Not part of the runner: import times are not a SPEC §9 row.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TO_SIGN_IN = """
import os, sys
from needlelog import app

def mark(self, what):
    if what == "sign-in window":
        os._exit(0)

app.StartupMarks.mark = mark
from needlelog.cli import main
main(["--db", sys.argv[1]])
"""
LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def one_run(db: Path, source: Path, to_sign_in: bool) -> list[tuple[int, int, int, str]]:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "NEEDLELOG_HOME": home, "PYTHONPATH": str(source)}
        whole = ["-m", "needlelog", "--db", str(db), "--exit-after", "0"]
        command = ["-c", TO_SIGN_IN, str(db)] if to_sign_in else whole
        done = subprocess.run(
            [sys.executable, "-X", "importtime", *command],
            cwd=source,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    rows = []
    for line in done.stderr.splitlines():
        found = LINE.match(line)
        if found:
            own, cumulative, indent, name = found.groups()
            rows.append((int(cumulative), int(own), len(indent) // 2, name))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--source", type=Path, default=ROOT, help="the checkout whose needlelog is started")
    parser.add_argument("--to-sign-in", action="store_true", help="end at the sign-in window's first paint")
    args = parser.parse_args()
    runs = [one_run(args.db, args.source, args.to_sign_in) for _ in range(args.runs)]
    best = min(runs, key=lambda rows: sum(own for _c, own, _d, _n in rows))
    total = sum(own for _c, own, _d, _n in best)
    print(f"all imports: {total / 1000:.0f} ms, {len(best)} modules (the least of {args.runs} runs)")
    print("| cumulative | self | depth | module |\n|---:|---:|---:|---|")
    for cumulative, own, depth, name in sorted(best, reverse=True)[:10]:
        print(f"| {cumulative / 1000:.0f} ms | {own / 1000:.0f} ms | {depth} | `{name}` |")


if __name__ == "__main__":
    main()
