"""The sign-in's Argon2id working memory (issue 14): the same results as argon2-cffi's own, in memory mapped once and
wiped after each derivation; None, for the caller to derive as before, whenever it cannot do exactly that."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type
from argon2.low_level import hash_secret_raw

from needlelog.db import chart_key, keyfile
from needlelog.db.argon2_memory import WorkingMemory
from needlelog.domain.errors import PermissionDenied
from tests.conftest import NOW
from tests.db.test_keyfile import ADMIN_PASSWORD, keyed  # noqa: F401 - the keyed chart fixture

SMALL = {"time_cost": 1, "memory_cost": 64, "parallelism": 1}


@pytest.fixture
def memory() -> WorkingMemory:
    made = WorkingMemory.make(256)
    assert made is not None
    yield made  # type: ignore[misc]
    made.close()


@pytest.mark.parametrize(
    "cost",
    [
        {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
        {"time_cost": 2, "memory_cost": 64, "parallelism": 1},
        {"time_cost": 3, "memory_cost": 256, "parallelism": 2},
    ],
)
def test_a_raw_derivation_is_argon2_cffis_own(memory: WorkingMemory, cost: dict[str, int]) -> None:
    for password in (b"dana-own-password", "Œuvre — ÿ".encode(), b""):
        salt = b"sixteen byte slt"
        expected = hash_secret_raw(password, salt, hash_len=32, type=Type.ID, **cost)
        assert memory.raw(password, salt, hash_len=32, **cost) == expected


def test_a_hash_string_is_checked_as_argon2_cffi_checks_it(memory: WorkingMemory) -> None:
    hasher = PasswordHasher(time_cost=2, memory_cost=128, parallelism=1, hash_len=32, salt_len=16)
    stored = hasher.hash("the-right-password")
    assert memory.verify(stored, "the-right-password") is True
    assert memory.verify(stored, "the-right-passwort") is False
    assert memory.verify(stored, "") is False
    odd_length = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1, hash_len=17, salt_len=11).hash("x")
    assert memory.verify(odd_length, "x") is True and memory.verify(odd_length, "y") is False


def test_what_it_cannot_do_exactly_is_left_to_argon2_cffi(memory: WorkingMemory) -> None:
    argon2i = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1, type=Type.I).hash("x")
    too_large = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash("x")
    for stored in (argon2i, too_large, "", "$argon2id$v=19$m=64,t=1,p=1$bad!salt$bad!hash", "plain text"):
        assert memory.verify(stored, "x") is None, stored
    assert memory.raw(b"x", b"sixteen byte slt", hash_len=32, time_cost=1, memory_cost=512, parallelism=1) is None


def test_one_derivation_at_a_time_and_none_once_closed(memory: WorkingMemory) -> None:
    release = threading.Event()
    started = threading.Event()
    real = memory._derive

    def slow(*args: object) -> bytes | None:
        started.set()
        release.wait(10)
        return real(*args)  # type: ignore[arg-type]

    memory._derive = slow  # type: ignore[method-assign]
    first: list[bytes | None] = []
    worker = threading.Thread(target=lambda: first.append(memory.raw(b"a", b"sixteen byte slt", hash_len=32, **SMALL)))
    worker.start()
    assert started.wait(10)
    assert memory.raw(b"b", b"sixteen byte slt", hash_len=32, **SMALL) is None  # busy: the caller derives itself
    release.set()
    worker.join(10)
    assert first == [hash_secret_raw(b"a", b"sixteen byte slt", hash_len=32, type=Type.ID, **SMALL)]
    memory.close()
    memory.close()  # once is enough; twice does no harm
    assert memory.raw(b"a", b"sixteen byte slt", hash_len=32, **SMALL) is None


def test_the_memory_is_wiped_after_each_derivation(memory: WorkingMemory) -> None:
    assert memory._map is not None
    memory.raw(b"dana-own-password", b"sixteen byte slt", hash_len=32, time_cost=2, memory_cost=256, parallelism=1)
    assert memory._map[:] == bytes(memory.size)


def test_the_sign_in_window_derives_in_it_for_every_name_alike(
    keyed: tuple[bytes, str],  # noqa: F811 - the fixture imported above
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An unknown name, a name with no copy, a wrong and a right password: one derivation each, all in the
    working memory, none by argon2-cffi (whose page faults would tell the names apart by time)."""
    elsewhere: list[int] = []
    real = chart_key.hash_secret_raw
    monkeypatch.setattr(chart_key, "hash_secret_raw", lambda *a, **k: elsewhere.append(1) or real(*a, **k))
    made = WorkingMemory.make(64)
    assert made is not None
    here: list[int] = []
    real_derive = made._derive
    made._derive = lambda *a: here.append(1) or real_derive(*a)  # type: ignore[method-assign]
    costs = {}
    for who, password in (("nobody-at-all", "x-x-x-x-x"), ("admin", "not-a-password-here"), ("dwhitford", "nope")):
        here.clear()
        with pytest.raises(PermissionDenied, match=r"^Wrong user name or password\.$"):
            keyfile.sign_in_key(db_path, who, password, NOW, made)
        costs[who] = (len(here), len(elsewhere))
    here.clear()
    assert len(keyfile.sign_in_key(db_path, "admin", ADMIN_PASSWORD, NOW, made)) == 32
    costs["right"] = (len(here), len(elsewhere))
    made.close()
    assert set(costs.values()) == {(1, 0)}, costs


def test_a_string_not_written_as_argon2_cffi_writes_it_is_left_to_argon2_cffi(memory: WorkingMemory) -> None:
    """argon2-cffi refuses these (or reads them its own way); the memory answers None rather than a verdict."""
    stored = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash("x")
    head, salt, digest = stored.rsplit("$", 2)
    assert memory.verify(stored, "x") is True
    variants = [
        stored.replace("m=64,t=1,p=1", "t=1,m=64,p=1"),  # parameters in another order
        stored.replace("v=19", "v=019"),
        stored.replace("m=64", "m=+64"),
        f"{head}${salt}${digest}=",  # padded
        f"{head}${salt}=${digest}",
        stored.replace("t=1", f"t={2**40}"),  # beyond Argon2's 32 bits: no OverflowError out of it
        stored.replace("t=1", "t=0"),
    ]
    for variant in variants:
        assert memory.verify(variant, "x") is None, variant
    assert memory.raw(b"x", b"sixteen byte slt", hash_len=32, time_cost=2**40, memory_cost=8, parallelism=1) is None
