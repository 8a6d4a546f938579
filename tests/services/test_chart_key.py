"""The chart key (issue 13, item 1): one random key per chart, never stored in the clear, wrapped for each account
and for the recovery key; adding, disabling or resetting an account re-encrypts nothing; a chart from before the
key gets one at its first administrator's sign-in, everything in it sealed as found and audited."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from needlelog.db.chart_key import KEY_WRAPPING, WrongKey, unwrap_with_password, unwrap_with_recovery
from needlelog.db.keyring import wrapping_of
from needlelog.domain.errors import PermissionDenied
from needlelog.domain.model import Clinician
from needlelog.domain.vocab import Role
from needlelog.services.store import Services, open_chart, seal_check
from tests.conftest import TEST_HASHER, TEST_WRAPPING, FakeClock

PASSWORD = "front-desk-password"
FIXTURES = Path(__file__).parent.parent / "fixtures"


def wrappings(path: Path) -> dict[int | None, tuple[str, str, str]]:
    with sqlite3.connect(path) as raw:
        return {row[0]: row[1:] for row in raw.execute("SELECT clinician_id, kdf, nonce, wrapped FROM key_wrapping")}


def stored(services: Services, account_id: int | None) -> object:
    from sqlalchemy.orm import Session

    with Session(services._engine) as db:
        return wrapping_of(db, account_id)


def test_the_wrapping_costs_owasps_minimum_for_argon2id() -> None:
    assert (KEY_WRAPPING.memory_cost, KEY_WRAPPING.time_cost, KEY_WRAPPING.parallelism) == (19 * 1024, 2, 1)
    assert KEY_WRAPPING.text(b"\0" * 16).startswith("argon2id$m=19456,t=2,p=1$")


def test_a_chart_without_accounts_has_no_key_until_the_first(services: Services, db_path: Path) -> None:
    assert wrappings(db_path) == {} and services.access.chart_key is None
    services.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
    key = services.access.chart_key
    assert key is not None and len(key) == 32
    recovery = services.accounts.take_recovery_key()
    assert recovery is not None and len(recovery.replace("-", "")) == 32
    assert services.accounts.take_recovery_key() is None  # shown once
    admin = services.accounts.login("admin", PASSWORD)
    assert services.access.chart_key == key
    assert set(wrappings(db_path)) == {None, admin.id}
    assert key not in db_path.read_bytes() and key.hex().encode() not in db_path.read_bytes()
    assert unwrap_with_recovery(stored(services, None), recovery) == key  # type: ignore[arg-type]
    with pytest.raises(WrongKey):
        unwrap_with_password(stored(services, admin.id), "not the password", admin.id or 0)  # type: ignore[arg-type]


def test_adding_disabling_and_resetting_accounts_re_encrypts_nothing(services: Services, db_path: Path) -> None:
    services.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
    services.accounts.login("admin", PASSWORD)
    key = services.access.chart_key
    ravi = services.accounts.add_user(Clinician("Ravi Sandhu", "rsandhu", "PT", "PT-05982"), PASSWORD)
    before = wrappings(db_path)
    with sqlite3.connect(db_path) as raw:
        seals = raw.execute("SELECT * FROM record_seal WHERE kind != 'audit' ORDER BY kind, row_id").fetchall()
    services.accounts.update_user(Clinician("Ravi Sandhu", "rsandhu", "PT", "PT-05982", id=ravi.id, active=False))
    services.accounts.update_user(Clinician("Ravi Sandhu", "rsandhu", "PT", "PT-05982", id=ravi.id, active=True))
    assert wrappings(db_path) == before  # disabling keeps the copy; the account just cannot sign in
    services.accounts.set_password(ravi.id or 0, "a-new-password-for-ravi")
    after = wrappings(db_path)
    assert after[ravi.id] != before[ravi.id] and {k: v for k, v in after.items() if k != ravi.id} == {
        k: v for k, v in before.items() if k != ravi.id
    }
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("SELECT * FROM record_seal WHERE kind != 'audit' ORDER BY kind, row_id").fetchall() == seals
    services.accounts.sign_out()
    assert services.access.chart_key is None  # forgotten at sign-out
    with pytest.raises(PermissionDenied):
        services.accounts.login("rsandhu", PASSWORD)
    services.accounts.login("rsandhu", "a-new-password-for-ravi")
    assert services.access.chart_key == key


def test_a_password_set_without_the_key_gets_its_copy_at_an_administrators_next_password(tmp_path: Path) -> None:
    path = tmp_path / "clinic.sqlite"
    first = open_chart(path, clock=FakeClock(), hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    first.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
    first.close()
    other = open_chart(path, clock=FakeClock(), hasher=TEST_HASHER, wrapping=TEST_WRAPPING)  # a process without it
    try:
        ravi = other.accounts.add_user(Clinician("Ravi Sandhu", "rsandhu", "PT", "PT-05982"), PASSWORD)
        assert ravi.id not in wrappings(path)
        other.accounts.login("rsandhu", PASSWORD)  # signs in without the key, as before it existed
        assert other.access.chart_key is None
        other.accounts.sign_out()
        other.accounts.login("admin", PASSWORD)
        other.accounts.set_password(ravi.id or 0, PASSWORD)
        other.accounts.sign_out()
        other.accounts.login("rsandhu", PASSWORD)
        assert other.access.chart_key is not None
    finally:
        other.close()


def _upgraded_chart_with_accounts(tmp_path: Path) -> Path:
    """A seeded chart of schema 0009 whose first clinician is an administrator and the second a clinician, each
    with a password, upgraded: accounts, and no chart key."""
    path = tmp_path / "clinic.sqlite"
    shutil.copyfile(FIXTURES / "schema-0009.sqlite", path)
    digest = TEST_HASHER.hash(PASSWORD)
    with sqlite3.connect(path) as raw:
        ids = [row[0] for row in raw.execute("SELECT id FROM clinician ORDER BY id LIMIT 2")]
        raw.execute("UPDATE clinician SET roles = 'admin clinician', password_hash = ? WHERE id = ?", (digest, ids[0]))
        raw.execute("UPDATE clinician SET password_hash = ? WHERE id = ?", (digest, ids[1]))
    return path


def test_an_upgraded_chart_gets_its_key_at_the_first_administrators_sign_in(tmp_path: Path) -> None:
    path = _upgraded_chart_with_accounts(tmp_path)
    with sqlite3.connect(path) as raw:
        admin, clinician = (r[0] for r in raw.execute("SELECT username FROM clinician ORDER BY id LIMIT 2"))
        signed = raw.execute("SELECT count(*) FROM treatment_session WHERE status = 'signed'").fetchone()[0]
    services = open_chart(path, clock=FakeClock(), hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    try:
        services.accounts.login(clinician, PASSWORD)  # before the key: a clinician signs in without one
        assert services.access.chart_key is None and wrappings(path) == {}
        services.accounts.sign_out()
        services.accounts.login(admin, PASSWORD)
        assert services.access.chart_key is not None
        assert services.accounts.take_recovery_key() is not None  # the window shows it now
        services.accounts.sign_out()
        services.accounts.login(clinician, PASSWORD)  # made before the key: keeps charting, without it
        assert services.access.chart_key is None
    finally:
        services.close()
    with sqlite3.connect(path) as raw:
        made = raw.execute("SELECT user_name, detail FROM audit_log WHERE action = 'chart_key_made'").fetchall()
        sealed = raw.execute("SELECT count(*) FROM record_seal WHERE kind = 'note'").fetchone()[0]
    assert made == [(admin, made[0][1])] and f"sealed as found: {signed} signed notes" in made[0][1]
    assert sealed == signed
    assert seal_check(path, admin, PASSWORD) == []


def test_the_recovery_key_sets_a_lost_password(services: Services, db_path: Path) -> None:
    services.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
    recovery = services.accounts.take_recovery_key()
    assert recovery is not None
    services.accounts.logout()
    with pytest.raises(PermissionDenied, match="not the recovery key"):
        services.accounts.recover("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH", "admin", "a-brand-new-password")
    services.accounts.recover(recovery.lower().replace("-", " "), "admin", "a-brand-new-password")
    services.accounts.login("admin", "a-brand-new-password")
    assert services.access.user is not None and Role.ADMIN in services.access.user.roles
    assert seal_check(db_path, "admin", "a-brand-new-password") == []
