"""The command line signs in (SPEC §4, issue 13 item 3): a chart that has accounts is read through one of them.

``--user NAME`` names the account; the password comes from ``NEEDLELOG_PASSWORD`` (a scheduled job) or, at a
terminal, from a prompt that does not echo. The account's rights apply, and the sign-in and what follows are
audited under its name, as in the window. A chart with no account able to sign in yet (a test chart, a fresh
seed: no administrator has a password) is used as the system, as before.
"""

from __future__ import annotations

import getpass
import os
import sys

from needlelog.domain.errors import PermissionDenied
from needlelog.services.store import Services

PASSWORD_VARIABLE = "NEEDLELOG_PASSWORD"


def sign_in(services: Services, user: str | None) -> None:
    """Sign ``user`` in on ``services`` when the chart has accounts; refuse in one sentence otherwise."""
    if services.accounts.needs_admin():
        return  # no account can sign in yet: the system acts, audited under the operating-system user
    if not user:
        raise PermissionDenied(
            f"This chart has accounts: give --user NAME (the password from {PASSWORD_VARIABLE} or the prompt)."
        )
    password = os.environ.get(PASSWORD_VARIABLE)
    if password is None:
        if not sys.stdin.isatty():
            raise PermissionDenied(
                f"No password for {user}: set {PASSWORD_VARIABLE} for a scheduled job, or run at a terminal."
            )
        try:
            password = getpass.getpass(f"needlelog: password for {user}: ")
        except EOFError:
            raise PermissionDenied(f"No password for {user} was given.") from None
    services.accounts.login(user, password)
