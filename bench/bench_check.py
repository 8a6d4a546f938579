"""`needlelog check --user` on the bench chart, as a clinic's scheduled job runs it: a whole process.

    python bench/bench_check.py --db CHART --user bench --password PW [--json OUT --quick --runs N]

Issue 13: on a 500,000-session chart it took more than 15 minutes; the target is well under a minute (the row's
limit: 60 s). Each run is the real command (start-up, SQLite's integrity and foreign-key checks, the triggers,
the audit chain, every signed note's fingerprint recomputed on every core, every seal verified with the chart
key the account's password unwraps), read only: the chart is left unchanged. The floor, measured in the same
run and interleaved with it: the same checks SQLite does (``integrity_check``, ``foreign_key_check``), and the
same rows (every session, site, trigger point, adverse event and outcome of a signed note, every audit row and
seal) read by plain ``sqlite3`` (SQLCipher's, keyed as the program keys it, on an encrypted chart) in one
process, each row hashed with SHA-256 and each sealed row's values MACed with HMAC-SHA256: what any check of
these records must at least cost, without a line of the program.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sys
import time
from contextlib import closing
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

LIMIT_S = 60.0
KEY = bytes(32)  # the floor's HMAC key: the cost of the MAC, not a secret
CHILDREN = (
    "SELECT * FROM needling_site WHERE session_id BETWEEN ? AND ? ORDER BY session_id, position",
    "SELECT p.* FROM trigger_point p JOIN needling_site s ON s.id = p.site_id WHERE s.session_id BETWEEN ? AND ?"
    " ORDER BY p.site_id, p.position",
    "SELECT * FROM adverse_event WHERE session_id BETWEEN ? AND ? ORDER BY session_id, position",
    "SELECT * FROM outcome_measure WHERE session_id BETWEEN ? AND ? ORDER BY session_id, position",
)


def floor(chart: Path) -> float:
    """The floor's wall seconds (see the module's text)."""
    started = time.perf_counter()
    with closing(common.connect(chart, readonly=True)) as conn:  # sqlite3, or SQLCipher as the program keys it
        conn.execute("PRAGMA integrity_check").fetchall()
        conn.execute("PRAGMA foreign_key_check").fetchall()
        last = 0
        while rows := conn.execute(
            "SELECT * FROM treatment_session WHERE id > ? ORDER BY id LIMIT 2000", (last,)
        ).fetchall():
            first, last = rows[0][0], rows[-1][0]
            for row in rows:
                hashlib.sha256(repr(row).encode()).digest()
            for query in CHILDREN:
                for row in conn.execute(query, (first, last)):
                    hashlib.sha256(repr(row).encode()).digest()
        seals = dict(conn.execute("SELECT row_id, seal FROM record_seal WHERE kind = 'note'").fetchall())
        for row in conn.execute(
            "SELECT id, patient_id, clinician_id, status, signed_at, signed_by_id, fingerprint, signed_as"
            " FROM treatment_session WHERE status = 'signed'"
        ):
            hmac.compare_digest(hmac.digest(KEY, repr(row).encode(), "sha256").hex(), seals.get(row[0], ""))
        for row in conn.execute("SELECT * FROM audit_log ORDER BY id"):
            hashlib.sha256(repr(row).encode()).digest()
            hmac.digest(KEY, repr(row).encode(), "sha256")
    return time.perf_counter() - started


def check(chart: Path, user: str, password: str) -> tuple[float, float, str]:
    """One `needlelog check --user` as a whole process: wall and CPU seconds (its workers' too), its progress."""
    env = {**os.environ, "NEEDLELOG_PASSWORD": password}
    wall, cpu, done = common.needlelog("check", "--db", str(chart), "--user", user, env=env)
    common.require(done, "needlelog check")
    return wall, cpu, done.stderr


def main() -> None:
    parser = common.arguments(__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=None, help="runs of each (default 3, 1 with --quick)")
    args = parser.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    with closing(common.connect(args.db, readonly=True)) as conn:
        notes = conn.execute("SELECT count(*) FROM treatment_session WHERE status = 'signed'").fetchone()[0]
        audit = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    load_before = os.getloadavg()[0]
    walls, cpus, floors = [], [], []
    for run in range(runs):
        floors.append(floor(args.db))
        wall, cpu, said = check(args.db, args.user, args.password)
        walls.append(wall)
        cpus.append(cpu)
        print(f"run {run + 1}: check {wall:.1f} s (CPU {cpu:.1f} s), floor {floors[-1]:.1f} s", flush=True)
        if run == 0 and said.strip():
            print("   progress on stderr: " + " | ".join(said.strip().splitlines()[-3:]), flush=True)
    measured = common.median(walls)
    rows = [
        common.row(
            f"needlelog check --user of {notes:,} signed notes and {audit:,} audit rows, whole process",
            f"≤ {LIMIT_S:.0f} s",
            measured,
            "s",
            floor=common.median(floors),
            floor_what="SQLite's integrity and foreign-key checks, and the same rows read by plain sqlite3 "
            "(each hashed, each sealed one HMACed), one process",
            met=measured <= LIMIT_S,
            note=f"median of n={runs}; CPU {common.median(cpus):.1f} s (its workers' too) on {os.cpu_count()} "
            f"cores; load {load_before:.1f} before, {os.getloadavg()[0]:.1f} after",
        )
    ]
    common.write_rows(args.json, rows)


if __name__ == "__main__":
    main()
