"""Every SPEC §9 benchmark in one run, on one bench chart; the table in docs/PERFORMANCE.md rewritten.

    .venv/bin/python bench/run_all.py --sessions 500000 --patients 50000
    .venv/bin/python bench/run_all.py --sessions 200 --patients 20 --quick --no-write   # the smoke run

1. The bench chart is made the way a clinic's chart is made: ``needlelog seed`` as a whole process, timed
   as the seed row beside its floor (the same rows written by plain ``sqlite3`` into tables of the same
   columns, ``bench_seed.py``), checked (a read-back; ``needlelog check`` too with ``--check``); one patient
   with 200 visits seeded after it (untimed: the chart the open-patient target names); then the accounts, added through
   the services as a clinic adds them (an administrator, who adds the clinician ``bench``).
2. Each script of ``SCRIPTS`` present in ``bench/`` is run as
   ``python bench/bench_X.py --db CHART --user bench --password PW --json OUT.json [--quick]``;
   a script not there yet is skipped with a line saying so. Each must leave the chart unchanged: the
   runner compares the chart's digest before and after, and a script that changed it fails the run.
3. The machine (nproc, load average before and after, Python, SQLite, Qt, commit) and one table of every
   row are printed, and, unless ``--no-write``, the table replaces the one between the markers of
   docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

# The scripts the runner runs, in this order (start-up first, on a machine not yet warmed by the others).
SCRIPTS = ("bench_startup.py", "bench_ui.py", "bench_note.py", "bench_export.py", "bench_check.py")
PERFORMANCE = common.ROOT / "docs" / "PERFORMANCE.md"
START, END = "<!-- bench:table:start -->", "<!-- bench:table:end -->"
SEED_BUDGET_S = 60.0
LONG_PATIENT_VISITS = 200
SCRIPT_TIMEOUT_S = 3600


def make_chart(chart: Path, sessions: int, patients: int, check: bool = False) -> list[dict[str, Any]]:
    """Seed the bench chart (timed, beside its floor), add the 200-visit patient and the accounts."""
    import bench_seed

    seed_args = ["seed", "--db", str(chart), "--patients", str(patients), "--sessions", str(sessions), "--seed", "1"]
    print(f"seeding: needlelog {' '.join(seed_args[3:])}", flush=True)
    wall, cpu, done = common.needlelog(*seed_args)
    common.require(done, "needlelog seed")
    if check:  # every seal and fingerprint recomputed: many minutes on 500,000 sessions, so only when asked
        _, _, checked = common.needlelog("check", "--db", str(chart))
        common.require(checked, "needlelog check")
    counts = bench_seed.read_back(chart, sessions, patients)
    plan = bench_seed.floor_plan(chart, counts)
    floor = bench_seed.measure_floor(chart.with_name("floor.sqlite"), plan)
    floor_rows = sum(len(rows) for *_, rows in plan)
    del plan
    chart.with_name("floor.sqlite").unlink()
    for suffix in ("-wal", "-shm"):
        chart.with_name("floor.sqlite" + suffix).unlink(missing_ok=True)
    written = sum(counts.values())
    seed_row = common.row(
        f"needlelog seed of {sessions:,} sessions / {patients:,} patients",
        f"≤ {SEED_BUDGET_S:.0f} s",
        wall,
        "s",
        floor=floor,
        floor_what=f"the same {floor_rows:,} session, site and point rows by plain sqlite3 executemany",
        met=wall <= SEED_BUDGET_S,
        note=f"whole process; {written:,} rows; CPU {cpu:.1f} s (seed and its workers)",
    )
    _, _, long_one = common.needlelog(
        "seed",
        "--db",
        str(chart),
        "--patients",
        "1",
        "--sessions",
        str(LONG_PATIENT_VISITS),
        "--seed",
        "2",
        "--clinicians",
        "1",
    )
    common.require(long_one, "needlelog seed (the 200-visit patient)")
    common.add_accounts(chart)
    common.write_rows(None, [seed_row])
    return [seed_row]


def digest(chart: Path) -> str:
    """The chart's content: its write-ahead log checkpointed into the file, then the file's SHA-256."""
    with closing(common.connect(chart)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    sha = hashlib.sha256()
    with chart.open("rb") as file:
        while block := file.read(1 << 20):
            sha.update(block)
    return sha.hexdigest()


def run_script(script: Path, chart: Path, out: Path, quick: bool) -> tuple[list[dict[str, Any]], str | None]:
    """The script's rows, and why it failed (None when it did not)."""
    command = [
        sys.executable,
        str(script),
        "--db",
        str(chart),
        "--user",
        common.BENCH_USER,
        "--password",
        common.BENCH_PASSWORD,
        "--json",
        str(out),
    ]
    if quick:
        command.append("--quick")
    print(f"\n== {script.name}", flush=True)
    started = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=common.ROOT, check=False, timeout=SCRIPT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return [], f"did not finish in {SCRIPT_TIMEOUT_S} s"
    print(f"   ({script.name}: {time.perf_counter() - started:.1f} s)", flush=True)
    if done.returncode != 0:
        return [], f"exited {done.returncode}"
    try:
        rows = json.loads(out.read_text())
    except (OSError, ValueError) as exc:
        return [], f"wrote no readable {out.name}: {exc}"
    missing = [r for r in rows if not {"target", "limit", "measured", "unit", "met"} <= set(r)]
    if not isinstance(rows, list) or missing:
        return [], f"wrote rows without the contract's fields: {missing[:1]}"
    return rows, None


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}" if abs(value) < 1 else f"{value:.1f}"


def table(rows: list[dict[str, Any]], before: dict[str, Any], after: dict[str, Any], command: str) -> str:
    lines = [
        f"`{command}`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {before['commit']}: "
        f"nproc {before['nproc']}, load average {before['load']} before → {after['load']} after, "
        f"Python {before['python']}, SQLite {before['sqlite']}, PySide6 {before['pyside6']}.",
        "",
        "| target (SPEC §9) | limit | measured | floor, same run | ratio | met | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        floor = "" if r.get("floor") is None else f"{_number(r['floor'])} {r['unit']}: {r.get('floor_what', '')}"
        ratio = "" if r.get("ratio") is None else f"{r['ratio']:.2f}×"
        cells = [
            r["target"],
            r["limit"],
            f"**{_number(r['measured'])} {r['unit']}**",
            floor,
            ratio,
            "yes" if r["met"] else "**no**",
            r.get("note", ""),
        ]
        lines.append("| " + " | ".join(str(c).replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def rewrite_performance(text: str) -> None:
    """The table between the markers replaced; the markers added under the heading if missing."""
    doc = PERFORMANCE.read_text(encoding="utf-8")
    block = f"{START}\n{text}\n{END}"
    if START in doc and END in doc:
        doc = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _m: block, doc, count=1, flags=re.S)
    else:
        heading, _, rest = doc.partition("\n")
        doc = f"{heading}\n\n{block}\n{rest}"
    PERFORMANCE.write_text(doc, encoding="utf-8")


def _without_folders(arguments: list[str]) -> list[str]:
    """The command as the table prints it: a file given (``--keep``, ``--chart``) by its name alone, not where this
    machine keeps it."""
    shown: list[str] = []
    for argument in arguments:
        option, equals, value = argument.partition("=")
        if equals and option in ("--keep", "--chart"):
            shown.append(f"{option}={Path(value).name}")
        elif shown and shown[-1] in ("--keep", "--chart"):
            shown.append(Path(argument).name)
        else:
            shown.append(argument)
    return shown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=500_000)
    parser.add_argument("--patients", type=int, default=50_000)
    parser.add_argument("--quick", action="store_true", help="each script takes a few samples: proves they run")
    parser.add_argument("--no-write", action="store_true", help="print the table; leave docs/PERFORMANCE.md alone")
    parser.add_argument("--workdir", type=Path, help="where the bench chart is made (default: a temporary folder)")
    parser.add_argument("--keep", type=Path, help="keep the bench chart at this path for a later --chart")
    parser.add_argument("--chart", type=Path, help="use this bench chart (made by --keep) instead of seeding one")
    parser.add_argument("--check", action="store_true", help="run `needlelog check` on the seeded chart (slow)")
    parser.add_argument("--only", nargs="*", default=None, help="run only these scripts (file names)")
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.patients < 1:
        parser.error("--sessions and --patients must be at least 1")
    command = "bench/run_all.py " + " ".join(_without_folders(argv if argv is not None else sys.argv[1:]))
    before = common.machine()
    print(
        f"machine: nproc {before['nproc']}, load {before['load']}, Python {before['python']}, "
        f"SQLite {before['sqlite']}, PySide6 {before['pyside6']}, commit {before['commit']}",
        flush=True,
    )
    folder = Path(tempfile.mkdtemp(prefix="needlelog-bench-", dir=args.workdir))
    failures: list[str] = []
    try:
        rows: list[dict[str, Any]] = []
        if args.chart is not None:
            chart = folder / "bench.sqlite"
            common.copy_chart(args.chart, chart)
            common.encrypt_as_an_upgrade(chart)  # a chart kept before issue 13's encryption: as a clinic's upgrade
            print(f"seed row skipped: the chart {args.chart} was made before (--chart)")
        else:
            chart = folder / "bench.sqlite"
            rows += make_chart(chart, args.sessions, args.patients, args.check)
            if args.keep is not None:
                digest(chart)
                shutil.copyfile(chart, args.keep)
                shutil.copyfile(f"{chart}.keys", f"{args.keep}.keys")  # its file of keys: it is encrypted
                Path(f"{args.keep}.keys").chmod(0o600)
        rows, failures = run_scripts(rows, chart, folder, args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    after = common.machine()
    text = table(rows, before, after, command)
    print("\n" + text)
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    if not args.no_write and not failures:
        rewrite_performance(text)
        print(f"\n{PERFORMANCE.relative_to(common.ROOT)}: table rewritten")
    return 1 if failures else 0


def run_scripts(
    rows: list[dict[str, Any]], chart: Path, folder: Path, args: Any
) -> tuple[list[dict[str, Any]], list[str]]:
    failures: list[str] = []
    unchanged = digest(chart)
    for name in SCRIPTS:
        if args.only is not None and name not in args.only:
            continue
        script = common.ROOT / "bench" / name
        if not script.exists():
            print(f"\n== {name}: skipped, bench/{name} is not there yet")
            continue
        text = script.read_text(encoding="utf-8")
        if "common.arguments(" not in text and '"--json"' not in text:  # the options by common, or its own way
            print(f"\n== {name}: skipped, bench/{name} does not take the runner's options yet (--json OUT ...)")
            continue
        found, failed = run_script(script, chart, folder / (script.stem + ".json"), args.quick)
        rows += found
        if failed:
            failures.append(f"{name} {failed}")
        if digest(chart) != unchanged:
            failures.append(f"{name} changed the bench chart (it must work on a copy or roll back)")
            break
    return rows, failures


if __name__ == "__main__":
    raise SystemExit(main())
