"""The worker pool behind exports and seeding: it stops by itself, on a deadline, and never hangs."""

from __future__ import annotations

import multiprocessing
import os
import signal
from pathlib import Path

import pytest

from needlelog.services import workers
from needlelog.services.workers import InlinePool, WorkerError, WorkerPool
from tests.services import worker_tasks

pytestmark = pytest.mark.timeout(60)


def wait_for_file(path: Path, pool: WorkerPool) -> int:
    """The task has started (it wrote its pid); nothing finishes meanwhile."""
    while not (path.exists() and path.read_text()):
        assert pool.finished(0.02) == []
    return int(path.read_text())


def test_tasks_run_in_other_processes_and_the_pool_closes_cleanly(tmp_path: Path) -> None:
    with WorkerPool(2) as pool:
        tickets = {pool.submit(worker_tasks.write_pid, tmp_path / f"{i}.txt") for i in range(5)}
        results: dict[int, int] = {}
        while pool.pending:
            results.update((d.ticket, d.value) for d in pool.finished(1.0))
    assert set(results) == tickets
    assert os.getpid() not in results.values() and 1 <= len(set(results.values())) <= 2
    # Each stopped by itself; one that never got a task may still have been starting, and was stopped then.
    assert 0 in pool.exit_codes and set(pool.exit_codes) <= {0, -signal.SIGTERM}
    assert multiprocessing.active_children() == []


def test_cancel_is_cooperative_a_running_task_stops_by_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "STOP_SECONDS", 30.0)  # a terminate would only come after 30 s
    pool = WorkerPool(1)
    pool.submit(worker_tasks.until_stopped, tmp_path / "pid")
    wait_for_file(tmp_path / "pid", pool)
    pool.close(cancel=True)
    assert pool.exit_codes == [0]  # stopped between two steps, not terminated
    assert multiprocessing.active_children() == []


def test_a_worker_still_starting_is_stopped_at_once() -> None:
    pool = WorkerPool(1, prepare=worker_tasks.slow_start)
    pool.close(cancel=True)
    assert pool.exit_codes == [-signal.SIGTERM]
    assert multiprocessing.active_children() == []


def test_a_task_that_cannot_ask_is_terminated_at_the_deadline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "STOP_SECONDS", 0.2)
    pool = WorkerPool(1)
    pool.submit(worker_tasks.never_asks, tmp_path / "pid")
    wait_for_file(tmp_path / "pid", pool)
    pool.close(cancel=True)
    assert pool.exit_codes == [-signal.SIGTERM]
    assert multiprocessing.active_children() == []


def test_a_worker_killed_mid_task_is_an_error_in_words_never_a_wait(tmp_path: Path) -> None:
    with WorkerPool(1) as pool:
        pool.submit(worker_tasks.never_asks, tmp_path / "pid")
        os.kill(wait_for_file(tmp_path / "pid", pool), signal.SIGKILL)
        with pytest.raises(WorkerError, match="stopped unexpectedly") as died:
            while True:
                pool.finished(1.0)
        assert died.value.died
    assert multiprocessing.active_children() == []


def test_a_task_that_fails_says_why_and_a_full_disk_stays_an_oserror(tmp_path: Path) -> None:
    with WorkerPool(1) as pool:
        pool.submit(worker_tasks.fails)
        with pytest.raises(WorkerError, match="ValueError: a note the renderer could not lay out") as failed:
            while True:
                pool.finished(1.0)
        assert not failed.value.died
        pool.submit(worker_tasks.disk_full, tmp_path / "note.pdf")
        with pytest.raises(OSError, match="No space left") as full:
            while True:
                pool.finished(1.0)
        assert full.value.errno == 28 and full.value.filename == str(tmp_path / "note.pdf")


def test_results_are_files_a_large_reply_is_refused(tmp_path: Path) -> None:
    with WorkerPool(1) as pool:
        pool.submit(worker_tasks.huge_reply)
        with pytest.raises(WorkerError, match="results belong in files"):
            while True:
                pool.finished(1.0)


def test_the_inline_pool_runs_the_same_tasks_here(tmp_path: Path) -> None:
    pool = InlinePool(lambda: True)
    ticket = pool.submit(worker_tasks.until_stopped, tmp_path / "pid")
    assert pool.pending == 1
    [done] = pool.finished(0)
    assert done.ticket == ticket and done.value == 0 and pool.pending == 0
    assert int((tmp_path / "pid").read_text()) == os.getpid()
    pool.submit(worker_tasks.fails)
    with pytest.raises(ValueError, match="could not lay out"):
        pool.finished(0)
