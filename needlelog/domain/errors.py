"""Typed errors: raised below, shown above (the UI and the command line decide how)."""

from __future__ import annotations

from collections.abc import Sequence

from needlelog.domain.problems import FieldProblem


class NeedlelogError(Exception):
    """An error a person can act on; its message is one plain sentence."""


class ValidationError(NeedlelogError):
    """One or more fields hold values the clinic's rules refuse; nothing was written."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        if not problems:
            raise ValueError("a ValidationError needs at least one problem")
        self.problems: tuple[FieldProblem, ...] = tuple(problems)
        super().__init__(" ".join(p.message for p in self.problems))

    @classmethod
    def single(cls, field: str, message: str) -> ValidationError:
        return cls([FieldProblem(field, message)])

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(p.field for p in self.problems)


class ConflictError(NeedlelogError):
    """Someone else saved this record since it was opened; the caller keeps its own text."""


class DuplicateRecord(ConflictError):
    """The database refused a record that duplicates one stored meanwhile (a unique number or name)."""


class NotFoundError(NeedlelogError):
    """The record asked for does not exist."""


class PermissionDenied(NeedlelogError):
    """The current user may not do this."""


class StorageError(NeedlelogError):
    """The database cannot be used: missing folder, not a database, newer schema, network drive."""
