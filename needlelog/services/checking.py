"""`needlelog check`'s longest pass, every signed note's fingerprint, spread over the PC's cores (issue 13).

A clinic's IT runs `check` from a scheduled job on a chart of half a million notes: it took 15 minutes. The
notes are now read as plain rows (:mod:`needlelog.db.fingerprints`), and a large chart's id range is cut into
parts of :data:`~needlelog.db.fingerprints.SPAN` ids, each checked by a worker process on its own read-only
connection (:mod:`needlelog.services.workers`: spawned, stoppable); a small chart, or a one-core PC, is checked
here in the same parts. Each part sends back a count and the first ids that did not verify; the notes named
are read again here as printed, so the words are the same as before. Progress is told after each part.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from needlelog.db import cipher, fingerprints
from needlelog.domain.errors import StorageError
from needlelog.services.workers import InlinePool, Pool, Stop, WorkerError, WorkerPool

PARALLEL_FROM = 20_000  # signed notes; fewer are checked in this process (a worker costs a second to start)
Progress = Callable[[int, int], None]  # signed notes read, of how many


def scan_part(
    path: str, key: bytes | None, first: int, last: int, kept: int, *, stop: Stop
) -> tuple[int, int, list[int]]:
    """A worker's task: the signed notes with ids ``first``-``last`` (:func:`needlelog.db.fingerprints.scan`), on
    the chart opened read-only (through SQLCipher with ``key``, an encrypted chart's file key, handed over the
    worker's own pipe)."""
    engine = cipher.chart_engine(Path(path), key, read_only=True)
    try:
        with engine.connect() as conn:
            return fingerprints.scan(conn, first, last, kept)
    finally:
        engine.dispose()


def _pool(total: int, workers: int | None) -> tuple[Pool, int]:
    cores = workers if workers is not None else (os.cpu_count() or 1)
    if total < PARALLEL_FROM or cores < 2:
        return InlinePool(lambda: False), 1
    return WorkerPool(cores), cores


def fingerprint_problems(
    path: Path, key: bytes | None = None, progress: Progress | None = None, workers: int | None = None
) -> list[str]:
    """Every signed note's fingerprint recomputed, on the SQLite file ``path`` opened read-only (``key``: an
    encrypted chart's file key); the notes that no longer match, in words (those of
    :func:`needlelog.db.fingerprints.fingerprint_problems`)."""
    engine = cipher.chart_engine(path, key, read_only=True)
    try:
        with Session(engine) as db, db.begin():
            span = fingerprints.signed_span(db.connection())
            if span is None:
                return []
            first, last, total = span
            wrong, found = _scan((str(path), key), first, last, total, progress, workers)
            suspects = [ident for part in found for ident in part][: fingerprints.KEPT]
            return fingerprints.problems_of(db, suspects, wrong)
    finally:
        engine.dispose()


def _scan(
    chart: tuple[str, bytes | None], first: int, last: int, total: int, progress: Progress | None, workers: int | None
) -> tuple[int, list[list[int]]]:
    """Every part checked, at most two a core in flight; how many did not verify, and each part's first ids."""
    parts = deque(
        (start, min(start + fingerprints.SPAN - 1, last)) for start in range(first, last + 1, fingerprints.SPAN)
    )
    found: dict[int, list[int]] = {}
    read = wrong = 0
    pool, cores = _pool(total, workers)
    try:
        while parts or pool.pending:
            while parts and pool.pending < 2 * cores:
                pool.submit(scan_part, *chart, *parts.popleft(), fingerprints.KEPT)
            for done in pool.finished(0.5):
                got, bad, ids = done.value
                read, wrong, found[done.ticket] = read + got, wrong + bad, ids
                if progress is not None:
                    progress(read, total)
    except WorkerError as exc:
        pool.close(cancel=True)
        raise StorageError(f"The signed notes could not be read to check their fingerprints ({exc}).") from exc
    except BaseException:
        pool.close(cancel=True)
        raise
    pool.close(cancel=False)
    return wrong, [found[ticket] for ticket in sorted(found)]
