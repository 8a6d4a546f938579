"""The clinic's PostgreSQL server: the PCs' login given least privilege (`needlelog db grants`)."""

from __future__ import annotations

import os

from sqlalchemy.exc import DBAPIError

from needlelog.db import server
from needlelog.db.engine import open_engine, resolve_target, sqlite_path
from needlelog.domain.errors import StorageError

Grants = server.Grants


def grant_least_privilege(
    target: str | os.PathLike[str], login: str, password: str | None, group: str = server.DEFAULT_GROUP
) -> Grants:
    """Give ``login`` (created when missing) exactly what charting needs on the chart at ``target``, through
    ``group``; run with the URL of the tables' owner. Refusals come back in words."""
    if sqlite_path(resolve_target(target)) is not None:
        raise StorageError("db grants is for a PostgreSQL server; a SQLite chart is protected by its file's owner.")
    engine = open_engine(target, create=False)
    try:
        return server.grant_least_privilege(engine, group, login, password)
    except DBAPIError as exc:
        why = " ".join(str(exc.orig).split())[:300]
        raise StorageError(
            f"The server refused the grants ({why}): run this with the URL of the chart's owner, "
            "a login that may create roles (CREATEROLE)."
        ) from None
    finally:
        engine.dispose()


def privilege_problems(target: str | os.PathLike[str]) -> list[str]:
    """What `needlelog check` says about the logins of a server's chart (nothing for a SQLite file)."""
    if sqlite_path(resolve_target(target)) is not None:
        return []
    engine = open_engine(target, create=False)
    try:
        return server.privilege_problems(engine)
    finally:
        engine.dispose()
