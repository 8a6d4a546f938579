"""SQLite's page check of a chart file, started in a thread of its own at the program's start (issue 14).

The damaged-chart check before anyone signs in (:mod:`needlelog.db.health`) reads every page of the
file: about 0.8 s of CPU for 500,000 sessions. SQLite lets go of Python's lock while it reads, so the
check runs on the other core while Qt loads and the sign-in window draws; the health check takes its
answer instead of reading the pages again, when the file is still the one checked, unchanged.

Standard library only, and nothing else of the program: importing this costs the sign-in window nothing. An
encrypted chart (issue 13) is read through SQLCipher with its file key (``key``), loaded only then; SQLCipher
too lets go of Python's lock while it reads and decrypts.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

# Above this size start-up runs SQLite's quick_check rather than the full integrity_check (health.py says why).
QUICK_CHECK_ABOVE = 16 * 1024 * 1024


# Above this size the program's start reads only the header and the last page before the main window, and the
# whole file's page check once the window is up (issue 14); a smaller chart is checked whole first (milliseconds).
DEFER_ABOVE = QUICK_CHECK_ABOVE


def deferred(size: int) -> bool:
    """Whether the program's start leaves the page check of a file of ``size`` bytes until the window is up."""
    return size > DEFER_ABOVE


def page_check_pragma(size: int, *, thorough: bool = False) -> str:
    """The check start-up runs on a file of ``size`` bytes (``thorough``: always the full one)."""
    return "quick_check" if size > QUICK_CHECK_ABOVE and not thorough else "integrity_check"


def _connect(path: Path, key: bytes | None) -> Any:
    """A read-only connection on ``path``: the standard library's for a plain file, SQLCipher's with ``key``."""
    if key is None:
        return sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=10)
    from needlelog.db.cipher import raw_connect

    return raw_connect(path, key, readonly=True)


def _errors(key: bytes | None) -> tuple[type[Exception], ...]:
    if key is None:
        return (sqlite3.Error,)
    from needlelog.db.cipher import database_errors

    return database_errors()


def _identity(path: Path) -> tuple[int, ...] | None:
    """What says the file, and its write-ahead log, are unchanged."""
    try:
        chart = os.stat(path)
    except OSError:
        return None
    wal: tuple[int, ...] = ()
    try:
        log = os.stat(f"{path}-wal")
        if log.st_size > 0:  # reading a write-ahead-logged file may leave an empty log beside it
            wal = (log.st_ino, log.st_size, log.st_mtime_ns)
    except OSError:
        pass
    return (chart.st_dev, chart.st_ino, chart.st_size, chart.st_mtime_ns, *wal)


class EarlyPageCheck:
    """The page check of ``path`` running in a daemon thread; :meth:`rows` waits for its answer."""

    def __init__(self, path: Path, key: bytes | None = None) -> None:
        self.path = Path(path).absolute()
        self.key = key
        self._before = _identity(self.path)
        self._pragma = page_check_pragma(self._before[2]) if self._before else ""
        self._rows: list[str] | None = None
        self._thread: threading.Thread | None = None
        if self._before is not None and self._before[2] > 0 and not Path(f"{self.path}-journal").exists():
            self._thread = threading.Thread(target=self._run, name="needlelog-page-check", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        unreadable: tuple[type[Exception], ...] = (*_errors(self.key), UnicodeDecodeError, OSError, ImportError)
        try:
            conn = _connect(self.path, self.key)
            try:
                rows = [str(row[0]) for row in conn.execute(f"PRAGMA {self._pragma}(20)")]
            finally:
                conn.close()
        except unreadable:
            return  # the health check reads the file itself and says what is wrong, in words
        if _identity(self.path) == self._before:
            self._rows = rows

    def rows(self, path: Path, pragma: str) -> list[str] | None:
        """The check's rows when it checked ``path`` with ``pragma`` and the file has not changed since;
        None when the caller must check the pages itself."""
        if self._thread is None:
            return None
        self._thread.join()
        try:
            same = os.path.samefile(path, self.path)
        except OSError:
            return None
        if not same or pragma != self._pragma or _identity(self.path) != self._before:
            return None
        return self._rows


def page_problem_words(pragma: str, rows: list[str]) -> list[str]:
    """SQLite's page check rows, in the words the damaged-chart box shows; empty when the answer is "ok"."""
    if rows == ["ok"]:
        return []
    return [f"the file is damaged: {pragma.replace('_', ' ')}: {row}" for row in rows]


def header_problems(path: Path) -> list[str]:
    """What start-up checks of the pages before the main window (issue 14): the header (SQLite's own first
    page is read with the schema after this) and that the file holds every page its header counts, its last
    page read. The whole file's page check follows in :class:`PageCheck`, once the main window is up."""
    with path.open("rb") as handle:
        head = handle.read(100)
        size = os.fstat(handle.fileno()).st_size
        if len(head) < 100:
            return [f"the file is damaged: its header is cut short ({len(head)} bytes of 100)"]
        page_size = int.from_bytes(head[16:18], "big")
        page_size = 65536 if page_size == 1 else page_size
        if page_size < 512 or page_size & (page_size - 1):
            return [f"the file is damaged: its header names a page size of {page_size} bytes"]
        pages = int.from_bytes(head[28:32], "big")
        counted = head[24:28] == head[92:96]  # SQLite's rule for when the header's page count holds
        try:
            logged = os.stat(f"{path}-wal").st_size > 0
        except OSError:
            logged = False
        # Pages still in the write-ahead log are checkpointed into the file later: its size may lag until then.
        if counted and pages and not logged and size < pages * page_size:
            return [f"the file is damaged: it is cut short ({size} bytes where its header counts {pages} pages)"]
        handle.seek(max(0, size - page_size))
        handle.read(page_size)  # a page the disk cannot read raises OSError, said by the caller
    return []


class PageCheck:
    """The whole file's page check in a daemon thread, once the main window is up; ``found(problems)`` is
    called from that thread when it finds damage (never when the file is sound or cannot be read now: a
    chart held by another program is not damaged)."""

    def __init__(self, path: Path, found: Callable[[list[str]], None], key: bytes | None = None) -> None:
        self.path = Path(path).absolute()
        self.found = found
        self.key = key
        self.problems: list[str] | None = None
        self._thread = threading.Thread(target=self._run, name="needlelog-page-check", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            pragma = page_check_pragma(self.path.stat().st_size)
            conn = _connect(self.path, self.key)
            try:
                rows = [str(row[0]) for row in conn.execute(f"PRAGMA {pragma}(20)")]
            finally:
                conn.close()
        except _errors(self.key) as exc:
            if getattr(exc, "sqlite_errorname", "").startswith(("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN")):
                return
            self.problems = [f"the file is damaged: SQLite cannot read it ({' '.join(str(exc).split())})"]
        except (UnicodeDecodeError, OSError):
            return
        else:
            self.problems = page_problem_words(pragma, rows)
        if self.problems:
            self.found(self.problems)

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)
