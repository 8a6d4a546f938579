"""What every benchmark script shares: its command line, its rows, the machine, the bench chart.

The contract (``bench/README.md``): each ``bench/bench_*.py`` that ``run_all.py`` lists is run as

    python bench/bench_X.py --db FILE --user bench --password PW --json OUT.json [--quick]

and writes OUT.json: a list of rows made by :func:`row`. Figures are medians unless the target
says p95; each figure stands beside its floor, measured in the same run, doing the same work.
Nothing here imports Qt or needlelog at module level, so a start-up benchmark can import it
without paying for them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import closing
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_USER = "bench"
BENCH_MANAGER = "bench-manager"  # exports are a manager's work; same password as the clinician
BENCH_PASSWORD = "bench-password-1"  # a bench chart's account, never a clinic's
ADMIN_USER = "admin"


def arguments(description: str) -> argparse.ArgumentParser:
    """The options every listed script takes; a script adds its own after these."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--db", type=Path, required=True, help="the bench chart (left unchanged)")
    parser.add_argument("--user", default=BENCH_USER, help="a clinician account of the bench chart")
    parser.add_argument("--password", default=BENCH_PASSWORD)
    parser.add_argument("--json", type=Path, help="write the result rows here")
    parser.add_argument("--quick", action="store_true", help="a few samples only: proves the script runs")
    return parser


def row(
    target: str,
    limit: str,
    measured: float,
    unit: str,
    *,
    floor: float | None,
    floor_what: str,
    met: bool,
    note: str = "",
) -> dict[str, Any]:
    """One figure beside its floor; the ratio is measured / floor when there is a floor."""
    if unit not in {"s", "ms", "MB"}:
        raise ValueError(f"unit {unit!r}: s, ms or MB")
    ratio = measured / floor if floor else None
    return {
        "target": target,
        "limit": limit,
        "measured": round(measured, 4),
        "unit": unit,
        "floor": None if floor is None else round(floor, 4),
        "floor_what": floor_what,
        "ratio": None if ratio is None else round(ratio, 3),
        "met": bool(met),
        "note": note,
    }


def write_rows(path: Path | None, rows: Sequence[dict[str, Any]]) -> None:
    """Print the rows, and write them to ``path`` as the runner reads them."""
    for r in rows:
        floor = "" if r["floor"] is None else f" (floor {r['floor']} {r['unit']}, ratio {r['ratio']})"
        print(f"{r['target']}: {r['measured']} {r['unit']}{floor}, {'met' if r['met'] else 'NOT met'} ({r['limit']})")
    if path is not None:
        path.write_text(json.dumps(list(rows), indent=2) + "\n")


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` 0.95 for p95)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def children_cpu() -> float:
    """User + system seconds of the child processes waited for so far (theirs and their children's)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def needlelog(*args: str, env: dict[str, str] | None = None) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """``python -m needlelog ARGS`` as a whole process: wall seconds, CPU seconds, the finished process."""
    cpu = children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "needlelog", *args], cwd=ROOT, capture_output=True, text=True, check=False, env=env
    )
    return time.perf_counter() - started, children_cpu() - cpu, done


def require(done: subprocess.CompletedProcess[str], what: str) -> None:
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"bench: `{what}` exited {done.returncode}")


def machine() -> dict[str, Any]:
    """What the figures were measured on; the load is the 1-minute load average now."""
    try:
        qt = metadata.version("PySide6-Essentials")
    except metadata.PackageNotFoundError:
        qt = "not installed"
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "load": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "pyside6": qt,
        "commit": (commit or "unknown") + (" (with changes)" if dirty else ""),
        "platform": platform.platform(),
    }


def add_accounts(db: Path, user: str = BENCH_USER, password: str = BENCH_PASSWORD) -> None:
    """The accounts a clinic would have, made through the services as a clinic makes them: the first
    start's administrator, who adds a clinician ``user``. The program's own password hashing."""
    sys.path.insert(0, str(ROOT))
    from needlelog.domain.model import Clinician
    from needlelog.domain.vocab import Role
    from needlelog.services.store import open_chart

    services = open_chart(db)
    try:
        accounts = services.accounts
        if accounts.needs_admin():
            accounts.create_admin(ADMIN_USER, "Bench Administrator", password)
        accounts.login(ADMIN_USER, password)
        accounts.add_user(
            Clinician(
                display_name="Bench Clinician",
                username=user,
                credentials="PT",
                registration_number="BENCH-1",
            ),
            password,
        )
        accounts.add_user(
            Clinician(
                display_name="Bench Manager",
                username=BENCH_MANAGER,
                authorised_to_needle=False,
                roles=frozenset({Role.MANAGER}),
            ),
            password,
        )
        accounts.logout()
    finally:
        services.close()
    encrypt_as_an_upgrade(db, password)


def encrypt_as_an_upgrade(db: Path, password: str = BENCH_PASSWORD) -> None:
    """The bench chart's file encrypted as a clinic's upgraded chart is (issue 13): its administrator signs in,
    every active account holding a copy of the key, and the program's own step encrypts it after a backup. A
    chart already encrypted is left as it is."""
    sys.path.insert(0, str(ROOT))
    from needlelog.services import encryption
    from needlelog.services.store import encrypted_chart, open_chart

    if encrypted_chart(db) is not None:
        return
    services = open_chart(db, create=False)
    try:
        services.accounts.login(ADMIN_USER, password)
        services, problem = encryption.encrypt_when_ready(services)
        if problem is not None or encrypted_chart(db) is None:
            raise SystemExit(f"bench: the chart was not encrypted: {problem or encryption.waiting_for(services)}")
        services.accounts.logout()
    finally:
        services.close()


def file_key(db: Path) -> bytes | None:
    """SQLCipher's key to an encrypted bench chart (from the bench account's password); None for a plain one."""
    sys.path.insert(0, str(ROOT))
    from needlelog.db.cipher import has_keys
    from needlelog.db.keyfile import file_key_for

    return file_key_for(db, BENCH_USER, BENCH_PASSWORD) if has_keys(db) else None


def connect(db: Path, *, readonly: bool = False, timeout: float = 10) -> Any:
    """A DB-API connection on the bench chart, plain or encrypted: the floors' "plain" SQL runs through the same
    library as the chart's file needs (``sqlite3``, or SQLCipher keyed as the program keys it)."""
    sys.path.insert(0, str(ROOT))
    from needlelog.db.cipher import raw_connect

    return raw_connect(db, file_key(db), readonly=readonly, timeout=timeout)


def copy_chart(db: Path, copy: Path) -> None:
    """A consistent copy of the chart (SQLite's backup API: whatever its log holds), encrypted with the same key
    when it is encrypted, its file of keys beside it."""
    key = file_key(db)
    sys.path.insert(0, str(ROOT))
    from needlelog.db.cipher import copy_side_file, raw_connect

    with closing(connect(db, readonly=True)) as source, closing(raw_connect(copy, key)) as target:
        source.backup(target)
    if key is not None:
        copy_side_file(db, copy)


def scratch_copy(db: Path, folder: Path) -> Path:
    """A consistent copy of the bench chart in ``folder``, for a script that signs in or writes: the bench chart
    itself is left unchanged."""
    copy = folder / "scratch.sqlite"
    copy_chart(db, copy)
    return copy


def sign_in(db: Path, user: str, password: str) -> Any:
    """The chart's services with ``user`` signed in through the services (the program's password check); an
    encrypted chart opened with the key the password unwraps, as the program does."""
    sys.path.insert(0, str(ROOT))
    from needlelog.services.encryption import open_with_password
    from needlelog.services.store import encrypted_chart, open_chart

    if encrypted_chart(db) is None:
        services = open_chart(db, create=False, upgrade=False)
        services.accounts.login(user, password)
        return services
    services, chart_key = open_with_password(db, user, password, upgrade=False)
    services.accounts.login(user, password, chart_key)
    return services


def export_window(db: Path, wanted: int) -> tuple[str, str, int]:
    """The latest calendar days (this PC's, as an export counts them) holding at least ``wanted`` signed notes:
    (from, to, how many), read with plain SQL."""
    with closing(connect(db, readonly=True)) as conn:
        days = conn.execute(
            "SELECT date(service_start, 'localtime') AS day, count(*) FROM treatment_session"
            " WHERE status = 'signed' GROUP BY day ORDER BY day DESC"
        ).fetchall()
    total, first = 0, None
    for day, count in days:
        total, first = total + count, day
        if total >= wanted:
            break
    if first is None:
        raise SystemExit("bench: the chart holds no signed notes")
    return first, days[0][0], total
