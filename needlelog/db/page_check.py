"""SQLite's page check of a chart file, started in a thread of its own at the program's start (issue 14).

The damaged-chart check before anyone signs in (:mod:`needlelog.db.health`) reads every page of the
file: about 0.8 s of CPU for 500,000 sessions. SQLite lets go of Python's lock while it reads, so the
check runs on the other core while Qt loads and the sign-in window draws; the health check takes its
answer instead of reading the pages again, when the file is still the one checked, unchanged.

Standard library only, and nothing else of the program: importing this costs the sign-in window nothing.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from urllib.parse import quote

# Above this size start-up runs SQLite's quick_check rather than the full integrity_check (health.py says why).
QUICK_CHECK_ABOVE = 16 * 1024 * 1024


def page_check_pragma(size: int, *, thorough: bool = False) -> str:
    """The check start-up runs on a file of ``size`` bytes (``thorough``: always the full one)."""
    return "quick_check" if size > QUICK_CHECK_ABOVE and not thorough else "integrity_check"


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

    def __init__(self, path: Path) -> None:
        self.path = Path(path).absolute()
        self._before = _identity(self.path)
        self._pragma = page_check_pragma(self._before[2]) if self._before else ""
        self._rows: list[str] | None = None
        self._thread: threading.Thread | None = None
        if self._before is not None and self._before[2] > 0 and not Path(f"{self.path}-journal").exists():
            self._thread = threading.Thread(target=self._run, name="needlelog-page-check", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(f"file:{quote(str(self.path))}?mode=ro", uri=True, timeout=10)
            try:
                rows = [str(row[0]) for row in conn.execute(f"PRAGMA {self._pragma}(20)")]
            finally:
                conn.close()
        except (sqlite3.Error, UnicodeDecodeError, OSError):
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
