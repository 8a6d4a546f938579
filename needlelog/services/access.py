"""Accounts: sign-in and its lock, the idle lock's password, the administrator's users and settings.

Passwords are hashed with Argon2id. Who is signed in is :class:`needlelog.services.base.Access`,
shared with every other service of the chart.
"""

from __future__ import annotations

import hmac
import threading
from dataclasses import replace
from datetime import UTC, datetime

from argon2 import Parameters, PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from needlelog.db import keyfile, keyring, records
from needlelog.db import repositories as repo
from needlelog.db.argon2_memory import WorkingMemory
from needlelog.db.chart_key import KEY_WRAPPING, KeyWrapping
from needlelog.db.engine import sqlite_path
from needlelog.db.models import ClinicianRow
from needlelog.domain.access import (
    FAILED_LOGINS_BEFORE_LOCK,
    IDLE_LOCK_MAX,
    IDLE_LOCK_MIN,
    LOGIN_LOCK,
    Action,
    AuditAction,
    AuditEntry,
    password_problem,
)
from needlelog.domain.accounts import account_problems
from needlelog.domain.errors import NotFoundError, PermissionDenied, StorageError, ValidationError
from needlelog.domain.model import Clinician
from needlelog.domain.problems import FieldProblem
from needlelog.domain.text import bad_character, storable
from needlelog.domain.vocab import Role
from needlelog.services import chart_keys
from needlelog.services.base import Access, Clock, UseCases, utc_now

# The cost of a password hash, as docs/ARCHITECTURE.md states it: Argon2id, 2 passes over 19 MiB in 1 lane,
# OWASP's password storage minimum (its first recommended configuration). It was RFC 9106's second
# recommendation (3 passes over 64 MiB in 4 lanes), whose 64 MiB alone took the program's peak memory over
# SPEC §9's 150 MB at every sign-in (issue 14). Written out rather than taken from argon2-cffi's defaults,
# which a new release may change; a hash made with other parameters (they travel in the hash) still
# verifies and is rehashed at these at the next sign-in.
PASSWORD_HASHING = Parameters(
    type=Type.ID, version=19, salt_len=16, hash_len=32, time_cost=2, memory_cost=19 * 1024, parallelism=1
)
WRONG_LOGIN = "Wrong user name or password."
ENCRYPTED_DRIVER = "sqlite+pysqlcipher"  # an encrypted chart's engine (db/cipher.py)


class AccountService(UseCases):
    """Sign-in, the idle lock's password check, and the administrator's users and settings.

    ``hasher`` is the composition root's to choose (tests pass a cheap one); by default it hashes at
    :data:`PASSWORD_HASHING`.
    """

    def __init__(
        self,
        engine: Engine,
        clock: Clock = utc_now,
        access: Access | None = None,
        *,
        hasher: PasswordHasher | None = None,
        wrapping: KeyWrapping = KEY_WRAPPING,
    ) -> None:
        super().__init__(engine, clock, access)
        self._engine = engine
        self._hasher = hasher if hasher is not None else PasswordHasher.from_parameters(PASSWORD_HASHING)
        self._wrapping = wrapping  # the cost of the chart key's wrapping for a password (db/chart_key.py)
        self._decoy: str | None = None

    def keep_side_file(self) -> None:
        """On an encrypted chart, its file of keys rewritten from the ``key_wrapping`` table once a use case that
        changed a wrapping, or who is active, has committed (:mod:`needlelog.db.keyfile`); a plain chart has none
        (its wrappings are read from the chart itself)."""
        path = sqlite_path(self._engine.url)
        if path is None or self._engine.url.drivername != ENCRYPTED_DRIVER:
            return
        with self._reads() as db, db.begin():
            keyfile.write_from_chart(path, db)

    def costs(self) -> tuple[PasswordHasher, KeyWrapping]:
        """The password hash's and the key wrapping's cost, for the same chart opened again (encrypted)."""
        return self._hasher, self._wrapping

    def record_failures_before_open(self, failures: list[keyfile.UnauditedFailure], dropped: int) -> None:
        """The wrong passwords given before an encrypted chart could be opened (counted in its file of keys),
        written to the audit trail now that it is open; an account they locked is locked in the chart too."""
        if not failures and not dropped:
            return
        now = self._clock()
        with self._transaction() as db, db.begin():
            for failure in failures:
                row = records.account_row(db, failure.username) if failure.role != "unknown" else None
                role = _roles(row.roles) if row is not None else "unknown"
                when = failure.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
                detail = f"{failure.detail}, at {when}"
                records.append_audit(
                    db, AuditEntry(now, failure.username, role, AuditAction.LOGIN_FAILED, detail=detail)
                )
                if failure.locked and row is not None:
                    until = failure.at + LOGIN_LOCK
                    if row.locked_until is None or row.locked_until < until:
                        row.locked_until = until
                    minutes = int(LOGIN_LOCK.total_seconds() // 60)
                    detail = (
                        f"{FAILED_LOGINS_BEFORE_LOCK} failed logins before the chart opened: locked {minutes} minutes"
                    )
                    records.append_audit(db, AuditEntry(now, row.username, role, AuditAction.LOCKED, detail=detail))
            if dropped:
                detail = f"{dropped} more failed logins before the chart opened (not kept one by one)"
                records.append_audit(db, AuditEntry(now, "?", "unknown", AuditAction.LOGIN_FAILED, detail=detail))

    def record_encryption(self, detail: str) -> None:
        """The chart's file was encrypted (:mod:`needlelog.services.encryption`): audited under whoever acts."""
        with self._transaction() as db, db.begin():
            self._audit(db, AuditAction.CHART_ENCRYPTED, detail=detail)

    def hash_password(self, password: str) -> str:
        return self._hasher.hash(password)

    def _spend_a_verification(self, password: str) -> None:
        """The cost of one password check, for a sign-in that needs none (an unknown, inactive or locked name),
        so that the answer's time does not tell which names exist."""
        if self._decoy is None:
            self._decoy = self._hasher.hash("needlelog: no account has this password")
        self._verify(self._decoy, password)

    def _verify(self, stored: str, password: str) -> bool:
        return verify_password(self._hasher, stored, password)

    def _checked(self, stored: str, password: str, check: PasswordCheck | None) -> bool:
        """``password`` is the one ``stored`` was made from: checked against this very hash, with this very
        password, meanwhile, since the encrypted chart's copy of its key opened (:class:`PasswordCheck`), or
        checked now. A check of another hash (the file of keys was older than the chart, or changed) is waited
        for and its answer dropped: it never runs beside the sign-in's own (their memory together went over
        SPEC §9's 150 MB)."""
        answer = check.wait() if check is not None else None
        if check is not None and check.of(stored, password) and answer is not None:
            return answer
        return self._verify(stored, password)

    # --- first start ---------------------------------------------------------------------
    def needs_admin(self) -> bool:
        """True until an administrator with a password exists: the first start creates one."""
        with self._transaction() as db, db.begin():
            return not any(
                Role.ADMIN in row.roles and row.password_hash and row.active
                for row in db.scalars(repo.select_accounts())
            )

    def create_admin(self, username: str, display_name: str, password: str) -> Clinician:
        if not self.needs_admin():
            raise PermissionDenied("An administrator already exists; they add the other users.")
        account = Clinician(display_name, username, authorised_to_needle=False, roles=frozenset({Role.ADMIN}))
        return self._add(account, password, audit_detail="first administrator created")

    # --- signing in and out --------------------------------------------------------------
    def login(
        self, username: str, password: str, chart_key: bytes | None = None, check: PasswordCheck | None = None
    ) -> Clinician:
        """The account, now signed in; :class:`PermissionDenied` in words otherwise (and audited). ``chart_key``:
        the key this password already unwrapped from an encrypted chart's file of keys (not derived again);
        ``check``: the same password being checked meanwhile against the hash that file holds, whose answer is
        taken only when it is the hash the chart holds for the account (the file is then brought up to date when
        it is not)."""
        account, stored = self._login(username, password, chart_key, check)
        if chart_key is not None:
            self._mend_side_file(account.username, stored)
        return account

    def _mend_side_file(self, username: str, stored: str) -> None:
        """The file of keys written again when its hash of ``username`` is not ``stored``, the chart's (a file
        from before it kept hashes, a hash made again at this sign-in, or one changed by hand). Only then: the
        command line signs in on every run, beside a sign-in window that counts wrong passwords in the same file.
        The sign-in has happened either way: a file that cannot be written now is written by the next change."""
        path = sqlite_path(self._engine.url)
        if path is None or self._engine.url.drivername != ENCRYPTED_DRIVER:
            return
        try:
            copy = keyfile.read(path).copy_of(username)
            if copy is not None and copy.password_hash != stored:
                self.keep_side_file()
        except StorageError:
            pass

    def _login(
        self, username: str, password: str, chart_key: bytes | None, check: PasswordCheck | None
    ) -> tuple[Clinician, str]:
        """The account signed in and its password hash as now stored; :class:`PermissionDenied` otherwise."""
        now = self._clock()
        with self._transaction() as db, db.begin():
            # A user name no database can store names no account (and cannot be written to the audit as typed).
            row = records.account_row(db, username) if bad_character(username) is None else None
            if row is None or not row.active:
                self._spend_a_verification(password)
                records.append_audit(
                    db,
                    AuditEntry(now, storable(username).strip()[:80] or "?", "unknown", AuditAction.LOGIN_FAILED),
                )
                failure = WRONG_LOGIN
            elif row.locked_until is not None and row.locked_until > now:
                self._spend_a_verification(password)
                records.append_audit(
                    db, AuditEntry(now, row.username, "locked", AuditAction.LOGIN_FAILED, detail="account locked")
                )
                until = row.locked_until.astimezone().strftime("%H:%M")
                failure = (
                    f"This account is locked after {FAILED_LOGINS_BEFORE_LOCK} failed logins; try again at {until}."
                )
            elif not self._checked(row.password_hash, password, check):
                failure = self._failed(db, row, now)
            else:
                account = repo.clinician_from_row(row)
                self.access.user = account
                self.access.recovery_key_to_show = None  # shown only where it was made (the first start, or here)
                refused = chart_keys.key_at_sign_in(db, self.access, row, password, self._wrapping, now, chart_key)
                if refused is None:
                    return self._signed_in(db, row, password, account), row.password_hash
                self.logout()
                records.append_audit(
                    db, AuditEntry(now, row.username, _roles(row.roles), AuditAction.LOGIN_FAILED, detail="no key")
                )
                failure = refused
        raise PermissionDenied(failure)

    def _signed_in(self, db: Session, row: ClinicianRow, password: str, account: Clinician) -> Clinician:
        row.failed_logins = 0
        row.locked_until = None
        if self._hasher.check_needs_rehash(row.password_hash):
            row.password_hash = self.hash_password(password)
        self.access.locked = False
        self._audit(db, AuditAction.LOGIN)
        return account

    def take_recovery_key(self) -> str | None:
        """The recovery key made with the chart key, once (the window shows it to be printed or saved); None after."""
        recovery, self.access.recovery_key_to_show = self.access.recovery_key_to_show, None
        return recovery

    def recover(self, recovery_key: str, username: str, password: str) -> None:
        """The day every administrator's password is lost: the recovery key opens the chart key, and ``username``
        gets ``password`` (audited). The command line's `needlelog recover`."""
        now = self._clock()
        with self._transaction() as db, db.begin():
            row = records.account_row(db, username) if bad_character(username) is None else None
            if row is None:
                raise NotFoundError(f"No user named {username.strip()!r}: give an account's user name.")
            why = password_problem(password, row.username)
            if why:
                raise ValidationError.single("password", why)
            chart_keys.hold(db, self.access, chart_keys.unwrap_recovery(db, recovery_key))
            self._new_password(db, row, password, now)
            self._audit(db, AuditAction.USER_CHANGED, detail=f"{row.username}: password set with the recovery key")
        self.logout()
        self.keep_side_file()

    def _new_password(self, db: Session, row: ClinicianRow, password: str, now: datetime) -> None:
        row.password_hash = self.hash_password(password)
        row.failed_logins = 0
        row.locked_until = None
        db.flush()
        chart_keys.give_key(db, self.access, row.id, password, self._wrapping, now)

    def _failed(self, db: Session, row: ClinicianRow, now: datetime) -> str:
        row.failed_logins += 1
        role = _roles(row.roles)
        detail = f"failure {row.failed_logins}"
        records.append_audit(db, AuditEntry(now, row.username, role, AuditAction.LOGIN_FAILED, detail=detail))
        if row.failed_logins >= FAILED_LOGINS_BEFORE_LOCK:
            row.locked_until = now + LOGIN_LOCK
            row.failed_logins = 0
            detail = (
                f"{FAILED_LOGINS_BEFORE_LOCK} failed logins: locked {int(LOGIN_LOCK.total_seconds() // 60)} minutes"
            )
            records.append_audit(db, AuditEntry(now, row.username, role, AuditAction.LOCKED, detail=detail))
            return f"{WRONG_LOGIN} The account is now locked for {int(LOGIN_LOCK.total_seconds() // 60)} minutes."
        return WRONG_LOGIN

    def logout(self) -> None:
        """Forget who is signed in, unaudited (the command line, the program's own set-up); the chart key stays
        with the program, which goes on as the system (a person's :meth:`sign_out` forgets it)."""
        self.access.user = None
        self.access.locked = False

    def sign_out(self, from_lock: bool = False) -> None:
        """A person signs out to the sign-in window, audited; forgotten even if the audit row cannot be written.
        ``from_lock``: the next person signed them out from the lock screen (no password asked; nothing shown)."""
        if self.access.user is None:
            return
        try:
            with self._transaction() as db, db.begin():
                self._audit(db, AuditAction.LOGOUT, detail="from the lock screen" if from_lock else None)
        finally:
            self.logout()
            self.access.forget_key()  # the next person unwraps their own

    def lock(self, manual: bool = False) -> None:
        """The idle lock, or a lock the person chose (Ctrl+L): nothing is shown or done until the password."""
        if self.access.user is None or self.access.locked:
            return
        with self._transaction() as db, db.begin():
            self._audit(db, AuditAction.LOCKED, detail="manual" if manual else "idle")
        self.access.locked = True

    def unlock(self, password: str) -> bool:
        """The signed-in account's password given again; False (audited, counted) when wrong."""
        user = self.access.user
        if user is None:
            return True
        now = self._clock()
        with self._transaction() as db, db.begin():
            row = records.account_row_by_id(db, user.id or 0)
            if row is None or not row.active:
                return False
            if row.locked_until is not None and row.locked_until > now:
                return False
            if not self._verify(row.password_hash, password):
                self._failed(db, row, now)
                return False
            row.failed_logins = 0
            self.access.locked = False
            self._audit(db, AuditAction.UNLOCKED)
            return True

    # --- the administrator's work --------------------------------------------------------
    def users(self) -> list[Clinician]:
        self._require(Action.MANAGE_USERS)
        with self._transaction() as db, db.begin():
            return [repo.clinician_from_row(row) for row in db.scalars(repo.select_accounts())]

    def add_user(self, account: Clinician, password: str) -> Clinician:
        self._require(Action.MANAGE_USERS)
        return self._add(account, password, audit_detail=f"added with roles {_roles(account.roles)}")

    def _add(self, account: Clinician, password: str, audit_detail: str) -> Clinician:
        problems = account_problems(account)
        why = password_problem(password, account.username)
        if why:
            problems.append(FieldProblem("password", why))
        if problems:
            raise ValidationError(problems)
        digest = self.hash_password(password)
        with self._transaction() as db, db.begin():
            if records.account_row(db, account.username) is not None:
                raise ValidationError.single("username", f"The user name {account.username!r} is already taken.")
            tidy = replace(
                account,
                username=account.username.strip(),
                display_name=account.display_name.strip(),
                credentials=account.credentials.strip(),
                registration_number=account.registration_number.strip(),
            )
            added = repo.add_clinician(db, tidy, digest)
            chart_keys.give_key(db, self.access, added.id or 0, password, self._wrapping, self._clock())
            self._audit(
                db, AuditAction.USER_CHANGED, detail=f"{added.username}: {audit_detail}{self._no_copy_words(db)}"
            )
        self.keep_side_file()
        return added

    def without_key(self) -> list[str]:
        """The user names of active accounts with a password and no copy of the chart key (made before it, or
        given a password by someone without it): they sign in once an administrator sets their password again."""
        self._require(Action.MANAGE_USERS)
        with self._transaction() as db, db.begin():
            if not keyring.has_chart_key(db):
                return []
            return [
                row.username
                for row in db.scalars(repo.select_accounts())
                if row.active and row.password_hash and keyring.wrapping_of(db, row.id) is None
            ]

    def update_user(self, account: Clinician) -> Clinician:
        """Name, credentials, registration, roles, the authorised-to-needle flag, active."""
        self._require(Action.MANAGE_USERS)
        problems = account_problems(account)
        if problems:
            raise ValidationError(problems)
        with self._transaction() as db, db.begin():
            row = records.account_row_by_id(db, account.id or 0)
            if row is None:
                raise NotFoundError(f"No user with id {account.id}.")
            stays_admin = Role.ADMIN in account.roles and account.active
            if Role.ADMIN in row.roles and row.active and not stays_admin:
                others = [
                    other
                    for other in db.scalars(repo.select_accounts())
                    if other.id != row.id and Role.ADMIN in other.roles and other.active and other.password_hash
                ]
                if not others:
                    # Otherwise the chart would have no administrator, and the next start would let anyone
                    # at the PC create one.
                    raise ValidationError.single(
                        "roles", f"{row.display_name} is the only administrator: add another one first."
                    )
            row.display_name = account.display_name.strip()
            row.credentials = account.credentials.strip()
            row.registration_number = account.registration_number.strip()
            row.authorised_to_needle = account.authorised_to_needle
            row.roles = account.roles
            row.active = account.active
            self._audit(
                db,
                AuditAction.USER_CHANGED,
                detail=f"{row.username}: roles {_roles(account.roles)}, "
                f"{'authorised' if account.authorised_to_needle else 'not authorised'} to needle, "
                f"{'active' if account.active else 'inactive'}",
            )
            updated = repo.clinician_from_row(row)
            if self.access.user is not None and self.access.user.id == updated.id:
                self.access.user = updated  # one's own roles take effect at once
        self.keep_side_file()  # an inactive account's copy leaves the file of keys, an active one's comes back
        return updated

    def set_password(self, account_id: int, password: str) -> None:
        """The administrator sets (or resets) a user's password; it also lifts a login lock."""
        self._require(Action.MANAGE_USERS)
        with self._transaction() as db, db.begin():
            row = records.account_row_by_id(db, account_id)
            if row is None:
                raise NotFoundError(f"No user with id {account_id}.")
            why = password_problem(password, row.username)
            if why:
                raise ValidationError.single("password", why)
            chart_keys.refuse_taking_a_copy(db, self.access, row)
            self._new_password(db, row, password, self._clock())
            self._audit(db, AuditAction.USER_CHANGED, detail=f"{row.username}: password set{self._no_copy_words(db)}")
        self.keep_side_file()

    def _no_copy_words(self, db: Session) -> str:
        """What the audit row adds when the one setting a password holds no copy of the key: none was given."""
        if self.access.chart_key is not None or not keyring.has_chart_key(db):
            return ""
        return " by an administrator without a copy of the chart key: none given"

    def key_givers(self) -> list[str]:
        """The active administrators who hold a copy of the chart key (they give one by setting a password); an
        empty list on a chart without a key. Whether the one signed in holds one: :attr:`holds_key`."""
        self._require(Action.MANAGE_USERS)
        with self._transaction() as db, db.begin():
            return chart_keys.key_givers(db) if keyring.has_chart_key(db) else []

    @property
    def holds_key(self) -> bool:
        return self.access.chart_key is not None

    # --- settings ------------------------------------------------------------------------
    def idle_lock_minutes(self) -> int:
        with self._transaction() as db, db.begin():
            return repo.idle_lock_minutes(db)

    def set_idle_lock_minutes(self, minutes: int) -> None:
        self._require(Action.CHANGE_SETTINGS)
        if not IDLE_LOCK_MIN <= minutes <= IDLE_LOCK_MAX:
            raise ValidationError.single(
                "idle_lock_minutes", f"The idle lock must be {IDLE_LOCK_MIN} to {IDLE_LOCK_MAX} minutes."
            )
        with self._transaction() as db, db.begin():
            before = repo.idle_lock_minutes(db)
            repo.set_idle_lock_minutes(db, minutes)
            self._audit(db, AuditAction.SETTING_CHANGED, detail=f"idle lock: {before} → {minutes} minutes")


def _roles(roles: frozenset[Role]) -> str:
    return ", ".join(sorted(role.value for role in roles)) or "none"


def verify_password(hasher: PasswordHasher, stored: str, password: str) -> bool:
    """``password`` is the one the Argon2id hash ``stored`` was made from (at the parameters stored in it)."""
    if not stored or bad_character(password) is not None:  # no password is set with one (argon2 cannot hash it)
        return False
    try:
        return hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


class PasswordCheck:
    """A password checked against a stored hash in a thread of its own (issue 14).

    An encrypted chart's sign-in derives twice with Argon2id: once to open the account's copy of the chart key,
    once to check the password against the account's hash. The second is started here as soon as the first has
    opened the copy, with the hash the file of keys holds, and runs on the other core while the window's thread
    opens the chart (argon2-cffi lets go of Python's lock while it hashes); :meth:`AccountService.login` takes
    its answer only for that very hash, the one the chart holds. The two never run at once: each takes 19 MiB,
    and together they took the program's peak memory over SPEC §9's 150 MB. Where no thread can be started the
    check is done at :meth:`wait`, on the caller's thread."""

    def __init__(self, stored: str, password: str, memory: WorkingMemory | None = None) -> None:
        self.stored = stored
        self._password = password
        self._memory = memory  # the sign-in's working memory, free once the copy is open (db/argon2_memory.py)
        self._result: bool | None = None
        self._answered = threading.Event()
        self._thread: threading.Thread | None = threading.Thread(target=self._run, name="needlelog-password")
        try:
            self._thread.start()
        except RuntimeError:
            self._thread = None

    def of(self, stored: str, password: str) -> bool:
        """Whether this is the check of ``password`` against ``stored``, both byte for byte."""
        return bool(stored) and _same(stored, self.stored) and _same(password, self._password)

    def _run(self) -> None:
        try:
            checked = None
            if self._memory is not None and bad_character(self._password) is None:
                checked = self._memory.verify(self.stored, self._password)
            if checked is None:  # not a hash that memory checks, or it is not free: argon2-cffi's own check
                checked = verify_password(PasswordHasher(), self.stored, self._password)
            self._result = checked
        except Exception:  # no answer: the sign-in checks the chart's hash itself
            self._result = None
        finally:
            self._answered.set()  # a check that failed to run answers None: the sign-in checks again itself
            if self._memory is not None:
                # The sign-in's last derivation: its memory goes back, while the window's thread goes on.
                self._memory.close()

    def wait(self) -> bool | None:
        """Whether the password is the one :attr:`stored` was made from, once checked; None when the check
        could not run (the caller checks it itself)."""
        if self._thread is None:
            self._run()
        else:
            self._answered.wait()
        return self._result


def _same(one: str, other: str) -> bool:
    return hmac.compare_digest(one.encode("utf-8", "surrogatepass"), other.encode("utf-8", "surrogatepass"))
