"""Progress of a long command on standard error, for a person at a terminal or a scheduled job's log.

Silent for the first seconds (a small chart's `check` says nothing but its answer); then one line when the
command moves to another stage, and one every few seconds within a stage. Lines start "needlelog COMMAND:" and
end with the seconds so far. Only work done is told: nothing is said while the command waits (for a chart locked
by another program, say), so a refusal after a wait is still its one line.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

QUIET_SECONDS = 3.0  # nothing is said before this
EVERY_SECONDS = 5.0  # within one stage, at most a line this often


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

    def __call__(self, words: str) -> None:
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
