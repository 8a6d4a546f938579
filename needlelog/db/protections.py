"""Whether a SQLite chart still holds every trigger that protects its records (`needlelog check`).

The triggers are the database's own wall against plain SQL on the file: a signed note refuses change, the
audit trail and amendments are append-only, a stored record cannot be replaced (SPEC §3). Someone who can
write the file can drop one, rewrite a record and create it again; so ``check`` compares the file's
triggers, by name and by their text, with those the migrations make on an empty database, and names each
one missing or changed. (Finding a record rewritten while a trigger was away needs a seal the file does
not hold; that is the keyed seal's work, not this check's.)
"""

from __future__ import annotations

import threading
from contextlib import closing
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from needlelog.db import cipher, migrate


def _normal(sql: str | None) -> str:
    return " ".join((sql or "").split())


_MAKING = threading.Lock()  # the backup thread and the main thread may both ask first


def expected_triggers() -> dict[str, str]:
    """Every trigger this program's schema has on SQLite, by name, as its normalised CREATE text."""
    with _MAKING:
        return _expected_triggers()


@cache
def _expected_triggers() -> dict[str, str]:
    # One in-memory database, made and read by the thread holding the lock.
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    try:
        migrate.upgrade(engine, at=datetime(2000, 1, 1, tzinfo=UTC))  # no backup is made of an empty database
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all()
    finally:
        engine.dispose()
    return {name: _normal(sql) for name, sql in rows}


def trigger_problems(path: Path, key: bytes | None = None) -> list[str]:
    """Each protective trigger the file at ``path`` lacks or holds changed, in words; empty when all are there.
    The file is opened read-only (with ``key``, the file key, when it is encrypted)."""
    with closing(
        cipher.raw_connect(path, key if key is not None and cipher.is_encrypted(path) else None, readonly=True)
    ) as raw:
        found = {
            name: _normal(sql)
            for name, sql in raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        }
    problems = []
    for name, sql in sorted(expected_triggers().items()):
        if name not in found:
            problems.append(f"protection: the trigger {name} is missing (a record it guards may have been changed)")
        elif found[name] != sql:
            problems.append(f"protection: the trigger {name} has been changed from what this program made")
    return problems
