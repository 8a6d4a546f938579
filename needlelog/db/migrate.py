"""Bring a database to the program's schema: back up, refuse a newer one, upgrade atomically.

Start-up reads the schema revision with one plain query; Alembic is imported only when
the database actually needs upgrading (it costs start-up time otherwise).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from needlelog.db import cipher
from needlelog.db.engine import sqlite_path
from needlelog.domain.errors import StorageError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
# Every revision this program knows, oldest first; a test checks them against the scripts.
KNOWN_REVISIONS: tuple[str, ...] = (
    "0001",
    "0002",
    "0003",
    "0004",
    "0005",
    "0006",
    "0007",
    "0008",
    "0009",
    "0010",
    "0011",
    "0012",
    "0013",
    "0014",
)
HEAD = KNOWN_REVISIONS[-1]
UPGRADE_LOCK = 7_261_001  # PostgreSQL advisory lock key: one upgrade at a time
INSUFFICIENT_PRIVILEGE = "42501"  # the server's SQLSTATE for a login that may not


def schema_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for an empty database."""
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        if "alembic_version" not in tables:
            if tables:
                raise StorageError(
                    "This database has tables but no needlelog schema version; it is not a needlelog database."
                )
            return None
        revision: str | None = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if revision is None:  # the table is there, its row is gone: neither empty nor any schema we know
            raise StorageError(
                "This database's schema version is missing (an empty alembic_version table); "
                "it cannot be used safely: restore a backup."
            )
        return revision


def check_not_newer(revision: str | None) -> None:
    if revision is not None and revision not in KNOWN_REVISIONS:
        raise StorageError(
            f"This database uses schema {revision}, newer than this needlelog knows (up to {HEAD}); "
            "install the newer needlelog that made it."
        )


def is_at_head(engine: Engine) -> bool:
    revision = schema_revision(engine)
    check_not_newer(revision)
    return revision == HEAD


def alembic_config() -> Config:
    from alembic.config import Config  # imported here: start-up does not need Alembic

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def backup_before_upgrade(engine: Engine, revision: str, folder: Path | None = None, *, at: datetime) -> Path | None:
    """Copy a SQLite database aside (online backup API) before changing its schema; ``at`` (the caller's
    clock) stamps the copy's name."""
    path = sqlite_path(engine.url)
    if path is None:
        return None
    folder = folder or path.parent
    folder.mkdir(parents=True, exist_ok=True)
    stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = folder / f"{path.stem}.before-upgrade-from-{revision}.{stamp}{path.suffix or '.sqlite'}"
    key = cipher.key_of(engine.url)  # an encrypted chart's copy is encrypted with the same file key
    fd = os.open(target, os.O_CREAT | os.O_WRONLY, 0o600)  # owner-only from its first byte
    os.close(fd)
    source = cipher.raw_connect(path, key)
    try:
        copy = cipher.raw_connect(target, key)
        try:
            source.backup(copy)
            if copy.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise StorageError(f"The backup {target} failed its integrity check; the upgrade was not started.")
        finally:
            copy.close()
    finally:
        source.close()
    target.chmod(0o600)
    if key is not None:
        cipher.copy_side_file(path, target)
    return target


def upgrade(engine: Engine, backup_folder: Path | None = None, *, at: datetime) -> str | None:
    """Upgrade to HEAD in one transaction; returns the revision it started from. ``at`` is now, by the
    caller's clock (it names the backup)."""
    revision = schema_revision(engine)
    check_not_newer(revision)
    if revision == HEAD:
        return revision
    if revision is not None:
        backup_before_upgrade(engine, revision, backup_folder, at=at)
    from alembic import command

    config = alembic_config()
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # several PCs start the new version: one upgrades, the rest wait
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
            config.attributes["connection"] = conn
            command.upgrade(config, "head")  # after the lock: reads the revision the first PC left
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
            raise
        raise StorageError(
            f"The chart on the server is at schema {revision} and this program needs {HEAD}, but this login may "
            "not change the schema: the server's IT upgrades it once, with the URL of the tables' owner "
            "(needlelog db upgrade --db postgresql+psycopg://OWNER@server/database)."
        ) from None
    return revision
