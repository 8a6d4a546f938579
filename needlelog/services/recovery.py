"""Drafts kept on this PC while the chart cannot be written (the server went away, SPEC §7).

When a save fails because the chart cannot be reached, the editor keeps the draft on screen and here: one
JSON file per draft in ``<data folder>/recovery/<chart>/``, the folder 0700 and the file 0600 (it holds a
patient's visit: the owner alone may read it), written atomically and fsynced, so a crash of the PC while
the server is away still loses nothing. The next save that reaches the chart removes it. At the next start
:meth:`DraftRecovery.save_pending` stores what is left, each draft at the version it was read at: a draft
saved from another PC meanwhile is a conflict, and its recovery file stays for the clinician.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
import types
import typing
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from needlelog import paths
from needlelog.domain.errors import NeedlelogError
from needlelog.domain.model import TreatmentSession
from needlelog.services.charting import SessionService

FOLDER = "recovery"


def _plain(value: Any) -> Any:
    """``value`` as JSON: a dataclass as a dict of its fields, times in ISO form, enums by code, sets sorted."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(_plain(v) for v in value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _typed(kind: Any, data: Any) -> Any:
    """``data`` read back as ``kind`` (the field's annotation): the inverse of :func:`_plain`."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        if data is None:
            return None
        return _typed(next(a for a in args if a is not type(None)), data)
    if origin is tuple:
        return tuple(_typed(args[0], item) for item in data)
    if origin is frozenset:
        return frozenset(_typed(args[0], item) for item in data)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        return kind(**{f.name: _typed(hints[f.name], data[f.name]) for f in dataclasses.fields(kind) if f.name in data})
    if kind is datetime:
        return datetime.fromisoformat(data)
    if kind is date:
        return date.fromisoformat(data)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind(data)
    return data


def session_to_json(session: TreatmentSession) -> str:
    return json.dumps(_plain(session), ensure_ascii=False, indent=1)


def session_from_json(text: str) -> TreatmentSession:
    found = _typed(TreatmentSession, json.loads(text))
    assert isinstance(found, TreatmentSession)
    return found


@dataclass(frozen=True)
class Pending:
    """A draft kept here, and the file that keeps it."""

    session: TreatmentSession
    path: Path


class DraftRecovery:
    """The recovery files of one chart (a file path or a server URL without its password)."""

    def __init__(self, location: str, folder: Path | None = None) -> None:
        key = hashlib.sha256(location.encode("utf-8")).hexdigest()[:16]  # no server name or path in the folder's
        self.folder = (folder or paths.data_dir() / FOLDER) / key

    def _path(self, session: TreatmentSession) -> Path:
        name = f"draft-{session.id}.json" if session.id is not None else f"copy-of-{session.copied_from}.json"
        return self.folder / name

    def keep(self, session: TreatmentSession) -> Path:
        """Write ``session`` (as on screen) to its recovery file, owner-only, atomically."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if os.name == "posix":
            self.folder.chmod(0o700)
            self.folder.parent.chmod(0o700)
        target = self._path(session)
        handle, scratch = tempfile.mkstemp(dir=self.folder, prefix=".draft-", suffix=".tmp")  # 0600 from the start
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(session_to_json(session))
                out.flush()
                os.fsync(out.fileno())
            os.replace(scratch, target)
        except BaseException:
            Path(scratch).unlink(missing_ok=True)
            raise
        return target

    def clear(self, session: TreatmentSession) -> None:
        """The draft reached the chart: its recovery file goes (and the one it had as an unsaved copy)."""
        self._path(session).unlink(missing_ok=True)
        if session.copied_from is not None:
            self._path(dataclasses.replace(session, id=None)).unlink(missing_ok=True)

    def pending(self) -> list[Pending]:
        """The drafts kept here and not yet stored, oldest file first."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime):
            try:
                found.append(Pending(session_from_json(path.read_text(encoding="utf-8")), path))
            except (OSError, ValueError, KeyError, TypeError, StopIteration):
                continue  # unreadable (cut short, edited by hand): left where it is for a person to read
        return found

    def save_pending(self, sessions: SessionService) -> tuple[int, list[str]]:
        """Store every draft kept here (each at the version it was read at); returns how many were saved and,
        in words, why each other one was not (its file is then kept)."""
        saved, problems = 0, []
        for kept in self.pending():
            try:
                sessions.save_draft(kept.session)
            except NeedlelogError as exc:  # a conflict (saved elsewhere meanwhile), the chart still away
                problems.append(f"A draft kept on this PC ({kept.path.name}) was not saved: {exc}")
                continue
            kept.path.unlink(missing_ok=True)
            saved += 1
        return saved, problems
