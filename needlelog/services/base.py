"""What every service shares: the clock, storage failures in words, who is acting, and the audit row.

:class:`Access` is shared by every service of one open chart: it holds the signed-in account (or
none: the command line and the program's own jobs act as "the system", with every right, and are
audited under the operating-system user's name). Every use case calls :meth:`UseCases._require`
before it reads or writes, and writes its audit row in its own transaction.
"""

from __future__ import annotations

import functools
import getpass
from collections.abc import Callable
from datetime import UTC, datetime
from typing import ParamSpec, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from needlelog.db import records
from needlelog.domain.access import ACTION_WORDS, Action, AuditAction, AuditEntry, allowed
from needlelog.domain.errors import PermissionDenied, StorageError
from needlelog.domain.model import Clinician

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


P = ParamSpec("P")
R = TypeVar("R")


def storage_errors(use_case: Callable[P, R]) -> Callable[P, R]:
    """A database that cannot be written (locked by another program past the busy timeout, a disk
    gone, a server down) becomes a :class:`StorageError` in words, not a driver's exception."""

    @functools.wraps(use_case)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return use_case(*args, **kwargs)
        except OperationalError as exc:
            detail = " ".join(str(getattr(exc, "orig", exc)).split())
            raise StorageError(f"The chart could not be read or written ({detail}); nothing was changed.") from None

    return guarded


class Access:
    """The account using this chart now (None: the system), and whether the screen is locked."""

    def __init__(self, system_name: str | None = None) -> None:
        self.user: Clinician | None = None
        self.locked = False
        self.system_name = system_name or _os_user()

    def may(self, action: Action) -> bool:
        if self.locked:
            return False
        return self.user is None or allowed(self.user.roles, action)

    def require(self, action: Action) -> None:
        if self.locked:
            raise PermissionDenied("The program is locked: give your password first.")
        if self.user is not None and not allowed(self.user.roles, action):
            roles = ", ".join(sorted(role.label.lower() for role in self.user.roles)) or "no role"
            raise PermissionDenied(f"{self.user.display_name} ({roles}) may not {ACTION_WORDS[action]}.")

    def who(self) -> tuple[str, str]:
        """The user name and role(s) an audit row records."""
        if self.user is None:
            return self.system_name, "system"
        return self.user.username, " ".join(sorted(role.value for role in self.user.roles))

    def entry(self, at: datetime, action: AuditAction, **about: int | str | None) -> AuditEntry:
        user, role = self.who()
        return AuditEntry(at, user, role, action, **about)  # type: ignore[arg-type]


def _os_user() -> str:
    try:
        return f"{getpass.getuser()} (command line)"[:80]
    except (KeyError, OSError):
        return "command line"


class UseCases:
    """What every service of one open chart shares: transactions, the clock, who is acting, the audit row."""

    def __init__(self, engine: Engine, clock: Clock = utc_now, access: Access | None = None) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock
        self.access = access if access is not None else Access()

    def _transaction(self) -> Session:
        return self._sessions()

    def _require(self, action: Action) -> None:
        self.access.require(action)

    def _audit(self, db: Session, action: AuditAction, **about: int | str | None) -> None:
        """The audit row of this use case, written in its own transaction (so both happen, or neither)."""
        records.append_audit(db, self.access.entry(self._clock(), action, **about))
