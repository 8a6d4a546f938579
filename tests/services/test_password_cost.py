"""Passwords cost the program what docs/ARCHITECTURE.md says, and the tests the minimum; both hashes work together."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from argon2 import Parameters, PasswordHasher, Type, extract_parameters

from needlelog.domain.errors import PermissionDenied
from needlelog.domain.model import Clinician
from needlelog.services.access import PASSWORD_HASHING
from needlelog.services.store import open_chart
from tests.conftest import TEST_HASHER, TEST_HASHING, TEST_WRAPPING, FakeClock

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


def stored_hash(db_path: Path, username: str) -> str:
    with sqlite3.connect(db_path) as raw:
        return str(raw.execute("SELECT password_hash FROM clinician WHERE username = ?", (username,)).fetchone()[0])


def test_the_program_hashes_at_the_documented_cost(db_path: Path) -> None:
    documented = re.search(
        r"time_cost=(\d+), memory_cost=(\d+), parallelism=(\d+)", (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    )
    assert documented is not None, "docs/ARCHITECTURE.md no longer states the Argon2 parameters"
    time_cost, memory_cost, parallelism = map(int, documented.groups())
    assert (time_cost, memory_cost, parallelism) == (2, 19 * 1024, 1)  # OWASP's minimum for Argon2id

    chart = open_chart(db_path, clock=FakeClock())  # as the program opens it: no hasher given
    try:
        made = extract_parameters(chart.accounts.hash_password(PASSWORD))
    finally:
        chart.close()
    assert made == PASSWORD_HASHING
    assert (made.type.name, made.time_cost, made.memory_cost, made.parallelism) == (
        "ID",
        time_cost,
        memory_cost,
        parallelism,
    )


def test_a_hash_made_at_the_test_cost_verifies_and_is_raised_to_the_programs_cost_at_sign_in(db_path: Path) -> None:
    tests = open_chart(db_path, clock=FakeClock(), hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    tests.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
    tests.accounts.add_user(Clinician("Dana Whitford", "dwhitford"), PASSWORD)
    tests.close()
    assert extract_parameters(stored_hash(db_path, "admin")) == TEST_HASHING

    program = open_chart(db_path, clock=FakeClock())
    try:
        assert program.accounts.login("admin", PASSWORD).username == "admin"
        assert extract_parameters(stored_hash(db_path, "admin")) == PASSWORD_HASHING
        # the other account keeps its hash until it signs in, and a wrong password is still wrong
        assert extract_parameters(stored_hash(db_path, "dwhitford")) == TEST_HASHING
        with pytest.raises(PermissionDenied):
            program.accounts.login("dwhitford", "wrong password")
    finally:
        program.close()
    again = open_chart(db_path, clock=FakeClock(), hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    try:
        # a hash at the program's cost verifies with the cheap hasher too (the parameters travel in the hash)
        assert again.accounts.login("admin", PASSWORD).username == "admin"
    finally:
        again.close()


# What the program hashed at before issue 14 (RFC 9106's second recommendation): 64 MiB of memory a sign-in.
EARLIER_HASHING = Parameters(
    type=Type.ID, version=19, salt_len=16, hash_len=32, time_cost=3, memory_cost=64 * 1024, parallelism=4
)


def test_a_hash_made_at_the_earlier_64_mib_cost_still_signs_in_and_is_rehashed_at_the_new_one(db_path: Path) -> None:
    earlier = open_chart(db_path, clock=FakeClock(), hasher=PasswordHasher.from_parameters(EARLIER_HASHING))
    earlier.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
    earlier.close()
    assert extract_parameters(stored_hash(db_path, "admin")) == EARLIER_HASHING

    program = open_chart(db_path, clock=FakeClock())
    try:
        with pytest.raises(PermissionDenied):
            program.accounts.login("admin", "wrong password")
        assert extract_parameters(stored_hash(db_path, "admin")) == EARLIER_HASHING  # a failed sign-in changes none
        assert program.accounts.login("admin", PASSWORD).username == "admin"
        assert extract_parameters(stored_hash(db_path, "admin")) == PASSWORD_HASHING
        assert program.accounts.login("admin", PASSWORD).username == "admin"  # the new hash verifies
    finally:
        program.close()
