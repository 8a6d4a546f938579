"""Column types that carry the domain's codes and UTC times through any database engine."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import DateTime, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

E = TypeVar("E", bound=StrEnum)


def _member(enum_type: type[E], code: Any) -> E:
    """``enum_type(code)``, looked up in the enum's own table first (an unknown code raises as the call does)."""
    member = enum_type._value2member_map_.get(code)
    return member if member is not None else enum_type(code)  # type: ignore[return-value]


class Code(TypeDecorator[E], Generic[E]):
    """One controlled term, stored as its stable code."""

    impl = String(32)
    cache_ok = True

    def __init__(self, enum_type: type[E]) -> None:
        super().__init__()
        self.enum_type = enum_type

    def process_bind_param(self, value: E | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum_type(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        # A dictionary look-up, not the enum's call (1 µs): `check` reads millions of codes (issue 13).
        return None if value is None else _member(self.enum_type, value)


class CodeSet(TypeDecorator[frozenset[E]], Generic[E]):
    """A small closed set of terms (aftercare given, reactions), stored as sorted space-separated codes.

    These sets are always read with their session and never searched across sessions, so one
    column is enough and keeps a 500,000-session chart at a handful of rows per visit.
    """

    impl = String(400)
    cache_ok = True

    def __init__(self, enum_type: type[E]) -> None:
        super().__init__()
        self.enum_type = enum_type

    def process_bind_param(self, value: frozenset[E] | None, dialect: Dialect) -> str:
        return " ".join(sorted(self.enum_type(v).value for v in (value or ())))

    def process_result_value(self, value: Any, dialect: Dialect) -> frozenset[E]:
        if not value:
            return frozenset()
        return frozenset(_member(self.enum_type, code) for code in value.split())


class UtcDateTime(TypeDecorator[datetime]):
    """An instant, stored as UTC and read back timezone-aware whatever the engine keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing a naive datetime: give the time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def codes(values: frozenset[Any] | set[Any]) -> str:
    """The stored form of a code set, for bulk inserts that bypass the type."""
    return " ".join(sorted(getattr(v, "value", v) for v in values))
