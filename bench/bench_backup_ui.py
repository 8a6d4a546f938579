"""The automatic backup of a large chart, while the window goes on answering.

    python bench/bench_backup_ui.py --db clinic-100k.sqlite       # seeds it first if missing

Issue 12, item 1: a backup never holds up the person typing. The chart is copied to a scratch folder
(its backups go beside it), then backed up twice, each after a change: once called directly on the
main thread (what the window would freeze for if it did the work itself: the floor), and once by the
main window's ``AutoBackup``, in its thread, while a 10 ms timer ticks on the main thread and a patient
is saved every 200 ms. Printed: the backup's time both ways, the longest gap between two ticks (how
long the window could not answer) and its 99th percentile, and the longest save during the backup.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def seed(db: Path, sessions: int) -> None:
    run = [sys.executable, "-m", "needlelog", "seed", "--db", str(db)]
    subprocess.run([*run, "--patients", str(sessions // 10), "--sessions", str(sessions), "--seed", "3"], check=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "needlelog-bench-100k.sqlite")
    parser.add_argument("--sessions", type=int, default=100_000)
    args = parser.parse_args()
    if not args.db.exists():
        seed(args.db, args.sessions)

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from needlelog.domain.model import Consent, Patient, Screening
    from needlelog.domain.vocab import ConsentMethod
    from needlelog.services import backups
    from needlelog.services.store import open_chart
    from needlelog.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    scratch = Path(tempfile.mkdtemp(prefix="needlelog-bench-backup-"))
    chart = scratch / "clinic.sqlite"
    shutil.copy(args.db, chart)
    services = open_chart(chart)
    counter = iter(range(10**6))

    def change() -> float:
        n = next(counter)
        patient = Patient(
            chart_number=f"BENCH{n}",
            family_name="Bench",
            given_name=f"Patient {n}",
            date_of_birth=date(1980, 1, 1),
            screening=Screening(),
            consent=Consent(date(2026, 1, 5), ConsentMethod.WRITTEN, "Bench"),
        )
        started = time.perf_counter()
        services.patients.create(patient)
        return time.perf_counter() - started

    try:
        change()
        started = time.perf_counter()
        info = backups.take_backup(chart, reason="bench, on the main thread")
        on_main = time.perf_counter() - started
        assert info is not None

        window = MainWindow(services)
        auto = window.auto_backup
        change()
        ticks: list[float] = []
        saves: list[float] = []
        tick = QTimer()
        tick.setInterval(10)
        tick.timeout.connect(lambda: ticks.append(time.perf_counter()))
        save = QTimer()
        save.setInterval(200)
        save.timeout.connect(lambda: saves.append(change()))
        tick.start()
        save.start()
        started = time.perf_counter()
        auto.back_up("bench, in its thread")
        while auto.running:
            app.processEvents()
            time.sleep(0.001)
        in_thread = time.perf_counter() - started
        tick.stop()
        save.stop()
        gaps = [(b - a) * 1000 for a, b in itertools.pairwise(ticks)]
        size = chart.stat().st_size / 1024**2
        print(f"chart: {size:,.0f} MB; backup on the main thread (the window frozen): {on_main:.2f} s")
        print(f"backup in AutoBackup's thread: {in_thread:.2f} s; {auto.label.text()}")
        print(
            f"main thread meanwhile: {len(ticks)} ticks of 10 ms, longest gap {max(gaps):.1f} ms, "
            f"p99 {percentile(gaps, 0.99):.1f} ms, median {statistics.median(gaps):.1f} ms"
        )
        print(f"saves during the backup: {len(saves)}, longest {max(saves, default=0) * 1000:.1f} ms")
        window.close()
    finally:
        services.close()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
