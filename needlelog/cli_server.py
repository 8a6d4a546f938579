"""`needlelog db grants` and `needlelog migrate-to`: the clinic's PostgreSQL server (SPEC §7, §8).

Kept apart from :mod:`needlelog.cli` (which registers and dispatches them), as :mod:`needlelog.cli_backup`
is. Each command prints what it did in a line or two; a user error is one line on stderr with exit 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from needlelog.cli import EXIT_OK, UsageError, _db_option, _say, _target

LOGIN_PASSWORD = "NEEDLELOG_LOGIN_PASSWORD"  # the new login's password, for scripts (else it is asked)


def add_db_commands(db_commands: argparse._SubParsersAction[Any]) -> None:
    """`db grants`, on the `db` command's subparsers."""
    grants = db_commands.add_parser(
        "grants",
        help="give the PCs' login least privilege on a PostgreSQL chart (run as the tables' owner)",
        description="Create the group role (NOLOGIN) and the PCs' login if missing, and grant the group exactly "
        "what charting needs: the audit trail, amendments and follow-up notes insert-only, no TRUNCATE, no "
        f"table owned. Run with the owner's URL. A new login's password is read from ${LOGIN_PASSWORD} or asked.",
    )
    _db_option(grants, required=True)
    grants.add_argument("--login", required=True, metavar="NAME", help="the login every PC's URL uses")
    grants.add_argument("--group", default="needlelog_app", metavar="NAME", help="the group role (needlelog_app)")


def run_db(args: argparse.Namespace) -> int:
    """The `db` actions of this module (`grants`)."""
    from needlelog.services.server import grant_least_privilege

    password = os.environ.get(LOGIN_PASSWORD) or None
    if password is None and sys.stdin.isatty():
        import getpass

        password = getpass.getpass(f"Password for the login {args.login} (if it is new): ") or None
    done = grant_least_privilege(_target(args), args.login, password, group=args.group)
    made = "created and " if done.login_created else ""
    _say(
        f"login {done.login} {made}made a member of {done.group}: {done.tables} tables granted, the audit trail "
        f"insert-only; the tables stay {done.owner}'s"
    )
    return EXIT_OK


def refuse_sqlite(target: str, command: str) -> None:
    from needlelog.db.engine import resolve_target, sqlite_path

    if sqlite_path(resolve_target(target)) is not None:
        raise UsageError(f"{command} needs a postgresql+psycopg://... URL, not a SQLite file")


def add_commands(commands: argparse._SubParsersAction[Any]) -> None:
    """`migrate-to`, on the command line's subparsers."""
    move = commands.add_parser(
        "migrate-to",
        help="copy a SQLite chart into an empty PostgreSQL database, verified (the file is only read)",
        description="Copy every row of the SQLite chart --db into the empty PostgreSQL database --to (run with "
        "the URL of the role that is to own the tables), then verify the counts, every signed note's "
        "fingerprint and the audit chain on the server. The file is opened read-only and stays as it was.",
    )
    _db_option(move, required=True)
    move.add_argument("--to", required=True, metavar="URL", help="postgresql+psycopg://owner@server/database")
    move.add_argument(
        "--user",
        metavar="NAME",
        help="the account whose password opens an encrypted chart (password: $NEEDLELOG_PASSWORD or a prompt)",
    )


def run_migrate_to(args: argparse.Namespace) -> int:
    from needlelog.cli_key import file_key, keys_for, sqlite_file
    from needlelog.services.migrate_to import migrate_to

    source, target = _target(args), args.to
    key = file_key(keys_for(sqlite_file(source), args.user))
    line = _ProgressLine()
    try:
        moved = migrate_to(source, target, progress=line.show, key=key)
    finally:
        line.end()
    rows = sum(moved.rows.values())
    _say(
        f"moved {moved.rows.get('treatment_session', 0):,} sessions ({rows:,} rows) to the server in "
        f"{moved.seconds:.1f} s; verified: every table's count, {moved.signed_notes:,} signed notes' fingerprints, "
        "the audit chain"
    )
    return EXIT_OK


class _ProgressLine:
    """One line on the terminal, rewritten in place (a line per table when the output is not a terminal)."""

    def __init__(self) -> None:
        self.live = sys.stdout.isatty()
        self.last = 0.0
        self.width = 0

    def show(self, table: str, done: int, total: int) -> None:
        import time

        now = time.monotonic()
        finished = done == total
        if not self.live:
            if finished:
                _say(f"copied {table}: {total:,} rows")
            return
        if not finished and now - self.last < 0.2:
            return
        self.last = now
        share = 100 if not total else done * 100 // total
        bar = "#" * (share // 5)
        text = f"copying {table:<18} [{bar:<20}] {done:,}/{total:,} rows"
        sys.stdout.write("\r" + text.ljust(self.width))
        sys.stdout.flush()
        self.width = len(text)

    def end(self) -> None:
        if self.live and self.width:
            sys.stdout.write("\r" + " " * self.width + "\r")
            sys.stdout.flush()


def is_server(target: str) -> bool:
    from needlelog.db.engine import resolve_target, sqlite_path

    return sqlite_path(resolve_target(target)) is None


def run_server_backup(args: argparse.Namespace) -> int:
    """`backup` and `restore` of a chart on a PostgreSQL server: pg_dump and pg_restore, checked."""
    from pathlib import Path

    from needlelog.services import server_backup

    target = _target(args)
    if args.command == "backup":
        folder = Path(args.to).expanduser() if args.to is not None else None
        made = server_backup.backup_server(target, folder)
        thinned = f"; {made.removed} older copies thinned" if made.removed else ""
        _say(
            f"backed up the server's chart to {made.path} ({made.size_bytes:,} bytes, checked with pg_restore){thinned}"
        )
        return EXIT_OK
    signed = server_backup.restore_server(target, Path(args.backup).expanduser())
    _say(f"restored {args.backup} into the server's database ({signed:,} signed notes, checked); run db grants again")
    return EXIT_OK
