"""Encryption at rest (issue 13, item 1), the services' half: a plain chart's file encrypted once every active
account holds a copy of its key; opened then only with an account's password or the recovery key."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from needlelog.domain.errors import PermissionDenied
from needlelog.domain.model import Clinician
from needlelog.services import encryption
from needlelog.services.store import ChartIsEncrypted, Services, open_chart
from tests.conftest import TEST_HASHER, TEST_WRAPPING, FakeClock, make_patient

ADMIN = "front-desk-password"
DANA = "dana-own-password"
COSTS = {"hasher": TEST_HASHER, "wrapping": TEST_WRAPPING}


def test_a_keyed_chart_is_encrypted_and_opens_only_with_a_password(
    services: Services, clinician: Clinician, db_path: Path, tmp_path: Path, clock: FakeClock
) -> None:
    services.patients.create(make_patient("C900", family_name="Vance", given_name="Eleanor"))
    services.accounts.create_admin("admin", "Clinic Administrator", ADMIN)
    recovery = services.accounts.take_recovery_key() or ""
    services.accounts.login("admin", ADMIN)
    services.accounts.set_password(clinician.id or 0, DANA)
    assert encryption.waiting_for(services) == []
    encrypted, problem = encryption.encrypt_when_ready(services, clock)
    assert problem is None
    assert encrypted is not services
    try:
        assert encryption.waiting_for(encrypted) is None  # nothing left to encrypt
        assert encrypted.access.user is not None and encrypted.access.user.username == "admin"
        encrypted.accounts.sign_out()
        encrypted.accounts.login("dwhitford", DANA)  # the chart stays open; another account proves its own password
        encrypted.patients.create(make_patient("C901", family_name="Vance", given_name="Rupert"))
    finally:
        encrypted.close()
    copy = tmp_path / "copy.sqlite"
    shutil.copyfile(db_path, copy)
    shutil.copyfile(db_path.with_name("chart.sqlite.keys"), copy.with_name("copy.sqlite.keys"))
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(copy).execute("SELECT * FROM patient").fetchall()
    assert b"Vance" not in copy.read_bytes() and b"SQLite format 3" not in copy.read_bytes()
    with pytest.raises(ChartIsEncrypted):
        open_chart(copy, clock, **COSTS)  # type: ignore[arg-type]
    for user, password in (("admin", ADMIN), ("dwhitford", DANA)):
        opened, _key = encryption.open_with_password(copy, user, password, clock, **COSTS)
        try:
            opened.accounts.login(user, password, chart_key=_key)
            assert opened.access.chart_key == _key
            opened.accounts.logout()  # read as the system below: the administrator sees no patients
            names = {p.given_name for p in opened.patients.search("Vance")}
            assert names == {"Eleanor", "Rupert"}, user
        finally:
            opened.close()
    opened = encryption.open_with_recovery(copy, recovery, clock, **COSTS)
    opened.close()
    with pytest.raises(PermissionDenied, match="Wrong user name or password"):
        encryption.open_with_password(copy, "admin", "not-it-at-all", clock, **COSTS)
