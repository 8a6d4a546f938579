"""Encryption at rest (issue 13, item 1), the engine's half: a chart copied encrypted reads nothing without a key —
not with `sqlite3`, not with `strings` — and opens with the file key from the chart key that each account's
password and the recovery key unwrap."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from needlelog.db import keyring
from needlelog.db.chart_key import unwrap_with_password, unwrap_with_recovery
from needlelog.db.cipher import (
    database_errors,
    encrypt_copy,
    file_key,
    is_encrypted,
    open_encrypted,
    raw_connect,
)
from needlelog.domain.errors import StorageError
from needlelog.domain.model import Clinician
from needlelog.services.store import Services
from tests.cipher_util import encrypt_in_place, random_file_key, unreadable_without_key
from tests.conftest import make_patient

PASSWORD = "front-desk-password"
FAMILY = "Okafor-Nguyễn"


def test_a_copied_chart_reads_nothing_without_a_password_and_opens_with_each(
    services: Services, clinician: Clinician, db_path: Path, tmp_path: Path
) -> None:
    services.patients.create(make_patient("C777", family_name=FAMILY, given_name="Zoë"))
    services.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
    recovery = services.accounts.take_recovery_key() or ""
    services.accounts.set_password(clinician.id or 0, "dana-own-password")
    key = file_key(services.access.chart_key or b"")
    with Session(services._engine) as db:
        ids = {row[0]: row[1] for row in db.execute(text("SELECT username, id FROM clinician"))}
        wrapped = {name: keyring.wrapping_of(db, account) for name, account in ids.items()}
        recovery_wrapping = keyring.wrapping_of(db, None)
    services.close()
    encrypted = tmp_path / "encrypted.sqlite"
    encrypt_copy(db_path, encrypted, key)

    copied = tmp_path / "copied.sqlite"  # what a thief takes away
    shutil.copyfile(encrypted, copied)
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(copied).execute("SELECT family_name FROM patient").fetchall()
    assert FAMILY.encode() not in copied.read_bytes() and b"Okafor" not in copied.read_bytes()
    strings = subprocess.run(["strings", str(copied)], capture_output=True, check=True, timeout=30).stdout
    assert b"Okafor" not in strings and b"CREATE TABLE" not in strings
    assert b"Okafor" in db_path.read_bytes()  # the plain chart held it

    opened_with = {
        "admin": unwrap_with_password(wrapped["admin"], PASSWORD, ids["admin"]),  # type: ignore[arg-type]
        "dwhitford": unwrap_with_password(wrapped["dwhitford"], "dana-own-password", ids["dwhitford"]),  # type: ignore[arg-type]
        "recovery key": unwrap_with_recovery(recovery_wrapping, recovery),  # type: ignore[arg-type]
    }
    for who, chart_key in opened_with.items():
        engine = open_encrypted(copied, file_key(chart_key))
        try:
            with engine.connect() as conn:
                names = conn.execute(text("SELECT family_name FROM patient WHERE chart_number = 'C777'")).scalars()
                assert list(names) == [FAMILY], who
                triggers = conn.execute(text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")).scalar()
                assert triggers and triggers > 10, who  # the walls came along
                assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal", who
        finally:
            engine.dispose()
    with pytest.raises(StorageError, match="does not open with this key"):
        open_encrypted(copied, file_key(bytes(32)))


def test_is_encrypted_tells_a_plain_chart_an_empty_file_and_an_encrypted_one_apart(
    db_path: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "new.sqlite"
    empty.touch()
    assert not is_encrypted(db_path) and not is_encrypted(empty)
    encrypt_in_place(db_path, random_file_key())
    assert is_encrypted(db_path)
    assert unreadable_without_key(db_path)


def test_raw_connect_opens_a_plain_file_with_sqlite3_and_an_encrypted_one_only_with_its_key(
    db_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with closing(raw_connect(db_path, None, readonly=True)) as plain:
        assert isinstance(plain, sqlite3.Connection)
        tables = plain.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    key = random_file_key()
    encrypt_in_place(db_path, key)
    with closing(raw_connect(db_path, key)) as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] == tables
        conn.execute("INSERT INTO alembic_version VALUES ('scratch')")
        conn.rollback()
    with closing(raw_connect(db_path, key, readonly=True)) as conn, pytest.raises(database_errors(), match="readonly"):
        conn.execute("DELETE FROM alembic_version")
    wrong = raw_connect(db_path, random_file_key(), readonly=True)
    with closing(wrong), pytest.raises(database_errors(), match="not a database") as raised:
        wrong.execute("SELECT count(*) FROM sqlite_master").fetchone()
    assert raised.value.sqlite_errorname == "SQLITE_NOTADB"  # type: ignore[attr-defined]
    assert "hmac" not in capfd.readouterr().err  # SQLCipher's own log says nothing beside the program
