"""Progress of a long command on standard error, for a person at a terminal or a scheduled job's log.

Silent for the first seconds (a small chart's `check` says nothing but its answer); then one line when the
command moves to another stage, and one every few seconds within a stage, also while SQLite works in one
long call (its integrity check) and nothing in Python can say how far it is: a watcher thread repeats the
last words with the time taken. Lines start "needlelog COMMAND:" and end with the seconds so far.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

QUIET_SECONDS = 3.0  # nothing is said before this
EVERY_SECONDS = 5.0  # within one stage, at most a line this often, and at least one while it works


class Progress:
    """A callable told what the command does now, in words (``"fingerprints: 1,000 of 9,000 signed notes"``:
    the words before the first colon name the stage)."""

    def __init__(self, command: str, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._command = command
        self._stream = stream if stream is not None else sys.stderr
        self._clock = clock
        self._started = clock()
        self._words = ""
        self._stage = ""  # the stage last told
        self._told_at = self._started
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._watcher: threading.Thread | None = None

    def __call__(self, words: str) -> None:
        with self._lock:
            self._words = words
            stage = words.split(":", 1)[0]
            now = self._clock()
            if now - self._started < QUIET_SECONDS:
                return
            if stage != self._stage or now - self._told_at >= EVERY_SECONDS:
                self._stage = stage
                self._tell(now)

    def _tell(self, now: float) -> None:
        self._told_at = now
        try:
            print(f"needlelog {self._command}: {self._words} ({now - self._started:.0f} s)", file=self._stream)
            self._stream.flush()
        except (OSError, ValueError):  # a closed log: the command goes on, and its answer says the rest
            pass

    def watch(self) -> Progress:
        """Start the thread that speaks while a stage is silent; :meth:`close` stops it."""
        self._watcher = threading.Thread(target=self._watch, name="needlelog-progress", daemon=True)
        self._watcher.start()
        return self

    def _watch(self) -> None:
        while not self._done.wait(1.0):
            with self._lock:
                now = self._clock()
                if self._words and now - self._started >= QUIET_SECONDS and now - self._told_at >= EVERY_SECONDS:
                    self._tell(now)

    def close(self) -> None:
        self._done.set()
        if self._watcher is not None:
            self._watcher.join()

    def __enter__(self) -> Progress:
        return self.watch()

    def __exit__(self, *_: object) -> None:
        self.close()
