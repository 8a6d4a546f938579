"""Encryption at rest with SQLCipher (issue 13, item 1) — the engine's half, not yet wired into opening a chart.

The file key is HKDF(chart key) used as SQLCipher's raw key (``PRAGMA key = "x'…'"``): no PBKDF2 at every
open, since the chart key is random and already behind Argon2id in its wrappings. A plain chart is encrypted by
``sqlcipher_export`` into a new file beside it, which is checked (its integrity, every table's row count) before
it takes the plain file's place, as a backup is made.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import URL, Engine, create_engine, text

from needlelog.db.chart_key import hkdf
from needlelog.db.engine import _configure_sqlite
from needlelog.domain.errors import StorageError

FILE_INFO = b"needlelog file key v1"


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
    import sqlcipher3  # type: ignore[import-untyped]

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
