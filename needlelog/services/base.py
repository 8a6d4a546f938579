"""What every service shares: the clock, storage failures in words, who is acting, and the audit row.

:class:`Access` is shared by every service of one open chart: it holds the signed-in account (or
none: the command line and the program's own jobs act as "the system", with every right, and are
audited under the operating-system user's name). Every use case calls :meth:`UseCases._require`
before it reads or writes, and writes its audit row in its own transaction.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from needlelog.db import records, seals
from needlelog.db.chart_key import seal_key
from needlelog.db.clinic_repo import clinician_from_row
from needlelog.db.engine import read_snapshot, sqlite_errors, sqlite_words
from needlelog.db.models import ClinicianRow
from needlelog.domain.access import ACTION_WORDS, Action, AuditAction, AuditEntry, allowed
from needlelog.domain.errors import DuplicateRecord, NeedlelogError, PermissionDenied, StorageError
from needlelog.domain.model import Clinician

Clock = Callable[[], datetime]
# Whether the one acting may still act, as stored now: two columns, one statement built once.
_ACCOUNT_NOW = select(ClinicianRow.active, ClinicianRow.roles).where(ClinicianRow.id == bindparam("account"))


def utc_now() -> datetime:
    return datetime.now(UTC)


def storage_failure(exc: BaseException) -> NeedlelogError | None:
    """The typed error a driver's exception stands for, in words; None when it is not the storage's.

    A database that cannot be read or written (locked by another program past the busy timeout, a
    disk gone or full, a file damaged or replaced, a server down) is a :class:`StorageError`; a row
    the database refuses as a duplicate is a :class:`DuplicateRecord` (someone saved it meanwhile).
    """
    if isinstance(exc, IntegrityError):
        detail = _detail(exc)
        return DuplicateRecord(f"The chart refused this change: it duplicates a record already stored ({detail}).")
    if isinstance(exc, (DBAPIError, SQLAlchemyTimeoutError, DisconnectionError, *sqlite_errors())):
        known = sqlite_words(exc.orig if isinstance(exc, DBAPIError) else exc)
        if known is not None:  # locked, read-only, disk full: what to do, not the driver's words
            return StorageError(known)
        return StorageError(f"The chart could not be read or written ({_detail(exc)}); nothing was changed.")
    return None


def _detail(exc: BaseException) -> str:
    return " ".join(str(getattr(exc, "orig", None) or exc).split())[:300]


class UseCaseSession(Session):
    """The session of one use case: whatever the driver raises out of it leaves as a typed error.

    Every use case opens its transaction through :meth:`UseCases._transaction` (``with
    self._transaction() as db, db.begin():``), so this is the one place a driver's exception is
    translated: no public service method can let one through, and none has to remember to.
    """

    def __exit__(self, type_: Any, value: Any, traceback: Any) -> None:
        super().__exit__(type_, value, traceback)
        if value is not None:
            translated = storage_failure(value)
            if translated is not None:
                raise translated from None


class Access:
    """The account using this chart now (None: the system), and whether the screen is locked."""

    def __init__(self, system_name: str | None = None) -> None:
        self.user: Clinician | None = None
        self.locked = False
        self.system_name = system_name or _os_user()
        # The chart key, unwrapped at sign-in (or made by the first account, or opened by the recovery key): it
        # seals what this chart writes and wraps the key for an account given a password. Forgotten at sign-out.
        self.chart_key: bytes | None = None
        self.recovery_key_to_show: str | None = None  # made with the chart key, shown once, then forgotten

    @property
    def seal_key(self) -> bytes | None:
        return None if self.chart_key is None else seal_key(self.chart_key)

    def forget_key(self) -> None:
        self.chart_key = None
        self.recovery_key_to_show = None

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
        self._sessions = self._session_factory(engine)
        # Use cases that only read (and the account re-read): transactions that never take the write lock nor wait
        # for a writer.
        self._reads = self._session_factory(read_snapshot(engine))
        self._clock = clock
        self.access = access if access is not None else Access()

    @staticmethod
    def _session_factory(bind: Engine) -> sessionmaker[UseCaseSession]:
        """Sessions on ``bind`` that translate storage failures (a service's other engines use it too)."""
        return sessionmaker(bind, class_=UseCaseSession, expire_on_commit=False)

    def _transaction(self) -> UseCaseSession:
        """The session of one use case; a driver's exception leaves it as a typed error (:class:`UseCaseSession`).
        It carries the seal key of the one acting, so that what it writes is sealed in the same transaction."""
        session = self._sessions()
        key = self.access.seal_key
        if key is not None:
            session.info[seals.SEAL_KEY] = key
        return session

    def _require(self, action: Action) -> None:
        """Refuse ``action`` unless the one acting may: by the account as stored now, not as it was at sign-in,
        so a deactivation or a demotion takes effect at the next use case of a window already open."""
        self.access.require(action)
        user = self.access.user
        if user is None or user.id is None:
            return
        with self._reads() as db, db.begin():
            self._recheck_account(db, action)

    def _recheck_account(self, db: Session, action: Action) -> None:
        """The account of the one acting, read in ``db``'s transaction: still active, its roles still allowing
        ``action`` (its roles changed: the whole account is read again and held)."""
        user = self.access.user
        if user is None or user.id is None:
            return
        found = db.execute(_ACCOUNT_NOW, {"account": user.id}).first()
        if found is None or not found.active:
            raise PermissionDenied(f"{user.display_name}'s account is no longer active; sign out.")
        if found.roles != user.roles:
            row = records.account_row_by_id(db, user.id)
            if row is None:
                raise PermissionDenied(f"{user.display_name}'s account is no longer active; sign out.")
            self.access.user = clinician_from_row(row)
            self.access.require(action)

    @contextmanager
    def _reading(self, action: Action) -> Iterator[UseCaseSession]:
        """One use case that only reads: the access check and the reads in one transaction that takes no write
        lock (DEFERRED on SQLite, REPEATABLE READ on a server), so a search keystroke or a chart opened never
        waits out another PC's save, and sees one consistent state."""
        self.access.require(action)
        with self._reads() as db, db.begin():
            self._recheck_account(db, action)
            yield db

    @contextmanager
    def _writing(self, action: Action) -> Iterator[UseCaseSession]:
        """One use case that writes: the access check, its reads and writes in one write transaction (``BEGIN
        IMMEDIATE`` on SQLite: the writer waits its turn up front instead of failing half-way)."""
        self.access.require(action)
        with self._transaction() as db, db.begin():
            self._recheck_account(db, action)
            yield db

    def _require_own(self, clinician_id: int, what: str = "draft") -> None:
        """A clinician charts, signs and discards only their own drafts (the system, the command line, may act
        for anyone)."""
        user = self.access.user
        if user is not None and user.id != clinician_id:
            raise PermissionDenied(
                f"This {what} is another clinician's: {user.display_name} may change only their own."
            )

    def _audit(self, db: Session, action: AuditAction, **about: int | str | None) -> None:
        """The audit row of this use case, written in its own transaction (so both happen, or neither)."""
        records.append_audit(db, self.access.entry(self._clock(), action, **about))
