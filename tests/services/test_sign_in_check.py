"""The password check that runs beside the chart's opening (issue 14): the file of keys holds each account's hash,
checked on the other core while the encrypted chart opens; the sign-in takes that answer only for the very hash the
chart holds, and checks the chart's own otherwise, so a file of keys changed by hand never lets a password in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from needlelog.db import chart_key, keyfile
from needlelog.db.argon2_memory import WorkingMemory
from needlelog.domain.errors import PermissionDenied
from needlelog.domain.model import Clinician
from needlelog.services import access, encryption
from needlelog.services.store import Services, open_chart
from tests.conftest import TEST_HASHER, TEST_WRAPPING, FakeClock

ADMIN = "front-desk-password"
DANA = "dana-own-password"
COSTS = {"hasher": TEST_HASHER, "wrapping": TEST_WRAPPING}


@pytest.fixture
def encrypted(services: Services, clinician: Clinician, db_path: Path, clock: FakeClock) -> Path:
    """The chart encrypted, its two accounts holding copies; closed again (the sign-in opens it)."""
    services.accounts.create_admin("admin", "Clinic Administrator", ADMIN)
    services.accounts.login("admin", ADMIN)
    services.accounts.set_password(clinician.id or 0, DANA)
    opened, problem = encryption.encrypt_when_ready(services, clock)
    assert problem is None
    opened.close()
    return db_path


@pytest.fixture
def own_checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The hashes the sign-in checked itself (not taken from the check run beside the opening)."""
    checked: list[str] = []
    real = access.AccountService._verify

    def counted(self: access.AccountService, stored: str, password: str) -> bool:
        checked.append(stored)
        return real(self, stored, password)

    monkeypatch.setattr(access.AccountService, "_verify", counted)
    yield checked


def sign_in(chart: Path, user: str, password: str, clock: FakeClock, memory: WorkingMemory | None = None) -> None:
    unlocked = encryption.unlock_for_sign_in(chart, user, password, clock, memory)
    opened = encryption.open_unlocked(chart, unlocked.chart_key, clock, **COSTS)  # type: ignore[arg-type]
    try:
        opened.accounts.login(user, password, unlocked.chart_key, unlocked.check)
        assert opened.access.user is not None and opened.access.user.username == user
    finally:
        opened.close()


def side(chart: Path) -> dict[str, dict[str, str]]:
    data = json.loads(keyfile.side_path(chart).read_text())
    return {a["username"]: a for a in data["accounts"]}


def rewrite(chart: Path, user: str, **changes: str) -> None:
    path = keyfile.side_path(chart)
    data = json.loads(path.read_text())
    for account in data["accounts"]:
        if account["username"] == user:
            account.update(changes)
    path.write_text(json.dumps(data))


def test_the_file_of_keys_holds_each_accounts_hash_and_the_sign_in_takes_its_check(
    encrypted: Path, clock: FakeClock, own_checks: list[str]
) -> None:
    hashes = {user: entry["password_hash"] for user, entry in side(encrypted).items()}
    assert set(hashes) == {"admin", "dwhitford"} and all(h.startswith("$argon2id$") for h in hashes.values())
    memory = WorkingMemory.make(64)
    sign_in(encrypted, "dwhitford", DANA, clock, memory)
    assert own_checks == []  # checked once, beside the opening, in the working memory it then gave back
    assert memory is not None and memory.raw(b"x", b"sixteen byte slt", hash_len=32, **_small()) is None


def test_a_hash_changed_in_the_file_is_not_taken_and_the_file_is_mended(
    encrypted: Path, clock: FakeClock, own_checks: list[str]
) -> None:
    chart_hash = side(encrypted)["dwhitford"]["password_hash"]
    rewrite(encrypted, "dwhitford", password_hash=TEST_HASHER.hash("something-else"))
    sign_in(encrypted, "dwhitford", DANA, clock)
    assert own_checks == [chart_hash]  # the chart's own hash, checked by the sign-in itself
    assert side(encrypted)["dwhitford"]["password_hash"] == chart_hash


def test_a_file_of_keys_without_hashes_signs_in_and_gains_them(
    encrypted: Path, clock: FakeClock, own_checks: list[str]
) -> None:
    for user in ("admin", "dwhitford"):
        rewrite(encrypted, user, password_hash="")
    sign_in(encrypted, "admin", ADMIN, clock)
    assert len(own_checks) == 1
    assert side(encrypted)["admin"]["password_hash"].startswith("$argon2id$")


def test_a_copy_and_hash_forged_for_another_password_do_not_sign_in(encrypted: Path, clock: FakeClock) -> None:
    """Someone holding the chart key (an administrator's password) writes into the file of keys a copy for Dana's
    account under a password of their own, and its hash: the copy opens, the check beside it agrees, and still
    the chart's own hash refuses it, as a wrong password, counted."""
    admin_key = encryption.unlock(encrypted, "admin", ADMIN, clock)
    dana = side(encrypted)["dwhitford"]
    forged = chart_key.wrap_for_password(admin_key, "mine-not-danas", int(dana["account_id"]), TEST_WRAPPING)
    rewrite(
        encrypted,
        "dwhitford",
        kdf=forged.kdf,
        nonce=forged.nonce,
        wrapped=forged.wrapped,
        password_hash=TEST_HASHER.hash("mine-not-danas"),
    )
    unlocked = encryption.unlock_for_sign_in(encrypted, "dwhitford", "mine-not-danas", clock)
    assert unlocked.check is not None and unlocked.check.wait() is True
    opened = encryption.open_unlocked(encrypted, unlocked.chart_key, clock, **COSTS)  # type: ignore[arg-type]
    try:
        with pytest.raises(PermissionDenied, match=r"^Wrong user name or password\.$"):
            opened.accounts.login("dwhitford", "mine-not-danas", unlocked.chart_key, unlocked.check)
        assert opened.access.user is None
    finally:
        opened.close()


def _small() -> dict[str, int]:
    return {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


def test_a_check_of_another_password_is_not_taken(encrypted: Path, clock: FakeClock) -> None:
    """The check answers for the password it was given only: handed to a sign-in with another one, it is waited
    for and dropped, and the chart's hash decides."""
    unlocked = encryption.unlock_for_sign_in(encrypted, "dwhitford", DANA, clock)
    opened = encryption.open_unlocked(encrypted, unlocked.chart_key, clock, **COSTS)  # type: ignore[arg-type]
    try:
        with pytest.raises(PermissionDenied, match=r"^Wrong user name or password\.$"):
            opened.accounts.login("dwhitford", "not-danas-at-all", unlocked.chart_key, unlocked.check)
    finally:
        opened.close()


def test_a_sign_in_with_the_file_up_to_date_leaves_it_alone(encrypted: Path, clock: FakeClock) -> None:
    """The command line signs in on every run, beside a sign-in window counting wrong passwords in the same file:
    the file is written again only when its hash of the account is not the chart's."""
    path = keyfile.side_path(encrypted)
    before = (path.stat().st_ino, path.stat().st_mtime_ns, path.read_bytes())
    opened, key = encryption.open_with_password(encrypted, "admin", ADMIN, clock, **COSTS)  # type: ignore[arg-type]
    try:
        opened.accounts.login("admin", ADMIN, key)  # as `needlelog export --user admin` does
    finally:
        opened.close()
    assert (path.stat().st_ino, path.stat().st_mtime_ns, path.read_bytes()) == before


def test_a_hash_dearer_than_the_copy_is_checked_by_the_sign_in_itself(encrypted: Path, clock: FakeClock) -> None:
    """Whoever can write the file cannot make the check beside the opening run longer than the copy's opening."""
    dear = PasswordHasher(time_cost=50, memory_cost=8, parallelism=1).hash(DANA)
    rewrite(encrypted, "dwhitford", password_hash=dear)
    unlocked = encryption.unlock_for_sign_in(encrypted, "dwhitford", DANA, clock)
    assert unlocked.check is None


def test_a_hash_cheaper_than_the_copy_is_not_written_to_the_file(
    services: Services, clinician: Clinician, db_path: Path, clock: FakeClock
) -> None:
    """The file never holds an easier way to test a password than the copy beside it."""
    cheap_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    dear_wrapping = chart_key.KeyWrapping(time_cost=2, memory_cost=16, parallelism=1)
    chart = open_chart(db_path, clock, hasher=cheap_hasher, wrapping=dear_wrapping)
    try:
        chart.accounts.create_admin("admin", "Clinic Administrator", ADMIN)
        chart.accounts.login("admin", ADMIN)
        opened, problem = encryption.encrypt_when_ready(chart, clock)
        assert problem is None
        opened.close()
    finally:
        chart.close()
    assert side(db_path)["admin"]["password_hash"] == ""
