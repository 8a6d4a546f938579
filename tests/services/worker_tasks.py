"""Tasks for the worker-pool tests. They live in a module of their own because a "spawn" worker
imports a task by its name; nothing here is a test."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path


def write_pid(path: Path, *, stop: Callable[[], bool]) -> int:
    path.write_text(str(os.getpid()))
    return os.getpid()


def until_stopped(path: Path, *, stop: Callable[[], bool]) -> int:
    """Works in small steps and asks between them, as a renderer does between notes."""
    path.write_text(str(os.getpid()))
    steps = 0
    while not stop():
        time.sleep(0.01)
        steps += 1
    return steps


def never_asks(path: Path, *, stop: Callable[[], bool]) -> None:
    """Stuck where it cannot ask (a C library that never returns)."""
    path.write_text(str(os.getpid()))
    time.sleep(3600)


def disk_full(path: Path, *, stop: Callable[[], bool]) -> None:
    raise OSError(28, "No space left on device", str(path))


def fails(*, stop: Callable[[], bool]) -> None:
    raise ValueError("a note the renderer could not lay out")


def huge_reply(*, stop: Callable[[], bool]) -> bytes:
    return b"x" * 1_000_000


def slow_start() -> None:
    """A worker's start-up that takes long (imports and fonts on a busy PC)."""
    time.sleep(3600)
