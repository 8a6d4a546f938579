"""1,000 visit notes exported, one PDF each and in one combined PDF, beside bare reportlab pages (SPEC §9).

    python bench/bench_export.py --db CHART --user bench --password PW [--json OUT] [--quick]

On a scratch copy of the bench chart (an export writes its audit rows; the chart itself is left
unchanged), the manager ``bench-manager`` signed in, the latest days holding at least 1,000 signed
notes (30 with --quick) are exported through the export service, as the window and the command line
export them: read in one snapshot, rendered by one worker process per core, each file fsynced and
renamed into place. Interleaved with it, round by round, the floor: the same notes, already loaded,
rendered as bare reportlab pages of the same content and page count (``floors.bare_page``) by the same worker pool
(as many processes, started the same way, fonts registered), ``RENDER_CHUNK`` notes a task, an fsync
per file. Targets: the per-visit export within 1.3× the floor; the combined PDF within 1.5× of it.
Figures are medians over the rounds.
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import common
import floors

from needlelog.reports import batch
from needlelog.services.exporting import RENDER_CHUNK, ExportCriteria
from needlelog.services.workers import WorkerPool

PER_VISIT_LIMIT = 1.3
COMBINED_LIMIT = 1.5


def cpu() -> float:
    """This process's CPU seconds and its finished children's (the workers, once the pool is closed)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def floor_run(notes: list, folder: Path, workers: int) -> float:  # type: ignore[type-arg]
    """Bare pages of ``notes`` by ``workers`` processes, an fsync per file: the seconds from the pool's start
    to its close."""
    folder.mkdir()
    started = time.perf_counter()
    with WorkerPool(workers, prepare=batch.prepare) as pool:
        for start in range(0, len(notes), RENDER_CHUNK):
            part = notes[start : start + RENDER_CHUNK]
            paths = [folder / f"{start + i}.pdf" for i in range(len(part))]
            pool.submit(floors.write_bare, part, paths)
            while pool.pending >= 2 * workers:
                pool.finished(0.05)
        while pool.pending:
            pool.finished(0.05)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = common.arguments(__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=1000, help="at least this many notes (default 1,000)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3; 1 with --quick)")
    args = parser.parse_args(argv)
    wanted, rounds = (30, 1) if args.quick else (args.notes, args.rounds)
    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="needlelog-bench-export-") as scratch_name:
        scratch = Path(scratch_name)
        copy = common.scratch_copy(args.db, scratch)
        services = common.sign_in(copy, common.BENCH_MANAGER, args.password)
        try:
            first, last, _ = common.export_window(copy, wanted)
            criteria = ExportCriteria(date.fromisoformat(first), date.fromisoformat(last))
            notes = list(services.exports.notes(criteria))
            floor_s: list[float] = []
            ours_s: list[float] = []
            combined_s: list[float] = []
            cores: list[float] = []
            cpu_s: dict[str, list[float]] = {"ours": [], "floor": []}  # all processes' CPU: steadier when shared
            for n in range(rounds):
                used = cpu()
                floor_s.append(floor_run(notes, scratch / f"floor-{n}", workers))
                cpu_s["floor"].append(cpu() - used)
                shutil.rmtree(scratch / f"floor-{n}")
                used, started = cpu(), time.perf_counter()
                result = services.exports.export(criteria, scratch / f"notes-{n}", workers=workers)
                ours_s.append(time.perf_counter() - started)
                cpu_s["ours"].append(cpu() - used)
                cores.append(cpu_s["ours"][-1] / ours_s[-1])
                assert result.written == len(notes), (result.written, len(notes))
                shutil.rmtree(scratch / f"notes-{n}")
                started = time.perf_counter()
                combined = scratch / f"combined-{n}.pdf"
                services.exports.export(criteria, scratch, per_visit=False, combined=combined, workers=workers)
                combined_s.append(time.perf_counter() - started)
                combined.unlink()
        finally:
            services.close()
    floor, ours, joined = common.median(floor_s), common.median(ours_s), common.median(combined_s)
    said = f"{len(notes):,} signed notes ({first} to {last}), {workers} workers, {rounds} round(s)"
    what = f"bare reportlab pages of the same notes, {workers} worker processes, an fsync per file"
    rows = [
        common.row(
            f"{len(notes):,} visit notes exported, a PDF each, every core",
            f"≤ {PER_VISIT_LIMIT}× floor",
            ours,
            "s",
            floor=floor,
            floor_what=what,
            met=ours <= PER_VISIT_LIMIT * floor,
            note=f"{said}; {common.median(cores):.2f} cores busy; runs {', '.join(f'{s:.1f}' for s in ours_s)} s; "
            f"floor runs {', '.join(f'{s:.1f}' for s in floor_s)} s; CPU of every process "
            f"{common.median(cpu_s['ours']):.1f} s against {common.median(cpu_s['floor']):.1f} s",
        ),
        common.row(
            f"the same {len(notes):,} notes in one combined PDF",
            f"≤ {COMBINED_LIMIT}× floor",
            joined,
            "s",
            floor=floor,
            floor_what=what,
            met=joined <= COMBINED_LIMIT * floor,
            note=f"parts rendered in parallel and joined, a bookmark a visit; runs "
            f"{', '.join(f'{s:.1f}' for s in combined_s)} s",
        ),
    ]
    common.write_rows(args.json, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
