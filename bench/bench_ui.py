"""Patient search and opening a patient, measured in the widgets, on a 500,000-session chart.

    python bench/bench_ui.py --db /tmp/clinic-500k.sqlite        # seeds it first if missing

SPEC §9 budgets: search as you type ≤ 20 ms a keystroke; opening a patient with 200 sessions
≤ 50 ms. Each figure is the time from the key press (or the call that opens the chart) until
the widgets show the result, with Qt's event queue drained, on the offscreen platform. The
floor beside it is the same query in plain ``sqlite3`` on the same file.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

QUERIES = ("smith", "nguyen", "li", "tr", "c0123", "o'b", "алёна", "k")
PAGE = 100


def seed(db: Path) -> None:
    run = [sys.executable, "-m", "needlelog", "seed", "--db", str(db)]
    subprocess.run([*run, "--patients", "50000", "--sessions", "500000", "--seed", "1"], check=True)
    # One long-standing patient with 200 visits, the case the budget names.
    subprocess.run([*run, "--patients", "1", "--sessions", "200", "--seed", "2", "--clinicians", "1"], check=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/needlelog-bench-500k.sqlite"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not args.db.exists():
        seed(args.db)

    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from needlelog.services.store import open_chart
    from needlelog.ui.main_window import MainWindow

    app = QApplication([])
    services = open_chart(args.db)
    window = MainWindow(services, services.clinic.clinicians()[0])
    window.show()
    app.processEvents()

    # --- search, a keystroke at a time ----------------------------------------------------
    keystrokes: list[float] = []
    for _ in range(args.repeat):
        for query in QUERIES:
            window.search.clear()
            app.processEvents()
            for char in query:
                started = time.perf_counter()
                if char.isascii():
                    QTest.keyClick(window.search, char)
                else:
                    window.search.insert(char)  # QTest types ASCII only; the same textChanged path
                app.processEvents()
                keystrokes.append((time.perf_counter() - started) * 1000)

    raw = sqlite3.connect(args.db)
    floor_search: list[float] = []
    for _ in range(args.repeat):
        for query in QUERIES:
            for end in range(1, len(query) + 1):
                word = query[:end].lower()
                upper = word[:-1] + chr(ord(word[-1]) + 1)
                started = time.perf_counter()
                raw.execute(
                    "SELECT id, chart_number, family_name, given_name, date_of_birth FROM patient"
                    " WHERE (family_key >= ? AND family_key < ?) OR (given_key >= ? AND given_key < ?)"
                    " ORDER BY family_key, given_key, id LIMIT ?",
                    (word, upper, word, upper, PAGE),
                ).fetchall()
                floor_search.append((time.perf_counter() - started) * 1000)

    # --- opening the patient with 200 visits ---------------------------------------------
    busiest = raw.execute(
        "SELECT patient_id, COUNT(*) FROM treatment_session GROUP BY patient_id ORDER BY COUNT(*) DESC LIMIT 1"
    ).fetchone()
    patient_id, visits = busiest
    opening: list[float] = []
    floor_open: list[float] = []
    for _ in range(args.repeat * 4):
        window.show_patient(None)
        app.processEvents()
        started = time.perf_counter()
        window.show_patient(patient_id)
        app.processEvents()
        opening.append((time.perf_counter() - started) * 1000)
        assert window.history.rowCount() == min(visits, PAGE)
        started = time.perf_counter()
        raw.execute("SELECT * FROM patient WHERE id = ?", (patient_id,)).fetchall()
        raw.execute(
            "SELECT s.id, s.service_start, c.display_name, s.condition, s.site_count, s.needle_count, s.pain_before,"
            " s.pain_after, s.status FROM treatment_session s JOIN clinician c ON c.id = s.clinician_id"
            " WHERE s.patient_id = ? ORDER BY s.service_start DESC, s.id DESC LIMIT ?",
            (patient_id, PAGE),
        ).fetchall()
        raw.execute("SELECT COUNT(*) FROM treatment_session WHERE patient_id = ?", (patient_id,)).fetchall()
        floor_open.append((time.perf_counter() - started) * 1000)
    # Scrolling to the end loads the other pages: all 200 rows in the widget.
    started = time.perf_counter()
    window.history_view.scrollToBottom()
    app.processEvents()
    while window.history.canFetchMore(window.history.index(-1, -1)):
        window.history.fetchMore(window.history.index(-1, -1))
    app.processEvents()
    scrolled = (time.perf_counter() - started) * 1000
    # --- saving a draft with 10 sites, its audit row included ------------------------------
    from dataclasses import replace

    from needlelog.domain.figure import anchor_point
    from needlelog.domain.model import NeedlingSite
    from needlelog.domain.vocab import BodyRegion, Side, TwitchResponse

    clinician = services.clinic.clinicians()[0]
    draft = services.sessions.new_draft(patient_id, clinician.id or 0)
    regions = list(BodyRegion)[:10]
    saving: list[float] = []
    for i in range(args.repeat * 8):
        sites = tuple(
            NeedlingSite(
                region,
                Side.RIGHT,
                "muscle",
                2,
                "0.25 x 30 mm",
                "L2301-11",
                10,
                TwitchResponse.WEAK,
                (anchor_point(region, Side.RIGHT),),
            )
            for region in regions
        )
        draft = replace(draft, sites=sites, notes=f"save {i}")
        started = time.perf_counter()
        draft = services.sessions.save_draft(draft)
        saving.append((time.perf_counter() - started) * 1000)
    floor_save: list[float] = []
    raw.commit()
    raw.isolation_level = None  # explicit transactions, as the program's own
    raw.execute("PRAGMA foreign_keys = ON")  # as the program: a site's trigger points go with it
    for i in range(args.repeat * 8):
        started = time.perf_counter()
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("UPDATE treatment_session SET notes = ?, version = version + 1 WHERE id = ?", (f"f{i}", draft.id))
        raw.execute("DELETE FROM needling_site WHERE session_id = ?", (draft.id,))
        for position in range(10):
            site = raw.execute(
                "INSERT INTO needling_site (session_id, position, region, side, muscle, needles, needle_size,"
                " needle_lot, dwell_minutes, twitch) VALUES (?, ?, 'neck', 'right', 'm', 2, '', '', 10, 'weak')",
                (draft.id, position),
            ).lastrowid
            raw.execute(
                "INSERT INTO trigger_point (site_id, position, view, x, y) VALUES (?, 0, 'back', 0.5, 0.5)", (site,)
            )
        raw.execute(
            "INSERT INTO audit_log (at, user_name, role, action, patient_id, session_id, detail, previous_hash,"
            " row_hash) VALUES (datetime('now'), 'bench', 'system', 'session_saved', ?, ?, '', '', '')",
            (patient_id, draft.id),
        )
        raw.execute("COMMIT")
        floor_save.append((time.perf_counter() - started) * 1000)

    sessions = raw.execute("SELECT COUNT(*) FROM treatment_session").fetchone()[0]
    patients = raw.execute("SELECT COUNT(*) FROM patient").fetchone()[0]
    window.close()
    services.close()

    print(f"chart: {patients:,} patients, {sessions:,} sessions; busiest patient has {visits} visits")
    print(f"{'measure':44} {'median ms':>10} {'p95 ms':>8} {'floor ms':>9} {'budget':>7}")
    print(
        f"{'search, one keystroke (widgets)':44} {statistics.median(keystrokes):10.2f} "
        f"{percentile(keystrokes, 0.95):8.2f} {statistics.median(floor_search):9.2f} {'20':>7}"
    )
    print(
        f"{'open a patient with 200 visits (widgets)':44} {statistics.median(opening):10.2f} "
        f"{percentile(opening, 0.95):8.2f} {statistics.median(floor_open):9.2f} {'50':>7}"
    )
    print(f"{'scroll that history to its 200th row':44} {scrolled:10.2f}")
    print(
        f"{'save a 10-site draft, audit row included':44} {statistics.median(saving):10.2f} "
        f"{percentile(saving, 0.95):8.2f} {statistics.median(floor_save):9.2f} {'15':>7}"
    )


if __name__ == "__main__":
    main()
