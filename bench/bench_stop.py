"""Closing the window mid-export: how long until the program has exited, as a whole process.

    python bench/bench_stop.py [--runs 10]

Issue budget: the program exits within 2 s of closing the window while an export of 1,000 notes
is rendering. Each run starts the program's main window on a 1,100-visit chart (offscreen),
starts the export, waits until notes are being written, closes the window, and measures from
the close to the end of the process (its workers stopped and joined). The floor, in the same
run, is an empty PySide6 window closed the same way: what exiting a Qt program costs anyway.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "e2e" / "close_mid_export.py"
FLOOR = """
import time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
window = QWidget()
window.show()
def close():
    print(f"closing {time.monotonic():.6f}", flush=True)
    window.close()
    app.quit()
QTimer.singleShot(200, close)
app.exec()
"""


def exit_after_close(command: list[str]) -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    process = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=True)
    ended = time.monotonic()
    return ended - float(process.stdout.split()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    from needlelog.services.seeding import seed_chart
    from needlelog.services.store import engine_at_head

    with tempfile.TemporaryDirectory() as folder:
        chart = Path(folder) / "clinic.sqlite"
        engine = engine_at_head(chart)
        seed_chart(engine, 60, 1100, seed=22, now=datetime(2026, 3, 10, 16, 30, tzinfo=UTC), history_days=300)
        engine.dispose()
        program, floor = [], []
        for run in range(args.runs):  # interleaved, so a busy moment costs both
            out = Path(folder) / f"out-{run}"
            program.append(exit_after_close([sys.executable, str(SCRIPT), str(chart), str(out), "close"]))
            floor.append(exit_after_close([sys.executable, "-c", FLOOR]))
    for name, values in (("close mid-export", program), ("empty window (floor)", floor)):
        print(
            f"{name:>22}: median {statistics.median(values):.2f} s, "
            f"min {min(values):.2f} s, max {max(values):.2f} s ({len(values)} runs)"
        )


if __name__ == "__main__":
    main()
