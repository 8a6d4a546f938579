"""The command line (SPEC §8). Imports stay lazy: `needlelog check` never loads Qt.

A user error prints one line on stderr and exits 2; `check` exits 1 when it finds a problem.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from needlelog import __version__

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 70, 130
STOP_DEADLINE = 10.0  # seconds after Ctrl-C by which the process has ended, whatever was running


class UsageError(Exception):
    """A mistake in what was asked; shown as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `needlelog --help`)")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds")
    return value


def _at_least_one(text: str) -> int:
    value = _count(text)
    if value < 1:
        raise argparse.ArgumentTypeError("give at least 1")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        shown = text if len(text) <= 40 else f"{text[:20]}…{text[-10:]} ({len(text):,} characters)"
        raise argparse.ArgumentTypeError(f"{shown!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; give a count of 0 or more")
    return value


def _day(text: str) -> date:
    """A calendar day, written YYYY-MM-DD (the one unambiguous way: 03/04 is two different days)."""
    try:
        if len(text) != 10 or text[4] != "-" or text[7] != "-":
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write it as YYYY-MM-DD") from None


def _db_option(parser: argparse.ArgumentParser, required: bool = False, fallback: str = "the user data folder") -> None:
    """``--db`` of a command. Never required by argparse, which would refuse ``needlelog --db X check`` (the
    option before the command): a command that needs a chart finds none in ``_target``, which says so."""
    where = "of the window or of the command after it" if parser.prog == "needlelog" else "here or before the command"
    parser.add_argument(
        "--db",
        metavar="PATH|URL",
        default=argparse.SUPPRESS,
        help=f"SQLite file or database URL, {where}; required unless $NEEDLELOG_DB names it"
        if required
        else f"SQLite file or database URL, {where} (default: $NEEDLELOG_DB, then {fallback})",
    )


def _add_demo_and_seed(commands: Any) -> None:
    """The two commands that make a chart of made-up people: the demo clinic, and a chart filled to measure."""
    demo = commands.add_parser(
        "demo",
        help="open the program on a demo clinic, created on first use",
        description="Open the program on Bow River Physiotherapy, a demo clinic with realistic patients and "
        "visits, made on first use (its accounts are shown under the sign-in). Nothing in it is a real patient.",
    )
    _db_option(demo, fallback="the demo chart in the user data folder")
    demo.add_argument("--no-window", action="store_true", help="create the demo clinic and exit")
    demo.add_argument("--exit-after", type=_seconds, metavar="SECONDS", help=argparse.SUPPRESS)

    seed = commands.add_parser(
        "seed",
        help="fill a database with synthetic, realistic data",
        description="Fill a chart (created if new) with synthetic patients, clinicians, consents and visit notes, "
        "signed and drafts, for trying the program or measuring it. Never on a clinic's real chart.",
    )
    _db_option(seed, required=True)
    seed.add_argument("--patients", type=_count, required=True, metavar="N", help="how many patients to add")
    seed.add_argument(
        "--sessions", type=_count, required=True, metavar="M", help="how many visits to add, spread over the patients"
    )
    seed.add_argument(
        "--seed", type=int, default=1, metavar="S", help="random seed: the same S gives the same data (default 1)"
    )
    seed.add_argument(
        "--clinicians",
        type=_at_least_one,
        default=None,
        help="how many clinicians (default 3, or 10 above 200 patients)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="needlelog",
        description="Chart dry needling / IMS sessions; print signed visit notes.",
    )
    parser.add_argument("--version", action="version", version=f"needlelog {__version__}")
    _db_option(parser)
    parser.add_argument("--exit-after", type=_seconds, metavar="SECONDS", help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    _add_demo_and_seed(commands)

    export = commands.add_parser(
        "export",
        help="write visit notes as PDFs (one per visit, and optionally combined) and CSV",
        description="Write the visit notes whose service date is in --from..--to (both days included): "
        "one PDF per visit in --out, and optionally one combined PDF and a CSV file. Signed notes only "
        "unless --include-drafts.",
    )
    _db_option(export, required=True)
    export.add_argument("--from", dest="date_from", type=_day, required=True, metavar="DATE", help="YYYY-MM-DD")
    export.add_argument("--to", dest="date_to", type=_day, required=True, metavar="DATE", help="YYYY-MM-DD")
    export.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for the PDFs (created)")
    export.add_argument("--clinician", metavar="USER", help="only this clinician's visits (user name)")
    export.add_argument("--patient", metavar="CHART", help="only this patient's visits (chart number)")
    export.add_argument("--combined", type=Path, metavar="FILE.pdf", help="also write all notes in one PDF")
    export.add_argument("--csv", type=Path, metavar="FILE.csv", help="also write a CSV file, one row per visit")
    export.add_argument("--include-drafts", action="store_true", help="export unsigned drafts too")
    export.add_argument(
        "--user",
        metavar="NAME",
        help="the account to export as, where the chart has accounts (password: $NEEDLELOG_PASSWORD or a prompt)",
    )

    check = commands.add_parser(
        "check",
        help="integrity, foreign keys, schema at head; exit 1 on failure",
        description="Read the chart without changing it: SQLite's integrity and foreign keys, the schema at this "
        "program's version, the protective triggers, every signed note's fingerprint and seal, and the audit "
        "chain. Prints ok and exits 0, or names each problem and exits 1.",
    )
    _db_option(check, required=True)
    check.add_argument(
        "--user",
        metavar="NAME",
        help="verify the seals with this account's key to the chart, and open an encrypted chart (password: "
        "$NEEDLELOG_PASSWORD or a prompt; every password lost: $NEEDLELOG_RECOVERY_KEY)",
    )

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", parser_class=_Parser, metavar="ACTION", required=True)
    upgrade = db_commands.add_parser(
        "upgrade",
        help="bring the schema to this program's version (after a backup)",
        description="Copy the chart aside (<chart>.before-upgrade-from-<schema>.<time>.sqlite, checked), then "
        "bring its schema to this program's version in one transaction. The program does this itself at start.",
    )
    _db_option(upgrade, required=True)
    upgrade.add_argument("--user", metavar="NAME", help="the account whose password opens an encrypted chart")
    from needlelog import cli_backup, cli_server

    cli_server.add_db_commands(db_commands)
    cli_server.add_commands(commands)

    cli_backup.add_commands(commands)
    from needlelog import cli_report

    cli_report.add_commands(commands)
    from needlelog import cli_auth

    cli_auth.add_commands(commands)
    return parser


def _target(args: argparse.Namespace, fallback: Callable[[], Path] | None = None) -> str:
    target = getattr(args, "db", None) or os.environ.get("NEEDLELOG_DB")
    if target:
        return str(target)
    if fallback is None:
        command = " ".join(filter(None, (args.command, getattr(args, "db_command", None))))
        raise UsageError(f"the chart is required: --db PATH|URL (before or after `{command}`), or set NEEDLELOG_DB")
    return str(fallback())


def _writable(args: argparse.Namespace, command: str, fallback: Callable[[], Path] | None = None) -> str:
    """The chart ``command`` writes to; a read-only one (``?mode=ro``) is refused before it is opened."""
    target = _target(args, fallback)
    _refuse_read_only(target, command)
    return target


def _refuse_read_only(target: str, command: str) -> None:
    from needlelog.db.engine import is_read_only, resolve_target

    if is_read_only(resolve_target(target)):
        raise UsageError(f"--db asks for a read-only chart (?mode=ro), but {command} writes to it; drop ?mode=ro.")


def _refuse_damaged(target: str, key: bytes | None = None) -> None:
    """A damaged SQLite chart is never opened for writing: named, with where to find the newest good backup."""
    from needlelog.db.engine import resolve_target, sqlite_path
    from needlelog.services.restoring import refuse_damaged

    path = sqlite_path(resolve_target(target))
    if path is not None and path.exists():
        refuse_damaged(path, key)


def _say(text: str) -> None:
    print(text, flush=True)


def _cmd_seed(args: argparse.Namespace) -> int:
    import time

    from needlelog.services.seeding import refuse_too_many, seed_chart
    from needlelog.services.store import engine_at_head

    if args.sessions and not args.patients:
        raise UsageError("--sessions needs at least one patient (--patients 1 or more)")
    refuse_too_many(args.patients, args.sessions, args.clinicians)  # before the file is even created
    started = time.perf_counter()
    target = _writable(args, "seed")
    _refuse_damaged(target)
    engine = engine_at_head(target)
    try:
        result = seed_chart(
            engine,
            args.patients,
            args.sessions,
            seed=args.seed,
            clinicians=args.clinicians,
        )
    finally:
        engine.dispose()
    _say(
        f"seeded {result.patients} patients, {result.sessions} sessions, {result.sites} needling sites, "
        f"{result.clinicians} clinicians in {time.perf_counter() - started:.1f} s"
    )
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from needlelog.services.exporting import ExportCriteria

    criteria = ExportCriteria(
        args.date_from,
        args.date_to,
        clinician=args.clinician,
        patient_chart=args.patient,
        include_drafts=args.include_drafts,
    )
    out = _home(args.out)
    if not out.absolute().parent.is_dir():
        raise UsageError(f"--out: the folder {out.absolute().parent} does not exist; cannot create {out.name} in it")
    # An export never creates or changes a chart: a file that is not one at this schema is refused.
    from needlelog.cli_auth import open_signed_in

    # A chart with accounts is read through one, audited under its name (an encrypted one opens only so).
    services = open_signed_in(_writable(args, "export (it records itself in the audit trail)"), args.user)
    try:
        result = services.exports.export(
            criteria,
            out,
            combined=args.combined and _home(args.combined),
            csv=args.csv and _home(args.csv),
        )
    finally:
        services.close()
    if not result.matched:
        _say(f"no visit notes match ({criteria.describe()}); nothing written")
        return EXIT_OK
    extra = "".join(
        f"; {what}: {path}" for what, path in (("combined", result.combined), ("CSV", result.csv)) if path is not None
    )
    notes = f"{result.written} visit note{'s' if result.written != 1 else ''}"
    _say(f"exported {notes} ({criteria.describe()}) to {out}{extra} in {result.seconds:.1f} s")
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    from needlelog.cli_auth import seal_password, seal_problems, seal_words
    from needlelog.cli_progress import Progress
    from needlelog.services.store import check_database

    target = _target(args)
    from needlelog.cli_key import is_encrypted_chart, sqlite_file

    if is_encrypted_chart(sqlite_file(target)):
        from needlelog.cli_key import check_encrypted

        return check_encrypted(target, args.user)
    password = seal_password(target, args.user)
    progress = Progress("check")  # said on stderr once it runs longer than a few seconds
    problems = check_database(target, progress=progress)
    sealing, waiting = seal_problems(target, args.user, password, checked=not problems, progress=progress)

    def ok() -> str:
        return f"integrity, foreign keys, schema at head{seal_words(target, args.user)}"

    return say_checked(target, problems + sealing, waiting, ok)


def say_checked(
    target: str, problems: list[str], waiting: list[str], ok: Callable[[], str], key: bytes | None = None
) -> int:
    """What `needlelog check` found, said, and its exit code: the rows waiting for a seal (sealed by the next write
    that holds the key: said, not a problem) on stdout, each problem on stderr followed by the newest backup that
    checks out (read with ``key`` on an encrypted chart), or "ok" and what ``ok()`` says was checked (asked only
    then: a damaged chart's tables may not be readable)."""
    for line in waiting:
        _say(f"{target}: {line}")
    for problem in problems:
        print(f"needlelog check: {problem}", file=sys.stderr)
    if problems:
        from needlelog.cli_backup import say_newest_backup

        say_newest_backup(target, key)
        return EXIT_PROBLEMS
    _say(f"{target}: ok ({ok()})")
    return EXIT_OK


def _cmd_upgrade(args: argparse.Namespace) -> int:
    from needlelog.cli_key import file_key, keys_for, sqlite_file
    from needlelog.services.store import upgrade_database

    target = _writable(args, "db upgrade")
    key = file_key(keys_for(sqlite_file(target), args.user))
    _refuse_damaged(target, key)
    before, after = upgrade_database(target, key=key)
    _say(f"schema already at {after}" if before == after else f"schema upgraded from {before or 'empty'} to {after}")
    return EXIT_OK


def _ensure_demo(target: str) -> None:
    from needlelog.services.demo import ensure_demo_clinic

    created = ensure_demo_clinic(target)
    if created:
        _say(f"demo clinic created in {target}")


# Qt platforms that need a display server; any other (offscreen, minimal, vnc, eglfs, linuxfb) needs none.
_DISPLAY_PLATFORMS = {"", "xcb", "wayland", "wayland-egl", "wayland-brcm"}


def _refuse_without_screen() -> None:
    """Where the window needs a display server and none is named, say so in one line: Qt would abort the
    process (SIGABRT) with a hint about a missing xcb library instead."""
    if sys.platform in ("win32", "darwin") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return
    platforms = {name.split(":")[0] for name in os.environ.get("QT_QPA_PLATFORM", "").split(";")}
    if platforms <= _DISPLAY_PLATFORMS:
        raise UsageError(
            "there is no screen to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set): start "
            "needlelog from the PC's desktop, or use a command that needs none, such as `needlelog check`"
        )


def _open_window(
    target: str | Callable[[], str],
    exit_after: float | None,
    hint: str = "",
    check: Callable[[str], None] | None = None,
) -> int:
    from needlelog.app import run

    _refuse_without_screen()
    if threading.current_thread() is threading.main_thread():
        # Not the command line's Ctrl-C (and its watchdog that ends the process): the window saves and
        # closes as it always did, and is never ended half-way by a press in the terminal that started it.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    return run(target, exit_after=exit_after, hint=hint, check=check)


def dispatch(args: argparse.Namespace) -> int:
    from needlelog import paths

    if args.command == "seed":
        return _cmd_seed(args)
    if args.command == "export":
        return _cmd_export(args)
    if args.command == "check":
        return _cmd_check(args)
    if args.command == "report":
        from needlelog import cli_report

        return cli_report.run(args)
    if args.command == "recover":
        from needlelog import cli_auth

        return cli_auth.run_recover(args, _writable(args, "recover"))
    if args.command == "db":
        if args.db_command == "grants":
            from needlelog import cli_server

            return cli_server.run_db(args)
        return _cmd_upgrade(args)
    if args.command == "migrate-to":
        from needlelog import cli_server

        return cli_server.run_migrate_to(args)
    if args.command in ("backup", "restore"):
        from needlelog import cli_backup

        return cli_backup.run(args)
    if args.command == "demo":
        target = _writable(args, "the demo", paths.demo_database)
        if not args.no_window:
            _refuse_without_screen()  # before the demo clinic is made
        _ensure_demo(target)
        if args.no_window:
            return EXIT_OK
        from needlelog.services.demo import DEMO_HINT

        return _open_window(target, args.exit_after, DEMO_HINT)
    # Resolved by the window, so that a data folder that cannot be used is said in a box as well.
    # The target now, what it names checked behind the sign-in window (the check loads the storage library).
    return _open_window(
        lambda: _target(args, paths.default_database),
        args.exit_after,
        check=lambda target: _refuse_read_only(target, "the program"),
    )


def _home(path: Path) -> Path:
    """``~`` expanded, or a usage error in words (an unknown ``~user`` raises in Python)."""
    try:
        return path.expanduser()
    except RuntimeError:
        raise UsageError(f"{path}: no such user's home folder") from None


def main(argv: Sequence[str] | None = None) -> int:
    from needlelog.domain.errors import NeedlelogError

    interrupts = _Interrupts()
    _quiet_libraries()
    try:
        args = build_parser().parse_args(argv)
        return dispatch(args)
    except (UsageError, NeedlelogError) as exc:
        return _user_error(str(exc))
    except KeyboardInterrupt:
        return interrupts.report()
    except Exception as exc:
        environment = _environment_fault(exc)
        if environment is not None:  # a disk, a lock, a permission: what to do, not a traceback
            return _user_error(environment)
        # A fault of the program, not of what was asked: still one line, unless asked for the details.
        if os.environ.get("NEEDLELOG_DEBUG"):
            raise
        detail = " ".join(str(exc).split())
        print(
            f"needlelog: unexpected error ({type(exc).__name__}: {detail}); run again with NEEDLELOG_DEBUG=1 "
            "for the details",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    finally:
        interrupts.restore()


def _quiet_libraries() -> None:
    """The command line speaks in one line; a library's log record is not for the person at the terminal.

    SQLAlchemy logs (with a traceback) what it swallows or re-raises while returning a connection to
    its pool, such as a Ctrl-C that lands there; with no handler of its own, Python would print that
    record on stderr. The exception itself still reaches :func:`main`, which says it in one line."""
    import logging

    library = logging.getLogger("sqlalchemy")
    if not library.handlers:
        library.addHandler(logging.NullHandler())


def _user_error(text: str) -> int:
    # One line, always: drivers sometimes add a hint on a second line.
    print(f"needlelog: {' '.join(text.split())}", file=sys.stderr, flush=True)
    return EXIT_USAGE


def _environment_fault(exc: Exception) -> str | None:
    """The sentence for a fault of the machine rather than of the program (a full disk, a file that
    may not be written, a chart locked by another program) that reached the command line untranslated."""
    if isinstance(exc, OSError) and exc.errno is not None:
        from needlelog.db.engine import describe_os_error

        return describe_os_error(Path(os.fsdecode(exc.filename or "the file")), exc)
    from needlelog.services.base import storage_failure

    translated = storage_failure(exc)
    return None if translated is None else str(translated)


class _Interrupts:
    """Ctrl-C, by design: the first press raises KeyboardInterrupt in the main thread (the work stops,
    its ``finally`` blocks stop the workers and remove half-written files); any further press is
    ignored, so nothing interrupts that cleaning up; and should the cleaning up ever take longer than
    :data:`STOP_DEADLINE`, the process ends anyway. One line is printed, exit code 130."""

    def __init__(self) -> None:
        self._previous: Any = None
        self._said = threading.Event()
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._first)

    def _first(self, _signum: int, _frame: object) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        watchdog = threading.Timer(STOP_DEADLINE, self._give_up)
        watchdog.daemon = True
        watchdog.start()
        raise KeyboardInterrupt

    def _give_up(self) -> None:  # pragma: no cover - only when stopping hangs
        if not self._said.is_set():
            os.write(2, b"needlelog: interrupted\n")
        os._exit(EXIT_INTERRUPTED)

    def report(self) -> int:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the press came before ours was installed, or twice
        self._said.set()
        print("needlelog: interrupted", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED

    def restore(self) -> None:
        if self._previous is not None and not self._said.is_set():
            signal.signal(signal.SIGINT, self._previous)
