"""Start-up and memory as a person meets them (SPEC §9, issue 14): whole fresh processes, sign-in typed through
the real dialog, beside an empty PySide6 window measured the same way, interleaved.

    python bench/bench_startup.py --db CHART --user bench --password PW --json OUT.json [--quick]

Each run starts ``python -m needlelog --db COPY`` and times, from just before the process is started:

(a) the sign-in window painted;
(b) the main window painted after the user name and password were typed into the sign-in window and Enter
    pressed, typed twice over: at a person's pace (``--key-delay``, 100 ms between keys by default: 10 keys a
    second, a practised typist's 8-12; this is the user's path, the target row), and all at once (every key
    within a few milliseconds of the window's paint: faster than any person, printed as information). The
    figure is (a) plus the time from Enter to the main window: the seconds the typing took are a person's, not
    the program's (printed beside it), and what the program does while the person types is the program's to
    use;
(c) offscreen, the first search answered: (b) plus the time from the first key of a chart number typed into
    the patient search (Ctrl+F, then the key, at the same pace) to its result shown (issue 14: ≤ 4× the empty
    window);
(d) the peak memory (VmHWM) once the busiest patient is open, found by typing their chart number into the
    patient search (the program opens the first patient found after a typing pause, and writes its
    "patient viewed" audit row, which the bench waits for).

"Painted" is the program's own mark: with ``NEEDLELOG_STARTUP_MARKS`` naming a file, the program appends
``<what> <time.monotonic()>`` to it in the event loop's turn after each window's first paint event
(``needlelog/app.py``: StartupMarks; unset, nothing happens). ``time.monotonic()`` is the system's
CLOCK_MONOTONIC, the same in every process.

Under Xvfb (the xcb platform) the typing is xdotool's (XTEST key events, as a keyboard's, ``--delay``
between keys), started the moment (a) is marked; Enter is when xdotool has sent Return. Offscreen there is no X
server to type into: ``bench/offscreen_typist.py`` runs the program's own command line in the same process and
sends QtTest's key events into the same widgets by timers, from the moment (a) is marked, a key every delay;
Enter is the time Return was due (QtTest is imported after the mark, so its cost is not the program's).

The program's own modules are compiled to bytecode before the runs (``compileall``), as an installed program's
are (pip compiles at install, the PyInstaller bundle carries bytecode): a checkout run with
PYTHONDONTWRITEBYTECODE set would otherwise compile every module of needlelog from source at every start.

The floor: a fresh process that shows an empty PySide6 window (``QWidget``), its first paint marked the same
way, on the same platform, run before each run of the program. The main window's floor is twice the
empty window plus the password check: Argon2id verifying the account's stored hash and, on a chart with a
chart key (issue 13), the Argon2id derivation that unwraps the account's copy of it, in this process.

The chart is left unchanged: the runs sign in (an audit row each) on a copy made with SQLite's backup API.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402 - the encrypted chart's connection and copy, shared by every bench script
from common import row  # noqa: E402 - the contract's row, shared by every bench script

TYPIST = Path(__file__).resolve().parent / "offscreen_typist.py"
WAIT = 120.0  # seconds for any one step before the run is declared failed
PERSON_MS = 100  # between keys at a person's pace: 10 keys a second

# The floor: an empty window, its first paint marked as needlelog/ui/widgets/first_paint.py marks the program's.
EMPTY_WINDOW = """
import os, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

def done():
    with open(os.environ["NEEDLELOG_STARTUP_MARKS"], "a") as marks:
        marks.write(f"sign-in window {time.monotonic():.6f}\\n")
    hwm = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM"))
    with open(os.environ["NEEDLELOG_STARTUP_MARKS"], "a") as marks:
        marks.write(f"hwm {hwm}\\n")
    app.quit()

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, done)
        return False

app = QApplication(sys.argv[:1])
window = QWidget()
window.setWindowTitle("empty")
painted = FirstPaint(window)
window.installEventFilter(painted)
window.show()
app.exec()
"""


def read_marks(path: Path) -> dict[str, float]:
    marks: dict[str, float] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            what, _, value = line.rpartition(" ")
            if what:
                marks.setdefault(what, float(value))
    return marks


def wait_for(what: str, marks_file: Path, process: subprocess.Popen[bytes], deadline: float) -> float:
    """The monotonic time of the mark ``what``, once the process has written it."""
    while True:
        found = read_marks(marks_file).get(what)
        if found is not None:
            return found
        if process.poll() is not None:
            raise RuntimeError(f"the program ended ({process.returncode}) before its {what}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"no {what} within {WAIT:.0f} s")
        time.sleep(0.002)


def vm_peak(pid: int) -> tuple[float, float]:
    """(VmHWM, VmRSS) of ``pid`` in MB (10^6 bytes)."""
    status = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        status[key] = value
    return int(status["VmHWM"].split()[0]) * 1024 / 1e6, int(status["VmRSS"].split()[0]) * 1024 / 1e6


def viewed(chart: Path, patient_id: int, after_id: int) -> bool:
    with closing(common.connect(chart, readonly=True)) as conn:
        found = conn.execute(
            "SELECT 1 FROM audit_log WHERE id > ? AND action = 'patient_viewed' AND patient_id = ?",
            (after_id, patient_id),
        ).fetchone()
    return found is not None


def last_audit_id(chart: Path) -> int:
    with closing(common.connect(chart, readonly=True)) as conn:
        return int(conn.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0])


def xdotool(display: str, *args: str) -> None:
    subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": display}, check=True)


def type_sign_in(display: str, user: str, password: str, delay_ms: int, painted: float) -> None:
    """The user name, Tab, the password and Return typed by xdotool: all at once (``delay_ms`` 0), or a key
    every ``delay_ms`` from ``painted`` on, each sent at its time (xdotool's own ``--delay`` is not the time
    between two keys: measured here, ``--delay 100`` typed about 18 keys a second)."""
    if delay_ms == 0:
        xdotool(display, "type", "--delay", "0", user)
        xdotool(display, "key", "Tab")
        xdotool(display, "type", "--delay", "0", password)
        xdotool(display, "key", "Return")
        return
    keys = [["type", c] for c in user] + [["key", "Tab"]] + [["type", c] for c in password] + [["key", "Return"]]
    for number, key in enumerate(keys):
        time.sleep(max(0.0, painted + number * delay_ms / 1000 - time.monotonic()))
        xdotool(display, *key)


def run_floor(platform: str, display: str | None, scratch: Path) -> tuple[float, float]:
    """One empty window: seconds from exec to its first paint, and its VmHWM in MB."""
    marks = scratch / "floor-marks.txt"
    marks.unlink(missing_ok=True)
    env = {**os.environ, "QT_QPA_PLATFORM": platform, "NEEDLELOG_STARTUP_MARKS": str(marks)}
    if display:
        env["DISPLAY"] = display
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-c", EMPTY_WINDOW], env=env, cwd=ROOT)
    painted = wait_for("sign-in window", marks, process, started + WAIT)
    process.wait(timeout=WAIT)
    hwm = int(read_marks(marks)["hwm"]) * 1024 / 1e6
    return painted - started, hwm


def run_program(args: argparse.Namespace, platform: str, display: str | None, chart: Path, scratch: Path,
                busiest: tuple[int, str], delay_ms: int) -> dict[str, float]:  # fmt: skip
    """One whole start of the program, the sign-in typed a key every ``delay_ms``: the marks, relative to exec,
    and the peak memory with a patient open."""
    marks = scratch / "marks.txt"
    marks.unlink(missing_ok=True)
    home = scratch / "home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": platform,
        "NEEDLELOG_STARTUP_MARKS": str(marks),
        "NEEDLELOG_HOME": str(home),
    }
    patient_id, chart_number = busiest
    if platform == "offscreen":
        env.update(BENCH_TYPE_USER=args.user, BENCH_TYPE_PASSWORD=args.password, BENCH_TYPE_SEARCH=chart_number)
        env["BENCH_TYPE_DELAY_MS"] = str(delay_ms)
        command = [sys.executable, str(TYPIST), "--db", str(chart)]
    else:
        env["DISPLAY"] = display or ""
        command = [sys.executable, "-m", "needlelog", "--db", str(chart)]
    audit_before = last_audit_id(chart)
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        deadline = started + WAIT
        sign_in = wait_for("sign-in window", marks, process, deadline)
        key_lag = None
        if platform == "offscreen":
            entered = wait_for("typed", marks, process, deadline)
            key_lag = wait_for("key lag", marks, process, deadline)
        else:
            assert display is not None
            type_sign_in(display, args.user, args.password, delay_ms, sign_in)
            entered = time.monotonic()
        main = wait_for("main window", marks, process, deadline)
        hwm_main, _rss = vm_peak(process.pid)
        searched = None
        if platform == "offscreen":  # the program's own first answer, typed at the same pace (no X marks it)
            found = wait_for("first search", marks, process, deadline)
            searched = found - read_marks(marks)["search key"]
        if platform != "offscreen":
            xdotool(display or "", "key", "ctrl+f")
            xdotool(display or "", "type", "--delay", "0", chart_number)
        while not viewed(chart, patient_id, audit_before):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the busiest patient was not opened")
            time.sleep(0.01)
        opened = time.monotonic()
        time.sleep(0.3)  # the history's rows drawn after the audit row is written
        hwm, rss = vm_peak(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    first_search = {} if searched is None else {"first_search": (sign_in - started) + (main - entered) + searched}
    if key_lag is not None:
        first_search["key_lag"] = key_lag
    return {
        **first_search,
        "sign_in": sign_in - started,
        "main": (sign_in - started) + (main - entered),
        "typing": entered - sign_in,
        "main_wall": main - started,
        "hwm": hwm,
        "rss": rss,
        "hwm_main": hwm_main,
        "patient_after": opened - main,
    }


def password_check(chart: Path, user: str, password: str, times: int) -> float:
    """Seconds Argon2id takes to verify ``user``'s stored hash (at the parameters stored in it), and, where the
    chart has a chart key (issue 13), to derive the key that unwraps the account's copy of it (at the parameters
    stored with the wrapping): the password work of one sign-in."""
    from argon2 import PasswordHasher
    from argon2.low_level import Type, hash_secret_raw

    with closing(common.connect(chart, readonly=True)) as conn:
        stored, account = conn.execute("SELECT password_hash, id FROM clinician WHERE username = ?", (user,)).fetchone()
        try:
            found = conn.execute("SELECT kdf FROM key_wrapping WHERE clinician_id = ?", (account,)).fetchone()
        except Exception:  # a chart made before issue 13 (sqlite3's or SQLCipher's OperationalError)
            found = None
    derive = None
    if found is not None and str(found[0]).startswith("argon2id$"):
        _name, params, salt = str(found[0]).split("$")
        cost = {key: int(value) for key, value in (part.split("=") for part in params.split(","))}
        derive = (bytes.fromhex(salt), cost["t"], cost["m"], cost["p"])
    hasher = PasswordHasher()
    spent = []
    for _ in range(times):
        began = time.perf_counter()
        hasher.verify(stored, password)
        if derive is not None:
            salt_bytes, t, m, p = derive
            hash_secret_raw(password.encode(), salt_bytes, t, m, p, 32, Type.ID)
        spent.append(time.perf_counter() - began)
    return statistics.median(spent)


def session_count(chart: Path) -> int:
    with closing(common.connect(chart, readonly=True)) as conn:
        return int(conn.execute("SELECT count(*) FROM treatment_session").fetchone()[0])


def busiest_patient(chart: Path) -> tuple[int, str]:
    with closing(common.connect(chart, readonly=True)) as conn:
        patient_id, _visits = conn.execute(
            "SELECT patient_id, count(*) FROM treatment_session GROUP BY patient_id ORDER BY 2 DESC LIMIT 1"
        ).fetchone()
        number = conn.execute("SELECT chart_number FROM patient WHERE id = ?", (patient_id,)).fetchone()[0]
    return int(patient_id), str(number)


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    """An Xvfb of our own on a free display number (Xvfb picks it and writes it to -displayfd)."""
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as answer:
        number = answer.readline().strip()
    if not number:
        raise SystemExit("bench: Xvfb did not start")
    return server, f":{number}"


def measure(args: argparse.Namespace, chart: Path, scratch: Path, platforms: list[str], display: str | None
            ) -> dict[str, dict[str, list[float]]]:  # fmt: skip
    busiest = busiest_patient(chart)
    figures: dict[str, dict[str, list[float]]] = {p: {} for p in platforms}
    for number in range(args.runs):
        for platform in platforms:
            floor, floor_hwm = run_floor(platform, display, scratch)
            into = figures[platform]
            for key, value in {"floor": floor, "floor_hwm": floor_hwm, "load": os.getloadavg()[0]}.items():
                into.setdefault(key, []).append(value)
            said = f"run {number + 1} {platform}: empty window {floor:.3f} s"
            for pace, delay_ms in (("person", args.key_delay), ("at_once", 0)):
                program = run_program(args, platform, display, chart, scratch, busiest, delay_ms)
                for key, value in program.items():
                    into.setdefault(f"{pace}_{key}", []).append(value)
                said += (
                    f"; {pace.replace('_', ' ')}: sign-in {program['sign_in']:.3f} s, main {program['main']:.3f} s "
                    f"(typing {program['typing']:.3f} s), VmHWM {program['hwm']:.1f} MB"
                )
                if "first_search" in program:
                    said += f", first search {program['first_search']:.3f} s"
            print(f"{said}; load {os.getloadavg()[0]:.2f}", flush=True)
    return figures


def rows_of(figures: dict[str, dict[str, list[float]]], check: float, args: argparse.Namespace,
            sessions: int) -> list[dict[str, Any]]:  # fmt: skip
    rows = []
    runs = args.runs
    for platform, f in figures.items():
        where = "Xvfb (xcb)" if platform == "xcb" else "offscreen"
        floor = statistics.median(f["floor"])
        signs_in = f["person_sign_in"] + f["at_once_sign_in"]
        sign_in = statistics.median(signs_in)
        load = f"load {min(f['load']):.2f}-{max(f['load']):.2f}"
        spread = (
            f"n={len(signs_in)}, p95 {sorted(signs_in)[-1 if len(signs_in) < 20 else int(0.95 * len(signs_in))]:.3f} s"
        )
        rows.append(row(
            f"sign-in window on screen, fresh process, {where}", "≤ 1.5× floor", sign_in, "s", floor=floor,
            floor_what="an empty PySide6 window, fresh process, same platform, interleaved",
            met=sign_in <= 1.5 * floor, note=f"median of {spread}; {load}",
        ))  # fmt: skip
        main_floor = 2 * floor + check
        floor_what = f"2 × empty window ({floor:.3f} s) + the sign-in's Argon2id ({check * 1000:.0f} ms)"
        for pace, how in (
            (
                "person",
                f"at a person's pace ({1000 / args.key_delay:.0f} keys a second)" if args.key_delay else "at once",
            ),
            ("at_once", "all at once (information: faster than any person types)"),
        ):
            main = statistics.median(f[f"{pace}_main"])
            rows.append(row(
                f"main window on screen after sign-in typed in the dialog {how}, fresh process, {where}",
                "≤ 2× floor + password check", main, "s", floor=main_floor, floor_what=floor_what,
                met=main <= main_floor,
                note=f"sign-in window + Enter to main window; typing {statistics.median(f[f'{pace}_typing']):.3f} s "
                f"not counted; exec to main window {statistics.median(f[f'{pace}_main_wall']):.3f} s; n={runs}; {load}"
                + (f"; a typed key waited at most {max(f[f'{pace}_key_lag']) * 1000:.0f} ms to show"
                   if f.get(f"{pace}_key_lag") and pace == "person" else ""),
            ))  # fmt: skip
        for pace, how in (("person", "at a person's pace"), ("at_once", "all at once (information)")):
            if f"{pace}_first_search" not in f:
                continue
            first = statistics.median(f[f"{pace}_first_search"])
            rows.append(row(
                f"first search answered, sign-in and search typed {how}, fresh process, {where}", "≤ 4× floor",
                first, "s", floor=floor, floor_what="an empty PySide6 window, fresh process, same platform",
                met=first <= 4 * floor,
                note=f"sign-in window + Enter to main window + the first key of the search to its result shown; "
                f"the typing not counted; n={runs}; {load}",
            ))  # fmt: skip
    platform = "xcb" if "xcb" in figures else next(iter(figures))
    hwm = figures[platform]["person_hwm"] + figures[platform]["at_once_hwm"]
    rss = figures[platform]["person_rss"] + figures[platform]["at_once_rss"]
    rows.append(row(
        f"peak memory, {sessions:,}-session chart open, signed in, busiest patient open", "≤ 150 MB",
        max(hwm), "MB", floor=statistics.median(figures[platform]["floor_hwm"]),
        floor_what="empty PySide6 window's VmHWM", met=max(hwm) <= 150,
        note=f"VmHWM, highest of {len(hwm)} runs ({platform}); median {statistics.median(hwm):.1f} MB, "
        f"RSS then {statistics.median(rss):.1f} MB",
    ))  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="the bench chart (left unchanged)")
    parser.add_argument("--user", default="bench", help="a clinician account of the bench chart")
    parser.add_argument("--password", default="bench-password-1")
    parser.add_argument("--json", type=Path, help="write the result rows here")
    parser.add_argument("--quick", action="store_true", help="two runs only: proves the script runs")
    parser.add_argument("--runs", type=int, default=10, help="runs of each, interleaved (default 10)")
    parser.add_argument("--platform", choices=("both", "xcb", "offscreen"), default="both")
    parser.add_argument(
        "--key-delay", type=int, default=PERSON_MS, help=f"ms between keys at a person's pace (default {PERSON_MS})"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))  # stopped: Xvfb and the copy go too
    if args.quick:
        args.runs = 2
    platforms = ["xcb", "offscreen"] if args.platform == "both" else [args.platform]
    if "xcb" in platforms and not (shutil.which("Xvfb") and shutil.which("xdotool")):
        print("bench: no Xvfb or xdotool here; offscreen only", file=sys.stderr)
        platforms.remove("xcb")
    server = None
    # As an installed program's (pip compiles at install; the PyInstaller bundle carries bytecode).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "needlelog")], check=True)
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as folder:
        scratch = Path(folder)
        chart = scratch / "chart.sqlite"
        common.copy_chart(args.db, chart)
        if common.file_key(chart) is None:  # an encrypted bench chart is made by this program: at its schema
            # A chart of an older schema would be upgraded (after a backup) by the first run alone.
            upgrade = [sys.executable, "-m", "needlelog", "db", "upgrade", "--db", str(chart)]
            subprocess.run(upgrade, cwd=ROOT, check=True)
        try:
            display = None
            if "xcb" in platforms:
                server, display = start_xvfb()
            figures = measure(args, chart, scratch, platforms, display)
            check = password_check(chart, args.user, args.password, 5 if args.quick else 20)
        finally:
            if server is not None:
                server.terminate()
                server.wait()
    rows = rows_of(figures, check, args, session_count(args.db))
    for r in rows:
        floor = "" if r["floor"] is None else f" (floor {r['floor']} {r['unit']}, ratio {r['ratio']})"
        print(f"{r['target']}: {r['measured']} {r['unit']}{floor}, {'met' if r['met'] else 'NOT met'} ({r['limit']})")
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
