"""The file of keys beside an encrypted chart (issue 13, item 1): the table's wrappings, owner-only, no secret in the
clear; each account's password and the recovery key give the file key, a wrong one the same words after the same
Argon2id work; wrong passwords before the chart opens are counted and lock after five."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from needlelog.db import chart_key, keyfile
from needlelog.db.cipher import file_key
from needlelog.domain.errors import PermissionDenied, StorageError
from needlelog.domain.model import Clinician
from needlelog.services.store import Services
from tests.conftest import NOW

ADMIN_PASSWORD = "front-desk-password"
DANA_PASSWORD = "dana-own-password"


@pytest.fixture
def keyed(services: Services, clinician: Clinician, db_path: Path) -> tuple[bytes, str]:
    """A chart with a key, its side file written from its table; the chart key and the recovery key."""
    services.accounts.create_admin("admin", "Clinic Administrator", ADMIN_PASSWORD)
    recovery = services.accounts.take_recovery_key() or ""
    services.accounts.set_password(clinician.id or 0, DANA_PASSWORD)
    with Session(services._engine) as db:
        keyfile.write_from_chart(db_path, db)
    assert services.access.chart_key is not None
    return services.access.chart_key, recovery


def test_each_password_and_the_recovery_key_give_the_file_key(keyed: tuple[bytes, str], db_path: Path) -> None:
    key, recovery = keyed
    assert keyfile.side_path(db_path) == db_path.with_name("chart.sqlite.keys")
    assert keyfile.file_key_for(db_path, "admin", ADMIN_PASSWORD) == file_key(key)
    assert keyfile.file_key_for(db_path, " DWhitford ", DANA_PASSWORD) == file_key(key)
    assert keyfile.file_key_from_recovery(db_path, recovery.lower()) == file_key(key)
    with pytest.raises(PermissionDenied, match="not the recovery key"):
        keyfile.file_key_from_recovery(db_path, chart_key.new_recovery_key())


def test_the_file_is_owner_only_and_holds_no_secret(keyed: tuple[bytes, str], db_path: Path) -> None:
    key, recovery = keyed
    side = keyfile.side_path(db_path)
    assert stat.S_IMODE(side.stat().st_mode) == 0o600
    raw = side.read_bytes()
    for secret in (key, file_key(key), recovery.encode()):
        assert secret not in raw and secret.hex().encode() not in raw
    assert ADMIN_PASSWORD.encode() not in raw and DANA_PASSWORD.encode() not in raw
    data = json.loads(raw)
    assert sorted(a["username"] for a in data["accounts"]) == ["admin", "dwhitford"]
    assert not list(db_path.parent.glob("*.partial"))


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry for each Argon2id derivation made from now on."""
    counted_calls: list[int] = []
    real = chart_key.hash_secret_raw

    def counted(*args: object, **kwargs: object) -> bytes:
        counted_calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(chart_key, "hash_secret_raw", counted)
    return counted_calls


def test_wrong_unknown_and_copyless_names_get_the_same_words_after_the_same_work(
    keyed: tuple[bytes, str], db_path: Path, calls: list[int]
) -> None:
    costs = {}
    for who, password in (("admin", "not-the-password"), ("nobody", "whatever-it-is"), ("dwhitford", "nope-nope")):
        calls.clear()
        with pytest.raises(PermissionDenied) as refused:
            keyfile.file_key_for(db_path, who, password)
        assert str(refused.value) == "Wrong user name or password."
        costs[who] = len(calls)
    calls.clear()
    keyfile.file_key_for(db_path, "admin", ADMIN_PASSWORD)
    costs["right"] = len(calls)
    assert set(costs.values()) == {1}, costs


def test_a_deactivated_account_loses_its_copy_in_the_file(
    services: Services, keyed: tuple[bytes, str], clinician: Clinician, db_path: Path
) -> None:
    services.accounts.login("admin", ADMIN_PASSWORD)
    from dataclasses import replace

    services.accounts.update_user(replace(clinician, active=False))
    with Session(services._engine) as db:
        keyfile.write_from_chart(db_path, db)
    with pytest.raises(PermissionDenied, match="Wrong user name or password"):
        keyfile.file_key_for(db_path, "dwhitford", DANA_PASSWORD)


def test_five_wrong_passwords_before_the_chart_opens_lock_and_wait_for_the_audit_trail(
    keyed: tuple[bytes, str], db_path: Path
) -> None:
    key, _ = keyed
    for n in range(1, 5):
        with pytest.raises(PermissionDenied, match=r"^Wrong user name or password\.$"):
            keyfile.sign_in_key(db_path, "dwhitford", f"wrong-{n}", NOW)
    with pytest.raises(PermissionDenied, match="now locked for 5 minutes"):
        keyfile.sign_in_key(db_path, "dwhitford", "wrong-5", NOW)
    with pytest.raises(PermissionDenied, match="locked after 5 failed logins"):
        keyfile.sign_in_key(db_path, "dwhitford", DANA_PASSWORD, NOW)
    assert keyfile.sign_in_key(db_path, "admin", ADMIN_PASSWORD, NOW) == key  # another account is not locked
    assert set(keyfile.locks(db_path, NOW)) == {"dwhitford"}
    assert keyfile.sign_in_key(db_path, "dwhitford", DANA_PASSWORD, NOW + keyfile.LOGIN_LOCK) == key
    with pytest.raises(PermissionDenied):
        keyfile.sign_in_key(db_path, "mallory", "guessing", NOW)
    failures, dropped = keyfile.take_unaudited(db_path)
    assert dropped == 0
    assert [(f.username, f.locked) for f in failures] == [
        *[("dwhitford", False)] * 4,
        ("dwhitford", True),
        ("dwhitford", False),  # the right password while locked
        ("mallory", False),
    ]
    assert failures[-1].role == "unknown"
    assert keyfile.take_unaudited(db_path) == ([], 0)


def test_a_missing_or_changed_file_is_said_in_words(db_path: Path) -> None:
    with pytest.raises(
        StorageError, match=r"chart\.sqlite\.keys, the file of keys beside the encrypted chart, is missing"
    ):
        keyfile.file_key_for(db_path, "admin", ADMIN_PASSWORD)
    keyfile.side_path(db_path).write_text('{"version": 1, "accounts": [{"username": 3}]}')
    with pytest.raises(StorageError, match="not a needlelog file of keys"):
        keyfile.file_key_for(db_path, "admin", ADMIN_PASSWORD)


def test_the_sign_in_window_spends_the_same_argon2_work_on_any_wrong_name(
    keyed: tuple[bytes, str], db_path: Path, calls: list[int]
) -> None:
    costs = {}
    for who in ("nobody-at-all", "admin", "dwhitford"):
        calls.clear()
        with pytest.raises(PermissionDenied, match=r"^Wrong user name or password\.$"):
            keyfile.sign_in_key(db_path, who, "not-a-password-here", NOW)
        costs[who] = len(calls)
    assert set(costs.values()) == {1}, costs


def test_a_new_password_clears_the_wrong_ones_counted_before_the_chart_opened(
    services: Services, keyed: tuple[bytes, str], clinician: Clinician, db_path: Path
) -> None:
    for n in range(5):
        with pytest.raises(PermissionDenied):
            keyfile.sign_in_key(db_path, "dwhitford", f"wrong-{n}", NOW)
    assert set(keyfile.locks(db_path, NOW)) == {"dwhitford"}
    services.accounts.login("admin", ADMIN_PASSWORD)
    services.accounts.set_password(clinician.id or 0, "dana-new-password")
    with Session(services._engine) as db:
        keyfile.write_from_chart(db_path, db)
    assert keyfile.locks(db_path, NOW) == {}
    assert len(keyfile.sign_in_key(db_path, "dwhitford", "dana-new-password", NOW)) == 32
