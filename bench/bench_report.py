"""`needlelog report` on a 100,000-session chart: the PDF and the CSV of the whole range, as a whole process.

    python bench/bench_report.py [--db clinic-100k.sqlite --sessions 100000]    # seeds it first if missing

Issue 15, item 3 (done when: under 10 s). Three runs of the real command (a fresh process each: start-up, the
three grouped queries, the PDF and the CSV, the audit row), each over every visit of the chart; printed beside
the floor measured in the same run: the same counts by one plain ``sqlite3`` GROUP BY over the same rows, which
any report must at least cost, and a bare ``python -c pass`` start.
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

FLOOR = """
SELECT clinician_id, strftime('%Y-%m', service_start), COUNT(*), SUM(needle_count), SUM(reactions != ''),
       SUM(' ' || reactions || ' ' LIKE '% bruising %'), SUM(' ' || reactions || ' ' LIKE '% bleeding %'),
       SUM(EXISTS (SELECT 1 FROM adverse_event e WHERE e.session_id = s.id)
           OR EXISTS (SELECT 1 FROM adverse_late_report r WHERE r.session_id = s.id))
FROM treatment_session s WHERE status = 'signed' GROUP BY 1, 2
"""


def seed(db: Path, sessions: int) -> None:
    run = [sys.executable, "-m", "needlelog", "seed", "--db", str(db)]
    subprocess.run([*run, "--patients", str(sessions // 10), "--sessions", str(sessions), "--seed", "3"], check=True)


def timed(step: Callable[[], object], runs: int = 3) -> str:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return " | ".join(f"{t:.2f} s" for t in times)


def report(db: Path, out: Path) -> None:
    command = [sys.executable, "-m", "needlelog", "report", "--db", str(db), "--from", "2000-01-01"]
    command += ["--to", "2100-12-31", "--out", str(out / "report.pdf"), "--csv", str(out / "report.csv")]
    subprocess.run(command, check=True, capture_output=True)


def floor(db: Path) -> None:
    with closing(sqlite3.connect(db)) as conn:
        conn.execute(FLOOR).fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "needlelog-bench-100k.sqlite")
    parser.add_argument("--sessions", type=int, default=100_000)
    args = parser.parse_args()
    if not args.db.exists():
        seed(args.db, args.sessions)
    out = Path(tempfile.mkdtemp(prefix="needlelog-bench-report-"))
    with closing(sqlite3.connect(args.db)) as conn:
        sessions = conn.execute("SELECT COUNT(*) FROM treatment_session").fetchone()[0]
    print(f"chart: {sessions:,} sessions, {args.db.stat().st_size / 2**20:.0f} MB")
    bare = [sys.executable, "-c", "pass"]
    print(f"floor, bare python start:            {timed(lambda: subprocess.run(bare, check=True))}")
    print(f"floor, plain sqlite3 GROUP BY:       {timed(lambda: floor(args.db))}")
    print(f"needlelog report (PDF + CSV):        {timed(lambda: report(args.db, out))}")
    pages = (out / "report.pdf").stat().st_size
    print(f"report.pdf {pages / 1024:.0f} KB, report.csv {(out / 'report.csv').stat().st_size / 1024:.0f} KB in {out}")


if __name__ == "__main__":
    main()
