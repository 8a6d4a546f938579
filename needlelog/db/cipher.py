"""Encryption at rest with SQLCipher (issue 13, item 1) — the engine's half, not yet wired into opening a chart.

The file key is HKDF(chart key) used as SQLCipher's raw key (``PRAGMA key = "x'…'"``): no PBKDF2 at every
open, since the chart key is random and already behind Argon2id in its wrappings. A plain chart is encrypted by
``sqlcipher_export`` into a new file beside it, which is checked (its integrity, every table's row count) before
it takes the plain file's place, as a backup is made.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import URL, Engine, create_engine, text

from needlelog.db.chart_key import hkdf
from needlelog.db.engine import _configure_sqlite
from needlelog.domain.errors import StorageError

FILE_INFO = b"needlelog file key v1"
SQLITE_HEADER = b"SQLite format 3\x00"


def is_encrypted(path: Path) -> bool:
    """Whether the file at ``path`` is an encrypted chart as far as its first bytes tell: not empty and not
    starting with SQLite's plain header (SQLCipher's first 16 bytes are the salt, random). A file that is not a
    database at all also answers True: only a key tells the two apart, and the caller says so in words."""
    with Path(path).open("rb") as handle:
        head = handle.read(len(SQLITE_HEADER))
    return head not in (b"", SQLITE_HEADER)


def raw_connect(path: Path, key: bytes | None, *, readonly: bool = False, timeout: float = 10) -> Any:
    """A DB-API connection on the chart file at ``path``: the standard library's ``sqlite3`` when ``key`` is
    None (a plain file), ``sqlcipher3`` keyed with the file key otherwise. ``readonly`` opens it by URI
    (``mode=ro``) so that nothing is written, a damaged file included.

    The key is only given, not tried: SQLCipher reads the first page at the first statement, where a wrong
    key, a damaged first page and a file that is not a database all raise "file is not a database"
    (:func:`database_errors` names the classes to catch)."""
    target: str | Path = f"file:{quote(str(Path(path).absolute()))}?mode=ro" if readonly else Path(path)
    if key is None:
        return sqlite3.connect(target, uri=readonly, timeout=timeout)
    sqlcipher3 = quiet_sqlcipher()
    conn = sqlcipher3.connect(str(target), uri=readonly, timeout=timeout)
    conn.execute(f'PRAGMA key = "{_raw(key)}"')
    return conn


_quieted: list[bool] = []  # once the library's log is silenced


def quiet_sqlcipher() -> Any:
    """The ``sqlcipher3`` module, its library's log silenced (once, for the process): SQLCipher otherwise
    writes three lines of its own to stderr at every wrong key or damaged page, beside the program's one
    sentence. The program says what went wrong itself."""
    import sqlcipher3  # type: ignore[import-untyped]

    if not _quieted:
        conn = sqlcipher3.connect(":memory:")
        try:
            conn.execute("PRAGMA cipher_log_level = NONE")
        finally:
            conn.close()
        _quieted.append(True)
    return sqlcipher3


def database_errors() -> tuple[type[Exception], ...]:
    """The exception classes a chart file's connection raises: ``sqlite3``'s, and ``sqlcipher3``'s once it is
    loaded (before that nothing can raise them, and the plain program's start does not load it)."""
    import sys

    loaded = sys.modules.get("sqlcipher3.dbapi2")
    return (sqlite3.Error,) if loaded is None else (sqlite3.Error, loaded.Error)


def wrong_key_words(path: Path) -> str:
    """What "file is not a database" means when a key was given, in words."""
    return (
        f"{Path(path).name} does not open with this key: it is not this chart's key, "
        "or the file is not a needlelog chart or is damaged."
    )


def file_key(chart_key: bytes) -> bytes:
    return hkdf(chart_key, FILE_INFO)


def _raw(key: bytes) -> str:
    return f"x'{key.hex()}'"


def encrypted_url(path: Path, key: bytes) -> URL:
    """SQLAlchemy's pysqlcipher dialect keys every new connection first, with the URL's password as given: here
    SQLCipher's raw-key form. The URL is never shown with its password."""
    return URL.create("sqlite+pysqlcipher", password=_raw(key), database=str(path))


def open_encrypted(path: Path, key: bytes) -> Engine:
    """An engine on the encrypted chart at ``path``, with the program's pragmas; a wrong key is a
    :class:`StorageError` in words (SQLCipher cannot tell it from a file that is not a database)."""
    quiet_sqlcipher()
    engine = create_engine(encrypted_url(path, key))
    _configure_sqlite(engine, path)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM sqlite_master")).scalar_one()
    except Exception as exc:
        engine.dispose()
        if "not a database" in str(exc):
            raise StorageError(f"{path.name} does not open with this key.") from None
        raise
    return engine


def encrypt_copy(plain: Path, target: Path, key: bytes) -> None:
    """``plain`` copied into a new encrypted file at ``target`` (made beside it, checked, then renamed)."""
    sqlcipher3 = quiet_sqlcipher()
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    source = sqlcipher3.connect(str(plain))
    try:
        tables = [name for (name,) in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        counts = {t: source.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        source.execute(f'ATTACH DATABASE ? AS encrypted KEY "{_raw(key)}"', (str(partial),))
        source.execute("SELECT sqlcipher_export('encrypted')")
        source.execute("DETACH DATABASE encrypted")
    finally:
        source.close()
    check = sqlcipher3.connect(str(partial))
    try:
        check.execute(f'PRAGMA key = "{_raw(key)}"')
        if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise StorageError(f"The encrypted copy of {plain.name} failed its check; the chart was not changed.")
        for table, count in counts.items():
            if check.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] != count:
                raise StorageError(f"The encrypted copy of {plain.name} lost rows of {table}; nothing was changed.")
    finally:
        check.close()
    os.replace(partial, target)
