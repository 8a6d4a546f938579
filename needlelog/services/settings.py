"""The clinic's settings (SPEC §5): letterhead and logo, default dwell, consent validity, the idle lock, this PC's
backup folder; and the clinic's accounts as the seeder and the tests add them.

The administrator changes the settings (SPEC §4); each save is one transaction that writes the settings and one
audit row saying what changed, old → new (:func:`needlelog.domain.clinic_settings.settings_changes`). A save
that changes nothing writes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy import Engine

from needlelog.db import repositories as repo
from needlelog.db.engine import sqlite_path
from needlelog.domain.access import IDLE_LOCK_MAX, IDLE_LOCK_MIN, Action, AuditAction
from needlelog.domain.accounts import account_problems
from needlelog.domain.clinic_settings import settings_changes
from needlelog.domain.errors import NotFoundError, ValidationError
from needlelog.domain.model import Clinic, Clinician
from needlelog.domain.problems import FieldProblem
from needlelog.domain.rules import clinic_problems
from needlelog.services import backups
from needlelog.services.base import Access, Clock, UseCases, utc_now


class ClinicService(UseCases):
    def __init__(self, engine: Engine, clock: Clock = utc_now, access: Access | None = None) -> None:
        super().__init__(engine, clock, access)
        self._chart = sqlite_path(engine.url)  # None on a database server

    def clinic(self) -> Clinic:
        with self._reads() as db, db.begin():
            clinic = repo.get_clinic(db)
        if clinic is None:
            raise NotFoundError("This database has no clinic yet; run `needlelog demo` or set up the clinic.")
        return clinic

    def clinic_or_none(self) -> Clinic | None:
        with self._reads() as db, db.begin():
            return repo.get_clinic(db)

    def save_clinic(self, clinic: Clinic) -> Clinic:
        """The letterhead, the logo and the clinic's defaults, audited old → new."""
        return self.save_settings(clinic)

    def save_settings(self, clinic: Clinic, minutes: int | None = None) -> Clinic:
        """The clinic's settings and (``minutes``) the idle lock, in one transaction with one audit row."""
        problems = _problems(clinic, minutes)
        if problems:
            raise ValidationError(problems)
        self._require(Action.CHANGE_SETTINGS)
        with self._transaction() as db, db.begin():
            before = repo.get_clinic(db)
            if before is not None:
                clinic = replace(clinic, id=before.id)  # the one clinic row, whatever id the caller held
            changes = settings_changes(before, clinic)
            saved = repo.save_clinic(db, clinic) if changes or before is None else before
            if minutes is not None:
                old_minutes = repo.idle_lock_minutes(db)
                if old_minutes != minutes:
                    repo.set_idle_lock_minutes(db, minutes)
                    changes.append(f"idle lock: {old_minutes} → {minutes} minutes")
            if changes:
                self._audit(db, AuditAction.SETTING_CHANGED, detail="; ".join(changes))
            return saved

    def backup_folder(self) -> Path | None:
        """Where this PC backs the chart up (None on a database server, whose backups are the server's)."""
        self._require(Action.CHANGE_SETTINGS)
        return None if self._chart is None else backups.backup_folder(self._chart)

    def choose_backup_folder(self, folder: Path | None = None) -> Path:
        """Keep this PC's backups of the chart in ``folder`` (None: the default, beside the chart), audited."""
        self._require(Action.CHANGE_SETTINGS)
        if self._chart is None:
            raise ValidationError.single(
                "backup_folder", "This chart is on a database server: its backups are made on the server."
            )
        before = backups.backup_folder(self._chart)
        with self._transaction() as db, db.begin():  # the mark first, as for every setting
            after = backups.choose_backup_folder(self._chart, folder)
            if after != before:
                self._audit(db, AuditAction.SETTING_CHANGED, detail=f"backup folder (this PC): {before} → {after}")
        return after

    def clinicians(self) -> list[Clinician]:
        with self._reads() as db, db.begin():
            return repo.list_clinicians(db)

    def add_clinician(self, clinician: Clinician) -> Clinician:
        """An account without a password (the administrator gives one): the seeder's and the tests' way."""
        self._require(Action.MANAGE_USERS)
        problems = account_problems(clinician)
        if problems:
            raise ValidationError(problems)
        with self._transaction() as db, db.begin():
            if repo.clinician_by_username(db, clinician.username) is not None:
                raise ValidationError.single(
                    "username",
                    f"The user name {clinician.username!r} is already taken.",
                )
            added = repo.add_clinician(db, clinician)
            self._audit(db, AuditAction.USER_CHANGED, detail=f"{added.username}: added")
            return added


def _problems(clinic: Clinic, minutes: int | None) -> list[FieldProblem]:
    problems = clinic_problems(clinic)
    if clinic.logo and not any(problem.field == "logo" for problem in problems):
        from needlelog.reports.logo import logo_unreadable  # reportlab and Pillow load when a logo is saved only

        unreadable = logo_unreadable(clinic.logo)
        if unreadable:
            problems.append(FieldProblem("logo", unreadable))
    if minutes is not None and not IDLE_LOCK_MIN <= minutes <= IDLE_LOCK_MAX:
        problems.append(
            FieldProblem("idle_lock_minutes", f"The idle lock must be {IDLE_LOCK_MIN} to {IDLE_LOCK_MAX} minutes.")
        )
    return problems
