"""The patient's course (pain plot, heat map, episodes) for the busiest patient of a seeded chart, beside its floor.

    python bench/bench_course.py [--patients 50 --sessions 10000]

What the chart reads and computes each time a patient is shown (issue 15): `services.course.course()` (the pain of
the signed visits, their trigger points, the episodes and their signed counts: three indexed queries and one
count), then the figure and the heat-map cells. The floor is the same three reads in plain `sqlite3`.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from needlelog.domain.course import pain_figure
from needlelog.services.store import open_chart

FLOOR = (
    "SELECT id, service_start, pain_before, pain_after FROM treatment_session "
    "WHERE patient_id = ? AND status = 'signed' ORDER BY service_start, id",
    "SELECT p.view, p.x, p.y FROM trigger_point p JOIN needling_site s ON s.id = p.site_id "
    "JOIN treatment_session t ON t.id = s.session_id WHERE t.patient_id = ? AND t.status = 'signed'",
    "SELECT e.id, COUNT(t.id) FROM episode e LEFT JOIN treatment_session t ON t.episode_id = e.id "
    "AND t.status = 'signed' WHERE e.patient_id = ? GROUP BY e.id",
)


def timed(work, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    for _ in range(3):
        work()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument("--sessions", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "course.sqlite"
        seed = [sys.executable, "-m", "needlelog", "seed", "--db", str(path)]
        subprocess.run([*seed, "--patients", str(args.patients), "--sessions", str(args.sessions)], check=True)
        raw = sqlite3.connect(path)
        counts = raw.execute(
            "SELECT patient_id, COUNT(*) FROM treatment_session WHERE status = 'signed' GROUP BY patient_id"
        ).fetchall()
        chart = open_chart(path)
        for patient_id, visits in (min(counts, key=lambda c: abs(c[1] - 200)), max(counts, key=lambda c: c[1])):
            measure(chart, raw, patient_id, visits, args.repeat)
        chart.close()
        raw.close()


def measure(chart, raw, patient_id: int, visits: int, repeat: int) -> None:  # type: ignore[no-untyped-def]
    def whole() -> None:
        course = chart.course.course(patient_id)
        pain_figure(course.pain)

    def floor() -> None:
        for statement in FLOOR:
            raw.execute(statement, (patient_id,)).fetchall()

    cells = chart.course.course(patient_id).heat
    ours, bare = timed(whole, repeat), timed(floor, repeat)
    print(f"patient with {visits} signed visits, {sum(c.count for c in cells)} trigger points, {len(cells)} heat cells")
    print(f"  course read + figure + heat map: median {statistics.median(ours) * 1000:.1f} ms")
    print(f"  floor, the same reads in sqlite3: median {statistics.median(bare) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
