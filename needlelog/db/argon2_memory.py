"""Argon2id's working memory for the sign-in of an encrypted chart, mapped and touched once, while the person
types (issue 14).

At Enter the sign-in derives twice with Argon2id at 19 MiB: once to open the account's copy of the chart key,
once to check the password against the account's hash (issue 13). argon2-cffi allocates those 19 MiB afresh for
each, and the composition root has every block that large mapped on its own and given back when freed
(``app._give_back_large_blocks``: otherwise the program's peak memory went over SPEC §9's 150 MB), so each
derivation first took 4,864 page faults, each page zeroed by the system: 29 ms a derivation here instead of 17.
:class:`WorkingMemory` maps the 19 MiB once, before Enter, and lends them to one derivation at a time through
Argon2's own allocation callbacks (``argon2_context.allocate_cbk``); Argon2 wipes them at the end of each, as it
wipes its own. The memory is given back once the sign-in's check is done (:meth:`WorkingMemory.close`).

Only what this module can do exactly as argon2-cffi does is done here: a raw Argon2id hash, and the check of an
Argon2id (version 19) hash string written exactly as argon2-cffi writes one. Anything else (another type or version,
another spelling of the string, parameters out of Argon2's range, a derivation larger than the memory, one asked
for while another holds it, or a system where the callbacks cannot be made) answers None, and the caller derives
with argon2-cffi as before. Nothing is ever weaker or different: the same function, the same
parameters, the same result, in memory that is already there.
"""

from __future__ import annotations

import base64
import hmac
import mmap
import threading
from typing import Any

from argon2 import Type, extract_parameters
from argon2.exceptions import InvalidHashError
from argon2.low_level import core

SIGN_IN_KIB = 19 * 1024  # the sign-in's two derivations: chart_key.KEY_WRAPPING and access.PASSWORD_HASHING
_ARGON2_OK = 0
_VERSION = 19
_LIMIT = 2**32  # Argon2's parameters are 32-bit


class WorkingMemory:
    """``kib`` KiB mapped and touched now, lent to one Argon2id derivation at a time until :meth:`close`.

    :meth:`make` returns None where it cannot be had (no memory, or a system that refuses cffi's callbacks)."""

    def __init__(self, kib: int = SIGN_IN_KIB) -> None:
        from _argon2_cffi_bindings import ffi  # type: ignore[import-untyped]  # argon2-cffi's own C bindings

        self._ffi = ffi
        self.size = kib * 1024
        self._lock = threading.Lock()
        self._map: mmap.mmap | None = _mapped(self.size)
        self._pointer: Any = ffi.from_buffer(self._map)
        self._allocate = ffi.callback("int(uint8_t **, size_t)", self._lend)
        self._free = ffi.callback("void(uint8_t *, size_t)", _nothing)

    @classmethod
    def make(cls, kib: int = SIGN_IN_KIB) -> WorkingMemory | None:
        try:
            return cls(kib)
        except (OSError, MemoryError, ImportError, AttributeError, ValueError):
            return None

    def _lend(self, memory: Any, size: int) -> int:
        memory[0] = self._ffi.cast("uint8_t *", self._pointer) if size <= self.size else self._ffi.NULL
        return 0

    def raw(
        self, secret: bytes, salt: bytes, *, time_cost: int, memory_cost: int, parallelism: int, hash_len: int
    ) -> bytes | None:
        """argon2-cffi's ``hash_secret_raw(..., type=Type.ID)`` (version 19), derived in this memory; None when it
        cannot be (too large, busy, closed): the caller derives it with argon2-cffi."""
        if not all(1 <= value < _LIMIT for value in (time_cost, memory_cost, parallelism, hash_len)):
            return None  # argon2-cffi refuses these in its own words
        if memory_cost * 1024 > self.size or not self._lock.acquire(blocking=False):
            return None
        try:
            if self._map is None:
                return None
            return self._derive(secret, salt, time_cost, memory_cost, parallelism, hash_len)
        finally:
            self._lock.release()

    def _derive(
        self, secret: bytes, salt: bytes, time_cost: int, memory_cost: int, parallelism: int, hash_len: int
    ) -> bytes | None:
        ffi = self._ffi
        out = ffi.new("uint8_t[]", hash_len)
        # The password and the salt are read where they are (no copy left behind): Argon2 is told not to clear them.
        password = ffi.from_buffer("uint8_t[]", secret) if secret else ffi.NULL
        salted = ffi.from_buffer("uint8_t[]", salt)
        context = ffi.new(
            "argon2_context *",
            {
                "out": out,
                "outlen": hash_len,
                "pwd": password,
                "pwdlen": len(secret),
                "salt": salted,
                "saltlen": len(salt),
                "secret": ffi.NULL,
                "secretlen": 0,
                "ad": ffi.NULL,
                "adlen": 0,
                "t_cost": time_cost,
                "m_cost": memory_cost,
                "lanes": parallelism,
                "threads": parallelism,
                "version": _VERSION,
                "allocate_cbk": self._allocate,
                "free_cbk": self._free,
                "flags": 0,  # argon2's default: the password and the secret are left as given
            },
        )
        if core(context, Type.ID.value) != _ARGON2_OK:
            return None  # whatever argon2 refused, argon2-cffi refuses too, in its own words
        return bytes(ffi.buffer(out, hash_len))

    def verify(self, encoded: str, password: str) -> bool | None:
        """Whether ``password`` is the one the Argon2id hash string ``encoded`` was made from, checked in this
        memory as argon2-cffi's ``PasswordHasher.verify`` checks it; None when it cannot be here: another type or
        version of Argon2, a string not written exactly as argon2-cffi writes one (parameters in another order,
        padding, leading zeros), too large, busy, closed."""
        try:
            parameters = extract_parameters(encoded)
            salt_text, hash_text = encoded.rsplit("$", 2)[1:]
            salt, wanted = _unpadded_b64(salt_text), _unpadded_b64(hash_text)
        except (InvalidHashError, ValueError):
            return None
        if parameters.type is not Type.ID or parameters.version != _VERSION:
            return None
        canonical = (
            f"$argon2id$v={_VERSION}$m={parameters.memory_cost},t={parameters.time_cost},p={parameters.parallelism}"
            f"${_b64(salt)}${_b64(wanted)}"
        )
        if encoded != canonical:
            return None
        derived = self.raw(
            password.encode("utf-8"),
            salt,
            time_cost=parameters.time_cost,
            memory_cost=parameters.memory_cost,
            parallelism=parameters.parallelism,
            hash_len=len(wanted),
        )
        return None if derived is None else hmac.compare_digest(derived, wanted)

    def close(self) -> None:
        """The memory given back to the system, once the derivation holding it (if any) is done."""
        with self._lock:
            if self._map is None:
                return
            self._ffi.release(self._pointer)
            self._map.close()
            self._map = None


def _mapped(size: int) -> mmap.mmap:
    """``size`` bytes of private memory, every page touched (faulted in) now rather than during a derivation."""
    populate = getattr(mmap, "MAP_POPULATE", 0)
    if populate:  # Linux: the system touches them all in one call
        anonymous = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | populate
        return mmap.mmap(-1, size, flags=anonymous)
    private = getattr(mmap, "MAP_PRIVATE", 0)  # macOS and the BSDs (Python's default there is shared)
    area = mmap.mmap(-1, size, flags=private | mmap.MAP_ANONYMOUS) if private else mmap.mmap(-1, size)
    for offset in range(0, size, mmap.PAGESIZE):
        area[offset] = 0
    return area


def _unpadded_b64(text: str) -> bytes:
    """The standard base64 of the PHC string format, whose padding is left out."""
    if not text or "=" in text:
        raise ValueError("empty or padded")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii").rstrip("=")


def _nothing(_memory: Any, _size: int) -> None:
    """Argon2's free callback: the memory stays mapped for the next derivation (Argon2 has wiped it)."""
