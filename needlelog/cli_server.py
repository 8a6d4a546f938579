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
