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
from sqlalchemy.pool import QueuePool

from needlelog.db.chart_key import hkdf
from needlelog.db.engine import _configure_sqlite, sqlite_errors
from needlelog.domain.errors import StorageError

FILE_INFO = b"needlelog file key v1"
SQLITE_HEADER = b"SQLite format 3\x00"


def side_file(chart: Path) -> Path:
    """The side file of wrapped keys beside an encrypted chart or copy: its name with ``.keys`` added
    (``keyfile.side_path``'s rule: a backup's side file is found the same way as the chart's)."""
    chart = Path(chart)
    return chart.with_name(chart.name + ".keys")


def copy_side_file(chart: Path, copy: Path) -> bool:
    """The side file of wrapped keys beside an encrypted chart copied beside its copy (a backup, the copy
    before an upgrade), owner-only and synced, so that the copy opens with the passwords and the recovery key
    that opened the chart then. False when the chart has none (a plain chart)."""
    side = side_file(chart)
    if not side.is_file():
        return False
    target = side_file(copy)
    partial = target.with_name(f".{target.name}.partial")
    fd = os.open(partial, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(side.read_bytes())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return True


def is_encrypted(path: Path) -> bool:
    """Whether the file at ``path`` is an encrypted chart as far as its first bytes tell: not empty and not
    starting with SQLite's plain header (SQLCipher's first 16 bytes are the salt, random). A file that is not a
    database at all also answers True: only a key tells the two apart, and the caller says so in words."""
    with Path(path).open("rb") as handle:
        head = handle.read(len(SQLITE_HEADER))
    return head not in (b"", SQLITE_HEADER)


def has_keys(path: Path) -> bool:
    """Whether ``path`` is an encrypted chart (or copy) with its side file of wrapped keys beside it: one that
    an account's password opens, not a file that is no chart at all."""
    try:
        return is_encrypted(path) and side_file(path).is_file()
    except OSError:
        return False


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
    return sqlite_errors()


def file_errors() -> tuple[type[Exception], ...]:
    """What reading a chart file may raise besides the program's own errors: the system's, bad bytes in a
    damaged text, and either library's."""
    return (OSError, UnicodeDecodeError, *database_errors())


def wrong_key_words(path: Path) -> str:
    """What "file is not a database" means when a key was given and every page fails its check, in words."""
    return (
        f"{Path(path).name} does not open with this key: it was encrypted with another chart's key "
        "(another clinic's chart, or a chart encrypted again since), or it is not a needlelog chart."
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
    # A pool of connections, as the plain file's engine has (the pysqlcipher dialect's own choice, one connection
    # per thread, fails a use case that writes its audit row while its read snapshot is open).
    engine = create_engine(encrypted_url(path, key), poolclass=QueuePool, connect_args={"check_same_thread": False})
    _configure_sqlite(engine, path)
    return _opened(engine, path, key)


def _opened(engine: Engine, path: Path, key: bytes) -> Engine:
    """``engine`` once its first connection read the schema; a wrong key or a damaged first page said in words."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM sqlite_master")).scalar_one()
    except Exception as exc:
        engine.dispose()
        if "not a database" in str(exc):
            raise_if_wrong_key(path, key)
            raise StorageError(damaged_first_page_words(path)) from None
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


class WrongKeyError(StorageError):
    """An encrypted file that does not open with the key given: another chart's key, or not a chart at all
    (every page fails its check; a damaged file fails only on some)."""


def hmac_failures(path: Path, key: bytes) -> list[int]:
    """The pages of the encrypted file at ``path`` whose authentication code does not check out with ``key``
    (SQLCipher's ``cipher_integrity_check``, read-only): none for a sound file, every one for a wrong key,
    the damaged ones otherwise."""
    conn = raw_connect(path, key, readonly=True)
    try:
        rows = [str(row[0]) for row in conn.execute("PRAGMA cipher_integrity_check")]
    finally:
        conn.close()
    pages = []
    for row in rows:
        number = row.rsplit(" ", 1)[-1]
        if "page" in row and number.isdigit():
            pages.append(int(number))
    return pages


def is_wrong_key(path: Path, key: bytes) -> bool:
    """Whether ``key`` is not the key of the encrypted file at ``path``, told from damage to its first page:
    with a wrong key the first two pages both fail their check (and every other one). Only those two pages
    are checked, copied into a scratch file (still encrypted): the whole file's check costs seconds on a
    large chart."""
    import tempfile

    with Path(path).open("rb") as handle:
        head = handle.read(2 * PAGE_SIZE)
    with tempfile.TemporaryDirectory(prefix="needlelog-key-") as scratch:
        sample = Path(scratch) / "first-pages"
        sample.write_bytes(head)
        try:
            failed = set(hmac_failures(sample, key))
        except database_errors():
            return True
    return 1 in failed and (2 in failed or len(head) <= PAGE_SIZE)


PAGE_SIZE = 4096  # SQLCipher 4's default, the encrypted file's page on disk


def raise_if_wrong_key(path: Path, key: bytes) -> None:
    """Raise :class:`WrongKeyError` in words when ``key`` does not open the encrypted file at ``path``."""
    if is_wrong_key(path, key):
        raise WrongKeyError(wrong_key_words(path))


def damaged_first_page_words(path: Path) -> str:
    return (
        f"{Path(path).name} is damaged: its first page fails its check with the right key; "
        "run `needlelog check` to find the newest good backup."
    )


def key_of(url: URL) -> bytes | None:
    """The file key an engine's URL was made with by :func:`encrypted_url` (None: a plain file)."""
    if url.drivername != "sqlite+pysqlcipher" or not url.password:
        return None
    given = str(url.password)
    if given.startswith("x'") and given.endswith("'"):
        return bytes.fromhex(given[2:-1])
    return None


def read_only_url(path: Path, key: bytes) -> URL:
    """:func:`encrypted_url`, opened read-only (``mode=ro``): SQLite refuses every write itself."""
    return URL.create(
        "sqlite+pysqlcipher",
        password=_raw(key),
        database=f"file:{quote(str(Path(path).absolute()))}",
        query={"mode": "ro", "uri": "true"},
    )


def chart_engine(path: Path, key: bytes | None, *, read_only: bool = False) -> Engine:
    """An engine on the chart file at ``path``: the usual one for a plain file (``key`` None or the file not
    encrypted), keyed otherwise; a wrong key is a :class:`WrongKeyError` in words."""
    from needlelog.db.engine import open_engine

    path = Path(path)
    if key is None or not is_encrypted(path):
        target = f"sqlite:///{quote(str(path.absolute()))}?mode=ro" if read_only else path
        return open_engine(target, create=False)
    if not read_only:
        return open_encrypted(path, key)
    quiet_sqlcipher()
    engine = create_engine(read_only_url(path, key))
    _configure_sqlite(engine, path, read_only=True)
    return _opened(engine, path, key)
