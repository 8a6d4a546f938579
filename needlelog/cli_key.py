"""The key of an encrypted chart for the commands that open its file themselves (issue 13, item 1): `backup`,
`restore`, `migrate-to`, `check` and `db upgrade`.

A chart is encrypted for the command line when its file is not plain SQLite and its side file of wrapped keys
(``<chart>.keys``) is beside it. Then ``--user NAME`` is required: the password (``NEEDLELOG_PASSWORD`` or a
prompt that does not echo) unwraps that account's copy of the chart key in the side file, and the file key is
derived from it (:mod:`needlelog.db.keyfile`), before the chart is opened. When every password is lost, `restore`
and `check` also take the administrator's recovery key from ``NEEDLELOG_RECOVERY_KEY`` (not a prompt: without
``--user`` and without it, the command is refused in one line); the commands that write to the chart in place
(`backup`, `db upgrade`, `migrate-to`'s audit) want an account, since the recovery key's place is `recover`,
which gives an account a new password. A plain chart needs none of this and works as before.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from needlelog.cli import UsageError
from needlelog.cli_auth import PASSWORD_VARIABLE, RECOVERY_VARIABLE, _secret

if TYPE_CHECKING:
    from needlelog.services.base import Access

ENCRYPTED = "this chart is encrypted: give --user"
USER_HELP = "the account whose password opens an encrypted chart (password: $NEEDLELOG_PASSWORD or a prompt)"


@dataclass(frozen=True)
class ChartKeys:
    """What the command line got for an encrypted chart: the chart key (seals) and the file key (SQLCipher)."""

    chart_key: bytes
    file_key: bytes
    user: str | None  # None: opened with the recovery key
    password: str | None


def is_encrypted_chart(path: Path | None) -> bool:
    from needlelog.db import cipher

    return path is not None and cipher.has_keys(path)


def keys_for(
    chart: Path | None, user: str | None, *, recovery: bool = False, keys_from: Path | None = None
) -> ChartKeys | None:
    """The keys of the encrypted chart at ``chart`` (None for a plain one, or none there), from ``user``'s
    password, or from the recovery key when ``recovery`` allows it; ``keys_from``: the encrypted file whose side
    file gives them (a backup restored: its own, made when it was taken)."""
    source = keys_from if is_encrypted_chart(keys_from) else chart
    if source is None or not is_encrypted_chart(source):
        return None
    from needlelog.db import cipher, keyfile

    if user:
        password = _secret(PASSWORD_VARIABLE, f"password for {user}")
        chart_key = keyfile.chart_key_for(source, user, password)
        return ChartKeys(chart_key, cipher.file_key(chart_key), user, password)
    recovery_key = os.environ.get(RECOVERY_VARIABLE) if recovery else None
    if recovery_key:
        chart_key = keyfile.chart_key_from_recovery(source, recovery_key)
        return ChartKeys(chart_key, cipher.file_key(chart_key), None, None)
    raise UsageError(ENCRYPTED)


def access_for(keys: ChartKeys | None) -> Access | None:
    """Who acts for a command that writes its own audit row (backup, restore): the system, as before, holding
    the chart key when the command opened an encrypted chart, so that the row is sealed as it is written."""
    if keys is None:
        return None
    from needlelog.services.base import Access

    access = Access()
    access.chart_key = keys.chart_key
    return access


def file_key(keys: ChartKeys | None) -> bytes | None:
    return None if keys is None else keys.file_key


def sqlite_file(target: str) -> Path | None:
    """The SQLite file ``target`` names (None for a server)."""
    from needlelog.db.engine import resolve_target, sqlite_path

    return sqlite_path(resolve_target(target))


def check_encrypted(target: str, user: str | None) -> int:
    """`needlelog check` on an encrypted chart: the same checks as on a plain one (pages, references, schema,
    triggers, fingerprints, the audit chain, and every seal), read through SQLCipher with the file key; with the
    recovery key the seals are verified with the chart key it opens."""
    from needlelog.cli import say_checked
    from needlelog.cli_progress import Progress
    from needlelog.services.store import check_database, seal_findings, seal_findings_with_chart_key

    keys = keys_for(sqlite_file(target), user, recovery=True)
    assert keys is not None  # the caller saw the chart encrypted
    waiting: list[str] = []
    progress = Progress("check")  # said on stderr once it runs longer than a few seconds
    problems = check_database(target, key=keys.file_key, progress=progress)
    if not problems:
        if keys.user is not None and keys.password is not None:
            sealing, waiting = seal_findings(target, keys.user, keys.password, keys.file_key, progress)
        else:
            sealing, waiting = seal_findings_with_chart_key(target, keys.chart_key, keys.file_key, progress)
        problems += sealing
    ok = "integrity, foreign keys, schema at head; encrypted; seals verified"
    return say_checked(target, problems, waiting, lambda: ok, keys.file_key)
