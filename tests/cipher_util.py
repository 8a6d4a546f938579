"""Encrypted charts for the suite (issue 13, item 1): a real SQLCipher file made from a plain chart with the
program's own :func:`~needlelog.db.cipher.encrypt_copy`, and its file key."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from needlelog.db.cipher import encrypt_copy, file_key


def random_file_key() -> bytes:
    """A file key as the program derives one, from a random chart key."""
    return file_key(os.urandom(32))


def encrypt_in_place(path: Path, key: bytes) -> None:
    """The plain chart at ``path`` replaced by its encrypted copy (as an upgrade does)."""
    encrypt_copy(path, path, key)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def unreadable_without_key(path: Path) -> bool:
    """Whether the standard library's sqlite3 refuses the file as "not a database"."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return "not a database" in str(exc)
    return False


ADMIN_PASSWORD = "front-desk-password"


def encrypt_with_accounts(path: Path) -> tuple[bytes, str]:
    """The chart at ``path`` given its administrator (``admin``, :data:`ADMIN_PASSWORD`) and so its chart key,
    its side file of wrapped keys written, then encrypted in place as the program does on upgrade; returns the
    file key and the recovery key."""
    from sqlalchemy.orm import Session

    from needlelog.db import keyfile
    from needlelog.services.store import open_chart
    from tests.conftest import TEST_HASHER, TEST_WRAPPING

    chart = open_chart(path, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    try:
        chart.accounts.create_admin("admin", "Clinic Administrator", ADMIN_PASSWORD)
        recovery = chart.accounts.take_recovery_key() or ""
        key = file_key(chart.access.chart_key or b"")
        with Session(chart._engine) as db:
            keyfile.write_from_chart(path, db)
    finally:
        chart.close()
    encrypt_in_place(path, key)
    return key, recovery
