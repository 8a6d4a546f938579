"""What the backup engine costs on a large chart: the start-up inspection, a backup, the unchanged check, a restore.

    python bench/bench_restore.py [--db clinic-100k.sqlite --sessions 100000]    # seeds it first if missing

Issue 12, items 1-3. Each step runs on a scratch copy of the chart, three times; printed beside the floor
measured in the same run: a plain file copy (``shutil.copyfile``) of the same file, which is what any
backup must at least cost, and SQLite's own ``quick_check`` / ``integrity_check`` through a bare connection.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path


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


def bare(path: Path, pragma: str) -> None:
    with closing(sqlite3.connect(path)) as conn:
        conn.execute(f"PRAGMA {pragma}").fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "needlelog-bench-100k.sqlite")
    parser.add_argument("--sessions", type=int, default=100_000)
    args = parser.parse_args()
    if not args.db.exists():
        seed(args.db, args.sessions)

    from needlelog.db import health
    from needlelog.services import backups
    from needlelog.services.store import open_chart

    scratch = Path(tempfile.mkdtemp(prefix="needlelog-bench-restore-"))
    chart = scratch / "clinic.sqlite"
    shutil.copyfile(args.db, chart)
    folder = scratch / "backups"
    print(f"chart: {chart.stat().st_size / 2**20:.0f} MB ({args.db.name})")
    print(f"floor, plain file copy:             {timed(lambda: shutil.copyfile(chart, scratch / 'plain.copy'))}")
    print(f"floor, bare quick_check:            {timed(lambda: bare(chart, 'quick_check'))}")
    print(f"floor, bare integrity_check:        {timed(lambda: bare(chart, 'integrity_check'))}")
    print(f"start-up inspection (inspect_chart): {timed(lambda: backups.inspect_chart(chart))}")
    print(f"check, thorough (with foreign keys): {timed(lambda: health.file_problems(chart, thorough=True))}")

    def changed_backup() -> None:
        services = open_chart(chart)
        try:
            services.clinic.save_clinic(services.clinic.clinic())
        finally:
            services.close()
        assert backups.take_backup(chart, folder) is not None

    print(f"backup after a change (take_backup): {timed(changed_backup)}")
    print(f"unchanged, skipped (take_backup):    {timed(lambda: backups.take_backup(chart, folder))}")
    newest = backups.newest_good_backup(folder, chart)
    assert newest is not None
    print(f"restore of the newest copy:          {timed(lambda: backups.restore(chart, newest.path))}")
    shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
