"""A PDF visit note against a bare reportlab page of the same content, in the same run (SPEC §9: ≤ 2×).

    python bench/bench_note.py --db CHART --user bench --password PW [--json OUT] [--quick]

The notes are the bench chart's latest signed notes, read through the export service by the
manager ``bench-manager`` signed in (``--user``'s password), on a scratch copy of the chart (signing
in writes an audit row; the chart itself is left unchanged). Each note is rendered as the program
renders it and as bare reportlab pages of the same content (``floors.bare_page``: the same words, figures and
page furniture in the same embedded fonts and compression, on as many pages, set the plainest way), interleaved,
in this one process after a warm-up, fonts registered once as an export worker has them. Figures are medians over
the notes.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import common
from floors import bare_page

from needlelog.reports.text import fonts
from needlelog.reports.visit_note import render_visit_note
from needlelog.services.exporting import ExportCriteria

LIMIT = 2.0


def main(argv: list[str] | None = None) -> int:
    parser = common.arguments(__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=200, help="how many notes (default 200; 10 with --quick)")
    args = parser.parse_args(argv)
    wanted = 10 if args.quick else args.notes
    with tempfile.TemporaryDirectory(prefix="needlelog-bench-note-") as scratch:
        copy = common.scratch_copy(args.db, Path(scratch))
        services = common.sign_in(copy, common.BENCH_MANAGER, args.password)  # exports are a manager's
        try:
            first, last, _ = common.export_window(copy, wanted)
            criteria = ExportCriteria(date.fromisoformat(first), date.fromisoformat(last))
            notes = list(services.exports.notes(criteria))[:wanted]
        finally:
            services.close()
    fonts()
    for note in notes[:3]:  # warm-up: reportlab's caches, the body chart's paths
        render_visit_note(note)
        bare_page(note)
    ours: list[float] = []
    floor: list[float] = []
    cpu: dict[str, list[float]] = {"ours": [], "floor": []}  # this process's CPU: steadier on a shared machine
    pages: dict[str, int] = {"ours": 0, "floor": 0}
    for note in notes:
        for side, render, wall in (("floor", bare_page, floor), ("ours", render_visit_note, ours)):
            started, used = time.perf_counter(), time.process_time()
            pdf = render(note)
            wall.append((time.perf_counter() - started) * 1000)
            cpu[side].append((time.process_time() - used) * 1000)
            pages[side] += pdf.count(b"/Type /Page\n")
    measured, bare = common.median(ours), common.median(floor)
    row = common.row(
        "a PDF visit note",
        f"≤ {LIMIT:.0f}× floor",
        measured,
        "ms",
        floor=bare,
        floor_what="bare reportlab pages of the same content, as many pages",
        met=measured <= LIMIT * bare,
        note=f"median of {len(notes)} signed notes of the chart; p95 {common.percentile(ours, 0.95):.1f} ms; CPU "
        f"{common.median(cpu['ours']):.1f} ms against {common.median(cpu['floor']):.1f} ms; "
        f"{pages['ours']} pages against {pages['floor']}",
    )
    common.write_rows(args.json, [row])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
