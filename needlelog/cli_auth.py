"""The command line signs in (SPEC §4, issue 13 item 3): a chart that has accounts is read through one of them.

``--user NAME`` names the account; the password comes from ``NEEDLELOG_PASSWORD`` (a scheduled job) or, at a
terminal, from a prompt that does not echo. The account's rights apply, and the sign-in and what follows are
audited under its name, as in the window. A chart with no account able to sign in yet (a test chart, a fresh
seed: no administrator has a password) is used as the system, as before.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from needlelog.domain.errors import PermissionDenied, StorageError

if TYPE_CHECKING:  # the command line's parser is built at every start, the window's too: no storage library
    from needlelog.services.store import Services

PASSWORD_VARIABLE = "NEEDLELOG_PASSWORD"
RECOVERY_VARIABLE = "NEEDLELOG_RECOVERY_KEY"


ENCRYPTED_NEEDS_USER = (
    f"this chart is encrypted: give --user NAME (the password from {PASSWORD_VARIABLE} or the prompt)."
)


def open_signed_in(target: str, user: str | None) -> Services:
    """The chart at ``target`` opened (never created nor upgraded) with ``user`` signed in (:func:`sign_in`). An
    encrypted chart opens only with the key ``user``'s password unwraps from its file of keys (a wrong password
    is counted there, as at the window); without ``--user`` it is refused in one line."""
    from needlelog.services.store import encrypted_chart, open_chart

    if encrypted_chart(target) is None:
        services = open_chart(target, create=False, upgrade=False)
        try:
            sign_in(services, user)
        except BaseException:
            services.close()
            raise
        return services
    if not user:
        raise PermissionDenied(ENCRYPTED_NEEDS_USER)
    from needlelog.services.encryption import open_with_password

    password = _secret(PASSWORD_VARIABLE, f"password for {user}")
    services, chart_key = open_with_password(target, user, password, upgrade=False)
    try:
        services.accounts.login(user, password, chart_key)
    except BaseException:
        services.close()
        raise
    return services


def sign_in(services: Services, user: str | None) -> None:
    """Sign ``user`` in on ``services`` when the chart has accounts; refuse in one sentence otherwise."""
    if services.accounts.needs_admin():
        return  # no account can sign in yet: the system acts, audited under the operating-system user
    if not user:
        raise PermissionDenied(
            f"This chart has accounts: give --user NAME (the password from {PASSWORD_VARIABLE} or the prompt)."
        )
    services.accounts.login(user, _secret(PASSWORD_VARIABLE, f"password for {user}"))


def _secret(variable: str, what: str) -> str:
    """A password or key from ``variable`` (a scheduled job) or a prompt that does not echo (a terminal)."""
    value = os.environ.get(variable)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise PermissionDenied(f"No {what}: set {variable} for a scheduled job, or run at a terminal.")
    try:
        return getpass.getpass(f"needlelog: {what}: ")
    except EOFError:
        raise PermissionDenied(f"No {what} was given.") from None


def seal_password(target: str, user: str | None) -> str | None:
    """`check --user`'s password, asked and proved before the check begins: a wrong one is its one line at once,
    not after minutes of progress."""
    from needlelog.services.store import prove_seal_account

    if not user:
        return None
    password = _secret(PASSWORD_VARIABLE, f"password for {user}")
    prove_seal_account(target, user, password)
    return password


def seal_problems(
    target: str,
    user: str | None,
    password: str | None,
    *,
    checked: bool,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[str], list[str]]:
    """`check --user`: every seal verified with the account's key to the chart (nothing is written); the problems,
    and the rows not yet sealed (written by an account without the key since the sealed head), in words."""
    from needlelog.services.store import has_chart_key, seal_findings

    if not user or password is None:
        return [], []
    try:
        if not has_chart_key(target):
            return [], []
        return seal_findings(target, user, password, progress=progress)
    except StorageError:
        if checked:
            raise
        return [], []  # the file's own problems are named already


def seal_words(target: str, user: str | None) -> str:
    """What `check` says of the seals after "ok": nothing for a chart without a key (nothing is sealed)."""
    from needlelog.services.store import has_chart_key

    if not has_chart_key(target):
        return ""
    return "; seals verified" if user else "; seals not verified: give --user NAME to verify them"


def add_commands(commands: argparse._SubParsersAction[Any]) -> None:
    from needlelog.cli import _db_option

    recover = commands.add_parser(
        "recover",
        help="set an account's password with the chart's recovery key (when every password is lost)",
        description="Open the chart key with the recovery key shown at the first start (from "
        f"${RECOVERY_VARIABLE} or a prompt) and give --user a new password (from ${PASSWORD_VARIABLE} or a "
        "prompt, asked twice), audited.",
    )
    _db_option(recover, required=True)
    recover.add_argument("--user", metavar="NAME", required=True, help="the account that gets the new password")


def run_recover(args: argparse.Namespace, target: str) -> int:
    from needlelog.cli import EXIT_OK, _say
    from needlelog.services.encryption import open_with_recovery
    from needlelog.services.store import encrypted_chart, open_chart

    recovery = _secret(RECOVERY_VARIABLE, "the recovery key")
    password = os.environ.get(PASSWORD_VARIABLE)
    if password is None:
        password = _secret(PASSWORD_VARIABLE, f"new password for {args.user}")
        if _secret(PASSWORD_VARIABLE, "the new password again") != password:
            raise PermissionDenied("The two passwords differ; nothing was changed.")
    if encrypted_chart(target) is not None:  # the recovery key opens the file too
        services = open_with_recovery(target, recovery)
    else:
        services = open_chart(target, create=False, upgrade=False)
    try:
        services.accounts.recover(recovery, args.user, password)
    finally:
        services.close()
    _say(f"{args.user}: password set with the recovery key")
    return EXIT_OK
