"""Seeding benchmark (SPEC §9: 500,000 sessions in ≤ 60 s), beside its floor measured in the same run.

    python bench/bench_seed.py                                  # 500,000 sessions / 50,000 patients
    python bench/bench_seed.py --sessions 100000 --patients 10000 --out seed.json

For each repeat, in a fresh temporary folder:

1. ``<python> -m needlelog seed --db <tmp>/bench.sqlite --patients P --sessions S --seed 1``
   in a subprocess, timed from start to exit (interpreter start, migrations, worker processes,
   writes, index builds, commit, close): this is the figure the SPEC budget applies to;
2. ``<python> -m needlelog check --db <tmp>/bench.sqlite``, which must exit 0;
3. a read-back with plain ``sqlite3``: row counts, and every needling site's dwell_minutes in
   5..15 and needles in 1..20;
4. the floor: plain ``sqlite3`` ``executemany`` of as many rows as the seeder wrote into
   treatment_session, needling_site and trigger_point, into tables with the same columns
   (declared types, primary keys and unique constraints as the real schema; no foreign keys,
   CHECKs or secondary indexes), with the seeder's pragmas (journal_mode=WAL, synchronous=FULL,
   the 256 MiB page cache it loads with) and one transaction. The rows are made before the clock
   starts by cycling 1,000 rows read back from the seeded file, with fresh ids, so they have the
   seeded rows' sizes. Timed from BEGIN to close (commit and the WAL checkpoint at close included):
   just the writes.

Plain ``time.perf_counter`` and ``subprocess``; nothing beyond the standard library.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BUDGET_SECONDS = 60.0
BUDGET_SIZE = (500_000, 50_000)  # sessions, patients: the SPEC §9 figure
SAMPLE = 1_000
FLOOR_TABLES = ("treatment_session", "needling_site", "trigger_point")
COUNTED_TABLES = ("clinician", "patient", "consent", "treatment_session", "needling_site", "trigger_point")
# Constraints the floor keeps because the real schema cannot load these tables without them.
FLOOR_UNIQUE = {"needling_site": ("session_id", "position"), "trigger_point": ("site_id", "position")}
LOAD_CACHE_PRAGMA = "PRAGMA cache_size = -262144"  # what needlelog.db.bulk.loading sets for a load


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cli(python: str, *args: str) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall seconds, CPU seconds (the process and the workers it waited for), and the finished process."""
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run([python, "-m", "needlelog", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, _children_cpu() - cpu, done


def require(done: subprocess.CompletedProcess[str], what: str) -> None:
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"bench_seed: `{what}` exited {done.returncode}")


def read_back(db: Path, sessions: int, patients: int) -> dict[str, int]:
    """Row counts of the seeded file, after asserting what the seeder promises."""
    conn = sqlite3.connect(db)
    try:
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED_TABLES}
        assert counts["treatment_session"] == sessions, counts
        assert counts["patient"] == patients, counts
        assert counts["needling_site"] > 0 or sessions == 0, counts
        bad_dwell = conn.execute(
            "SELECT count(*) FROM needling_site WHERE dwell_minutes IS NULL OR dwell_minutes NOT BETWEEN 5 AND 15"
        ).fetchone()[0]
        bad_needles = conn.execute(
            "SELECT count(*) FROM needling_site WHERE needles IS NULL OR needles NOT BETWEEN 1 AND 20"
        ).fetchone()[0]
        assert bad_dwell == 0, f"{bad_dwell} needling sites with dwell_minutes outside 5..15"
        assert bad_needles == 0, f"{bad_needles} needling sites with needles outside 1..20"
    finally:
        conn.close()
    return counts


def _columns(conn: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    """(name, declared type) of the columns the seeder writes: all but trigger_point's automatic id."""
    cols = [(row[1], row[2]) for row in conn.execute(f"PRAGMA table_info({table})")]
    return [c for c in cols if not (table == "trigger_point" and c[0] == "id")]


def floor_plan(seeded: Path, counts: dict[str, int]) -> list[tuple[str, str, str, list[tuple[Any, ...]]]]:
    """(table, CREATE, INSERT, rows) for each floor table, rows made here, before any clock starts."""
    conn = sqlite3.connect(seeded)
    plan = []
    try:
        for table in FLOOR_TABLES:
            cols = _columns(conn, table)
            names = [n for n, _ in cols]
            quoted = ", ".join(f'"{n}"' for n in names)
            sample = conn.execute(f"SELECT {quoted} FROM {table} ORDER BY rowid LIMIT {SAMPLE}").fetchall()
            n, k = counts[table], max(len(sample), 1)
            if table == "treatment_session":
                rows = [(i + 1, *sample[i % k][1:]) for i in range(n)]
            elif table == "needling_site":  # id, session_id, position, ...: unique (session_id, position)
                rows = [(i + 1, i // 4 + 1, i % 4, *sample[i % k][3:]) for i in range(n)]
            else:  # site_id, position, ...: one point per site id
                rows = [(i + 1, 0, *sample[i % k][2:]) for i in range(n)]
            defs = [f'"{name}" {kind}' for name, kind in cols]
            if table != "trigger_point":
                defs.append("PRIMARY KEY (id)")
            else:
                defs.insert(0, "id INTEGER PRIMARY KEY")
            if table in FLOOR_UNIQUE:
                defs.append(f"UNIQUE ({', '.join(FLOOR_UNIQUE[table])})")
            create = f"CREATE TABLE {table} ({', '.join(defs)})"
            insert = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join('?' * len(names))})"
            plan.append((table, create, insert, rows))
    finally:
        conn.close()
    return plan


def measure_floor(path: Path, plan: list[tuple[str, str, str, list[tuple[Any, ...]]]]) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    for _, create, _, _ in plan:
        conn.execute(create)
    conn.execute(LOAD_CACHE_PRAGMA)
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    for _, _, insert, rows in plan:
        conn.executemany(insert, rows)
    conn.execute("COMMIT")
    conn.close()  # the last connection checkpoints the WAL into the file, as the seeder's does
    return time.perf_counter() - started


def one_run(python: str, sessions: int, patients: int, workdir: str | None) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="needlelog-bench-", dir=workdir))
    try:
        db = folder / "bench.sqlite"
        seed_args = ["seed", "--db", str(db), "--patients", str(patients), "--sessions", str(sessions), "--seed", "1"]
        load_before = os.getloadavg()[0]
        seed_s, seed_cpu, done = run_cli(python, *seed_args)
        load_after = os.getloadavg()[0]
        require(done, "needlelog " + " ".join(seed_args))
        said = re.search(r"in ([0-9.]+) s", done.stdout)
        check_s, _, checked = run_cli(python, "check", "--db", str(db))
        require(checked, "needlelog check")
        counts = read_back(db, sessions, patients)
        db_bytes = db.stat().st_size
        plan = floor_plan(db, counts)
        floor_s = measure_floor(folder / "floor.sqlite", plan)
        floor_bytes = (folder / "floor.sqlite").stat().st_size
        floor_rows = sum(len(rows) for *_, rows in plan)
        del plan
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rows = sum(counts.values())
    return {
        "seed_wall_s": seed_s,
        "seed_reported_s": float(said.group(1)) if said else None,
        "seed_cpu_s": seed_cpu,
        "loadavg_1min_before_after": [load_before, load_after],
        "check_wall_s": check_s,
        "rows": counts,
        "rows_written": rows,
        "rows_per_s": rows / seed_s,
        "db_bytes": db_bytes,
        "floor_s": floor_s,
        "floor_rows": floor_rows,
        "floor_db_bytes": floor_bytes,
        "floor_rows_per_s": floor_rows / floor_s,
        "ratio_to_floor": seed_s / floor_s,
    }


def machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }


def table(runs: list[dict[str, Any]]) -> str:
    head = (
        f"{'run':>3}  {'seed wall s':>11}  {'rows written':>12}  {'rows/s':>9}  "
        f"{'floor s':>7}  {'floor rows/s':>12}  {'ratio':>5}  {'seed cpu s':>10}  {'load':>9}  {'check s':>7}"
    )
    lines = [head, "-" * len(head)]
    for i, r in enumerate(runs, 1):
        load = "{:.1f}→{:.1f}".format(*r["loadavg_1min_before_after"])
        lines.append(
            f"{i:>3}  {r['seed_wall_s']:>11.1f}  {r['rows_written']:>12,}  {r['rows_per_s']:>9,.0f}  "
            f"{r['floor_s']:>7.1f}  {r['floor_rows_per_s']:>12,.0f}  {r['ratio_to_floor']:>5.1f}  "
            f"{r['seed_cpu_s']:>10.1f}  {load:>9}  "
            f"{r['check_wall_s']:>7.1f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=500_000)
    parser.add_argument("--patients", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--out", type=Path, help="also write the results here as JSON")
    parser.add_argument("--workdir", help="where the temporary databases go (default: the system temp folder)")
    parser.add_argument("--python", default=sys.executable, help="interpreter that runs needlelog (default: this one)")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.sessions < 1 or args.patients < 1:
        parser.error("--sessions, --patients and --repeat must be at least 1")

    facts = machine()
    print(
        f"needlelog seed --patients {args.patients:,} --sessions {args.sessions:,} --seed 1; "
        f"nproc {facts['nproc']}, Python {facts['python']}, SQLite {facts['sqlite']}",
        flush=True,
    )
    runs = []
    for _ in range(args.repeat):
        runs.append(one_run(args.python, args.sessions, args.patients, args.workdir))
    print(table(runs))
    r = runs[0]["rows"]
    print(
        f"rows: {r['treatment_session']:,} sessions, {r['needling_site']:,} needling sites, "
        f"{r['trigger_point']:,} trigger points, {r['patient']:,} patients, {r['consent']:,} consents; "
        f"floor = the first three only"
    )
    seed_times = [run["seed_wall_s"] for run in runs]
    summary: dict[str, Any] = {
        "seed_wall_s_min": min(seed_times),
        "seed_wall_s_median": statistics.median(seed_times),
        "floor_s_min": min(run["floor_s"] for run in runs),
        "ratio_to_floor_median": statistics.median(run["ratio_to_floor"] for run in runs),
    }
    if (args.sessions, args.patients) == BUDGET_SIZE:
        worst = max(seed_times)
        summary["budget_s"] = BUDGET_SECONDS
        summary["within_budget"] = worst <= BUDGET_SECONDS
        verdict = "within" if worst <= BUDGET_SECONDS else "OVER"
        print(f"SPEC §9 budget {BUDGET_SECONDS:.0f} s: slowest run {worst:.1f} s, {verdict} budget")
    if args.out:
        result = {
            "benchmark": "seed",
            "command": f"{Path(args.python).name} -m needlelog seed --db <tmp>/bench.sqlite "
            f"--patients {args.patients} --sessions {args.sessions} --seed 1",
            "sessions": args.sessions,
            "patients": args.patients,
            "machine": facts,
            "runs": runs,
            "summary": summary,
        }
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
