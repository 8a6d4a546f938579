"""Storage failures in words: the decorator every writing use case wears."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import OperationalError

from needlelog.domain.errors import StorageError

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
