"""The chart key (issue 13): one random 32-byte key per chart, never stored in the clear.

It is kept wrapped (AES-256-GCM) once for each account, under a key derived from the account's password by
Argon2id (its parameters and salt stored with the wrapping), and once under the administrator's recovery key
(random, shown once; derived by HKDF, since it is itself random). Adding, disabling or resetting an account
wraps or drops one copy and re-encrypts nothing. From the chart key, by HKDF-SHA256, come the keys that use it:
the HMAC key of the seals (:mod:`needlelog.db.seals`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
SALT_BYTES = 16
RECOVERY_BYTES = 20  # 160 random bits: 32 letters and digits of base32, in groups of four
SEAL_INFO = b"needlelog seal key v1"

if TYPE_CHECKING:
    from needlelog.db.argon2_memory import WorkingMemory


@dataclass(frozen=True)
class KeyWrapping:
    """The cost of deriving an account's wrapping key from its password (Argon2id).

    OWASP's minimum for Argon2id, 19 MiB, 2 passes, 1 lane: about 0.08 s here, at a sign-in that already spends
    one password check; the sign-in hash's memory is not added to it (one runs after the other). Tests pass
    the cheapest (:data:`tests.conftest.TEST_WRAPPING`), as they do for the password hash."""

    time_cost: int = 2
    memory_cost: int = 19 * 1024  # KiB
    parallelism: int = 1

    def text(self, salt: bytes) -> str:
        """What is stored with a wrapping: the algorithm, its parameters and salt."""
        return f"argon2id$m={self.memory_cost},t={self.time_cost},p={self.parallelism}${salt.hex()}"


KEY_WRAPPING = KeyWrapping()


class WrongKey(Exception):
    """A wrapping that the password or recovery key given does not open (or that was changed)."""


def new_chart_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def hkdf(key: bytes, info: bytes, salt: bytes = b"", length: int = 32) -> bytes:
    """HKDF-SHA256 (RFC 5869): the standard library's HMAC is all it takes."""
    prk = hmac.new(salt or bytes(32), key, hashlib.sha256).digest()
    out, block = b"", b""
    for counter in range(1, -(-length // 32) + 1):
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
    return out[:length]


def seal_key(chart_key: bytes) -> bytes:
    return hkdf(chart_key, SEAL_INFO)


def _password_key(password: str, kdf: str, memory: WorkingMemory | None = None) -> bytes:
    """The wrapping key ``password`` derives at ``kdf``; in ``memory`` when it is given and free (the sign-in's:
    :mod:`needlelog.db.argon2_memory`), the same key."""
    try:
        name, params, salt_hex = kdf.split("$")
        values = dict(part.split("=") for part in params.split(","))
        salt = bytes.fromhex(salt_hex)
        if name != "argon2id":
            raise ValueError(name)
        cost = {"time_cost": int(values["t"]), "memory_cost": int(values["m"]), "parallelism": int(values["p"])}
        secret = password.encode("utf-8")
        derived = memory.raw(secret, salt, hash_len=KEY_BYTES, **cost) if memory is not None else None
        if derived is not None:
            return derived
        return hash_secret_raw(secret, salt, hash_len=KEY_BYTES, type=Type.ID, **cost)
    except (ValueError, KeyError, OverflowError) as exc:
        raise WrongKey("the wrapping's key derivation is not one this program knows") from exc


def _recovery_key(recovery: str, kdf: str) -> bytes:
    try:
        name, salt_hex = kdf.split("$")
        if name != "hkdf-sha256":
            raise ValueError(name)
        return hkdf(parse_recovery_key(recovery), b"needlelog recovery wrapping", bytes.fromhex(salt_hex))
    except ValueError as exc:
        raise WrongKey("this is not a recovery key of this chart") from exc


def _seal(wrapping_key: bytes, chart_key: bytes, about: bytes) -> tuple[str, str]:
    nonce = os.urandom(NONCE_BYTES)
    return nonce.hex(), AESGCM(wrapping_key).encrypt(nonce, chart_key, about).hex()


def _open(wrapping_key: bytes, nonce: str, wrapped: str, about: bytes) -> bytes:
    try:
        return AESGCM(wrapping_key).decrypt(bytes.fromhex(nonce), bytes.fromhex(wrapped), about)
    except (InvalidTag, ValueError) as exc:
        raise WrongKey("the key does not open this wrapping") from exc


@dataclass(frozen=True)
class Wrapped:
    """One stored copy of the chart key: how its wrapping key is derived, the nonce and the ciphertext."""

    kdf: str
    nonce: str
    wrapped: str


def account_about(account_id: int) -> bytes:
    """The associated data of an account's wrapping: moved onto another account, it does not open."""
    return f"needlelog chart key for account {account_id}".encode()


RECOVERY_ABOUT = b"needlelog chart key for the recovery key"


def wrap_for_password(chart_key: bytes, password: str, account_id: int, cost: KeyWrapping = KEY_WRAPPING) -> Wrapped:
    kdf = cost.text(secrets.token_bytes(SALT_BYTES))
    nonce, wrapped = _seal(_password_key(password, kdf), chart_key, account_about(account_id))
    return Wrapped(kdf, nonce, wrapped)


def unwrap_with_password(stored: Wrapped, password: str, account_id: int, memory: WorkingMemory | None = None) -> bytes:
    return _open(_password_key(password, stored.kdf, memory), stored.nonce, stored.wrapped, account_about(account_id))


def new_recovery_key() -> str:
    """A random recovery key as a person copies it: 32 letters and digits in groups of four."""
    text = base64.b32encode(secrets.token_bytes(RECOVERY_BYTES)).decode("ascii")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def parse_recovery_key(text: str) -> bytes:
    """The key's bytes from what a person typed: spaces, dashes and case do not matter."""
    # base32 has no 0 or 1: a zero or a one typed for the letter O or I is what the person read
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum()).replace("0", "O").replace("1", "I")
    try:
        raw = base64.b32decode(cleaned)
    except ValueError as exc:
        raise ValueError("not a recovery key") from exc
    if len(raw) != RECOVERY_BYTES:
        raise ValueError("not a recovery key")
    return raw


def wrap_for_recovery(chart_key: bytes, recovery: str) -> Wrapped:
    kdf = f"hkdf-sha256${secrets.token_bytes(SALT_BYTES).hex()}"
    nonce, wrapped = _seal(_recovery_key(recovery, kdf), chart_key, RECOVERY_ABOUT)
    return Wrapped(kdf, nonce, wrapped)


def unwrap_with_recovery(stored: Wrapped, recovery: str) -> bytes:
    return _open(_recovery_key(recovery, stored.kdf), stored.nonce, stored.wrapped, RECOVERY_ABOUT)
