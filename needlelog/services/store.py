"""Opening a clinic's chart for use: the engine, the schema, and the services on top."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from needlelog.db import (
    cipher,
    consistency,
    fingerprints,
    health,
    keyring,
    migrate,
    protections,
    records,
    seals,
    server,
)
from needlelog.db.chart_key import KEY_WRAPPING, KeyWrapping, seal_key
from needlelog.db.engine import (
    is_read_only,
    not_a_chart,
    open_engine,
    refuse_writes,
    resolve_target,
    shown,
    sqlite_path,
)
from needlelog.domain.errors import StorageError
from needlelog.services import chart_keys
from needlelog.services.access import AccountService
from needlelog.services.base import Access, Clock, utc_now
from needlelog.services.charting import PatientService, SessionService
from needlelog.services.course import CourseService
from needlelog.services.exporting import ExportService
from needlelog.services.registers import RegisterService
from needlelog.services.reporting import ReportService
from needlelog.services.settings import ClinicService


@dataclass
class Services:
    """Everything the window and the command line may ask of the chart."""

    clinic: ClinicService
    patients: PatientService
    sessions: SessionService
    exports: ExportService
    accounts: AccountService
    registers: RegisterService
    course: CourseService
    reports: ReportService  # the clinic's dashboard and report (issue 15)
    _engine: Engine = field(repr=False)
    # The one clock of the program: dwell timers and the idle lock read it, tests move it.
    clock: Clock = utc_now

    @property
    def access(self) -> Access:
        """Who is signed in (shared by every service above)."""
        return self.accounts.access

    @property
    def location(self) -> str:
        """Where the chart lives, as a person would say it: a file path or a server URL without password."""
        path = sqlite_path(self._engine.url)
        return str(path) if path is not None else self._engine.url.render_as_string(hide_password=True)

    @property
    def file_key(self) -> bytes | None:
        """SQLCipher's key to the chart's file when it is encrypted (its backups and restores use it); else None."""
        from needlelog.db.cipher import key_of

        return key_of(self._engine.url)

    def schema(self) -> tuple[str | None, str]:
        """The chart's schema revision and this program's (they are equal once the chart is open); read only."""
        return migrate.schema_revision(self._engine), migrate.HEAD

    def refuse_writes(self, reason: str) -> None:
        """Nothing more is written to the chart (its file was found damaged while open); every save is
        refused with ``reason`` and the draft keeper keeps the draft on this PC."""
        refuse_writes(self._engine, reason)

    def close(self) -> None:
        self._engine.dispose()


def build_services(
    engine: Engine,
    clock: Clock = utc_now,
    *,
    hasher: PasswordHasher | None = None,
    wrapping: KeyWrapping = KEY_WRAPPING,
) -> Services:
    """The services of one open chart, sharing one clock and one :class:`Access`.

    ``hasher`` hashes passwords; by default at the documented cost (:data:`access.PASSWORD_HASHING`);
    ``wrapping`` is the cost of wrapping the chart key for a password (:data:`chart_key.KEY_WRAPPING`).
    Tests pass cheap ones here, never through a switch the program could leave on."""
    access = Access()
    return Services(
        ClinicService(engine, clock, access),
        PatientService(engine, clock, access),
        SessionService(engine, clock, access),
        ExportService(engine, clock, access),
        AccountService(engine, clock, access, hasher=hasher, wrapping=wrapping),
        RegisterService(engine, clock, access),
        CourseService(engine, clock, access),
        ReportService(engine, clock, access),
        engine,
        clock,
    )


def engine_at_head(
    target: str | os.PathLike[str],
    *,
    create: bool = True,
    clock: Clock = utc_now,
    upgrade: bool = True,
    key: bytes | None = None,
) -> Engine:
    """An engine on ``target`` (created if it is a new SQLite file, unless ``create`` is false) whose
    schema is at this program's head. With ``upgrade=False``, or on a read-only chart (``?mode=ro``),
    a chart not at head is refused instead of changed (an export never creates or changes a chart).
    ``key``: SQLCipher's file key of an encrypted chart (:func:`needlelog.db.keyfile.file_key_for`); without
    it an encrypted chart is refused in words (:class:`ChartIsEncrypted`)."""
    if not upgrade:
        _refuse_empty_file(target)  # SQLite would write a header into it
    engine = open_engine(target, create=create) if key is None else _open_encrypted(target, key)
    try:
        if not migrate.is_at_head(engine):
            if not upgrade or is_read_only(engine.url):
                raise StorageError(_not_at_head(engine, target, upgrade=upgrade))
            migrate.upgrade(engine, at=clock())
    except Exception:
        engine.dispose()
        raise
    return engine


class ChartIsEncrypted(StorageError):
    """An encrypted chart asked to open without its key: it opens only through an account's password."""


def encrypted_chart(target: str | os.PathLike[str]) -> Path | None:
    """The file of ``target`` when it is an encrypted chart (SQLCipher) with its file of keys beside it, else None
    (a plain or new file, a server, or a file that is no chart at all: opening it says so): read from its first
    bytes, no key needed."""
    from needlelog.db.cipher import has_keys

    path = sqlite_path(resolve_target(target))
    if path is None or is_read_only_target(target) or not path.is_file() or path.stat().st_size == 0:
        return None
    try:
        return path if has_keys(path) else None
    except OSError:
        return None  # opening it says why


def is_read_only_target(target: str | os.PathLike[str]) -> bool:
    return is_read_only(resolve_target(target))


def _open_encrypted(target: str | os.PathLike[str], key: bytes) -> Engine:
    from needlelog.db.cipher import open_encrypted

    path = sqlite_path(resolve_target(target))  # the locations refused for a plain chart are refused here too
    if path is None:
        raise StorageError("Only a chart file is encrypted by needlelog; a server keeps its own data safe.")
    if not path.is_file():
        raise StorageError(f"There is no database at {shown(path)}.")
    return open_encrypted(path, key)


def _refuse_plain_open_of_encrypted(target: str | os.PathLike[str]) -> None:
    path = encrypted_chart(target)
    if path is not None:
        raise ChartIsEncrypted(f"{shown(path)} is encrypted: it opens only with an account's password.")


def _refuse_empty_file(target: str | os.PathLike[str]) -> None:
    path = sqlite_path(resolve_target(target))
    if path is not None and path.is_file() and path.stat().st_size == 0:
        raise StorageError(f"{shown(path)} is empty (0 bytes): it holds no needlelog chart; give the chart's file.")


def _not_at_head(engine: Engine, target: str | os.PathLike[str], *, upgrade: bool) -> str:
    revision = migrate.schema_revision(engine)
    path = sqlite_path(engine.url)  # a server's URL is shown without its password
    where = shown(os.fspath(target)) if path is not None else engine.url.render_as_string(hide_password=True)
    if revision is None:
        return f"{where} holds no needlelog chart (it is empty); give the chart's file."
    if upgrade:  # the caller would upgrade, but the chart was opened read-only
        return f"{where} is at schema {revision} and must be upgraded to {migrate.HEAD}, but it was opened read-only."
    return (
        f"{where} is at schema {revision}, older than this program's {migrate.HEAD}: run `needlelog db upgrade` first."
    )


def open_chart(
    target: str | os.PathLike[str],
    clock: Clock = utc_now,
    *,
    create: bool = True,
    upgrade: bool = True,
    hasher: PasswordHasher | None = None,
    wrapping: KeyWrapping = KEY_WRAPPING,
    key: bytes | None = None,
) -> Services:
    """Open (creating or upgrading as needed) the chart at ``target``: a SQLite path or a database URL.

    With ``create=False`` a SQLite file that does not exist is refused instead of created; with
    ``upgrade=False`` a chart not at this program's schema is refused instead of changed (exports).
    ``key``: SQLCipher's file key when the file is encrypted; an encrypted file opened without one is refused
    (:class:`ChartIsEncrypted`), a plain file given one opens plain, as before."""
    if key is not None and encrypted_chart(target) is None:
        key = None  # a plain file (a chart from before its encryption) opens as it is
    if key is None:
        _refuse_plain_open_of_encrypted(target)
    engine = engine_at_head(target, create=create, clock=clock, upgrade=upgrade, key=key)
    return build_services(engine, clock, hasher=hasher, wrapping=wrapping)


def upgrade_database(
    target: str | os.PathLike[str], clock: Clock = utc_now, key: bytes | None = None
) -> tuple[str | None, str]:
    """Bring the schema to this program's head; returns (from, to). ``key``: the file key of an encrypted
    chart (the copy kept before the upgrade is encrypted with it too)."""
    path = sqlite_path(resolve_target(target))
    if key is not None and path is not None and cipher.is_encrypted(path):
        engine = cipher.chart_engine(path, key)
    else:
        engine = open_engine(target, create=False)
    try:
        return migrate.upgrade(engine, at=clock()), migrate.HEAD
    finally:
        engine.dispose()


CheckProgress = Callable[[str], None]  # told what `check` is doing now, in words ("fingerprints: 1,000 of ...")


def check_database(
    target: str | os.PathLike[str], key: bytes | None = None, progress: CheckProgress | None = None
) -> list[str]:
    """Every problem found with the stored chart, in words; empty when it is sound.

    A SQLite file is only read (a damaged file is never opened for writing): its pages, references,
    schema and audit chain, and damage is named instead of raised. A file that is not SQLite at all is
    refused as not a chart (:class:`StorageError`). ``key``: the file key of an encrypted chart, read through
    SQLCipher with it (a wrong key is said, not called damage)."""
    path = sqlite_path(resolve_target(target))
    if path is None:
        return _check_server(target, progress)
    if not path.exists():
        raise StorageError(f"There is no database at {path}.")
    key = health.key_for(path, key)
    if key is None and not health.is_sqlite_file(path):
        raise StorageError(not_a_chart(path, "it is not a SQLite file"))
    problems, revision = health.examine(path, thorough=True, key=key)
    if progress is not None:  # said once done: nothing is said while it waits for a chart another program holds
        progress("pages: every page, reference and the audit chain read")
    if problems:
        return problems
    schema = _schema_problem(revision)
    if schema is not None:
        return [schema]
    with health.readable(path, key) as source:  # a hot journal is rolled back in a copy, never in the chart
        try:
            return protections.trigger_problems(source, key) + _fingerprint_problems(source, key, progress)
        except UnicodeDecodeError as exc:  # scattered bad bytes where SQLite's page checks do not look
            return [f"the file is damaged: a stored text is not UTF-8 ({exc.reason}, byte {exc.start})"]


def _fingerprint_problems(path: Path, key: bytes | None = None, progress: CheckProgress | None = None) -> list[str]:
    """Every signed note's fingerprint recomputed, on the file opened read-only, on every core."""
    from needlelog.services import checking

    return checking.fingerprint_problems(path, key, _notes_told(progress))


def _notes_told(progress: CheckProgress | None) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    return lambda read, total: progress(f"fingerprints: {read:,} of {total:,} signed notes")


def _schema_problem(revision: str | None) -> str | None:
    if revision is None:
        return "schema: the database is empty (no needlelog schema)"
    if revision not in migrate.KNOWN_REVISIONS:
        return f"schema: revision {revision} is newer than this program knows ({migrate.HEAD})"
    if revision != migrate.HEAD:
        return f"schema: at revision {revision}, this program expects {migrate.HEAD}"
    return None


def _check_server(target: str | os.PathLike[str], progress: CheckProgress | None = None) -> list[str]:
    engine = open_engine(target, create=False)
    try:
        problems = health.integrity_problems(engine)
        try:
            revision = migrate.schema_revision(engine)
        except StorageError as exc:
            return [*problems, str(exc)]
        schema = _schema_problem(revision)
        if schema is not None:
            problems.append(schema)
        else:
            broken = records.audit_chain_problem(engine)
            if broken is not None:
                problems.append(broken)
            problems += fingerprints.fingerprint_problems(engine, _notes_told(progress))
            problems += consistency.version_problems(engine)
            problems += server.privilege_problems(engine)  # the PCs' login cannot take the triggers away
        return problems
    finally:
        engine.dispose()


def _read_only_engine(target: str | os.PathLike[str], key: bytes | None = None) -> Engine:
    path = sqlite_path(resolve_target(target))
    if path is None:
        return open_engine(target, create=False)
    if not path.exists():
        raise StorageError(f"There is no database at {path}.")
    return cipher.chart_engine(path, key, read_only=True)


def has_chart_key(target: str | os.PathLike[str], key: bytes | None = None) -> bool:
    """Whether the chart has a chart key (then its records carry seals that `check --user` verifies)."""
    engine = _read_only_engine(target, key)
    try:
        with Session(engine) as db, db.begin():
            return keyring.has_chart_key(db)
    finally:
        engine.dispose()


def seal_check(target: str | os.PathLike[str], username: str, password: str) -> list[str]:
    """Every seal of the chart verified with the chart key that ``username``'s password unwraps (read only: no
    sign-in is written); the problems in words. :class:`PermissionDenied` for a wrong password."""
    return seal_findings(target, username, password)[0]


def seal_findings(
    target: str | os.PathLike[str],
    username: str,
    password: str,
    key: bytes | None = None,
    progress: CheckProgress | None = None,
) -> tuple[list[str], list[str]]:
    """:func:`seal_check`'s problems, and the rows not yet sealed (written by an account without the key since
    the sealed head: sealed by the next write that has it), in words. ``key``: an encrypted chart's file key."""
    engine = _read_only_engine(target, key)
    try:
        with Session(engine) as db, db.begin():
            key = chart_keys.unwrap_for_check(db, username, password)
        if key is None:
            return [], []
        return seals.seal_findings(engine, seal_key(key), progress)
    finally:
        engine.dispose()


def prove_seal_account(target: str | os.PathLike[str], username: str, password: str) -> None:
    """:class:`PermissionDenied` now, before a long `check`, when ``username``'s password does not open its copy
    of the chart key (nothing is written; a chart without a key, or one that cannot be read, passes: the check
    says why)."""
    try:
        engine = _read_only_engine(target)
    except StorageError:
        return
    try:
        with Session(engine) as db, db.begin():
            chart_keys.unwrap_for_check(db, username, password)
    except (StorageError, SQLAlchemyError):  # a damaged or locked file: the check names it
        return
    finally:
        engine.dispose()


def seal_findings_with_chart_key(
    target: str | os.PathLike[str], chart_key: bytes, key: bytes | None = None, progress: CheckProgress | None = None
) -> tuple[list[str], list[str]]:
    """:func:`seal_findings` with the chart key itself (opened with the recovery key, every password lost)."""
    engine = _read_only_engine(target, key)
    try:
        return seals.seal_findings(engine, seal_key(chart_key), progress)
    finally:
        engine.dispose()
