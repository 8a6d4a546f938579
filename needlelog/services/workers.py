"""Worker processes that can always be stopped: the one mechanism behind exports and seeding.

Why not ``concurrent.futures.ProcessPoolExecutor``: its workers share one result pipe, read by a
manager thread that the interpreter joins at exit. A worker stopped while it sends a large
result leaves that thread waiting for bytes that never come, and the program never exits
(seen once in ten test runs). The pool here is built so that this cannot happen:

- **Results are files.** A task writes what it makes (PDF pages, rows) into files its caller
  named; the pipe back carries a few hundred bytes: "done", or an error in words.
- **One pipe each way per worker, no helper threads.** The parent closes its copy of each
  worker's writing end, so a worker that dies, even half-way through a message, is an end of
  file to the parent (an error in words), never a read that waits forever. Nothing is read from
  a worker after the pool is closed, and there is no thread for the interpreter to join.
- **Cancel is cooperative.** Every task gets ``stop``, a function that says whether the pool
  is closing; tasks ask it between notes and return early. ``stop`` is a zero-timeout poll of a
  stop pipe that every worker reads and the parent writes one byte into when it closes (its end
  of file says the same if the parent dies): no shared semaphore, no helper thread. Closing also
  sends each worker a sentinel after its tasks, joins them against one deadline, and
  only a worker still alive after it (stuck where it cannot ask) is terminated, then killed. A
  worker that has not yet said it is ready (still importing, which takes a second on a busy PC)
  holds nothing and cannot ask, so it is terminated at once.
- **Ctrl-C belongs to the parent.** Workers are started with SIGINT ignored (inherited, so not
  even their start-up prints a traceback); the parent's KeyboardInterrupt closes the pool.

``InlinePool`` has the same interface and runs each task at once in this process: for work too
small to be worth starting processes, and for one-core machines.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, NoReturn, Protocol

Stop = Callable[[], bool]
Task = Callable[..., Any]  # called as task(*args, stop=stop); returns something small and picklable

STOP_SECONDS = 1.5  # closing waits this long in all for the workers to stop by themselves
REPLY_LIMIT = 16_384  # bytes: a reply is a status, never a result
DEPTH = 2  # tasks a worker holds: the one it works on and the next
QUEUED_BYTES = 32_768  # a next task larger than this waits here, so a send never waits for a busy worker


class WorkerError(Exception):
    """A task failed in a worker (or the worker died): ``text`` says what, in one line."""

    def __init__(self, text: str, *, died: bool = False) -> None:
        super().__init__(text)
        self.died = died


@dataclass(frozen=True, slots=True)
class Done:
    """A finished task: the ticket ``submit`` gave and what the task returned."""

    ticket: int
    value: Any


class Pool(Protocol):
    @property
    def pending(self) -> int: ...

    def submit(self, task: Task, *args: Any) -> int: ...

    def finished(self, timeout: float) -> list[Done]: ...

    def close(self, *, cancel: bool) -> None: ...


class InlinePool:
    """Runs each task when it is submitted, here; ``stop`` is the caller's own cancel check."""

    def __init__(self, stop: Stop) -> None:
        self._stop = stop
        self._done: deque[Done] = deque()
        self._failed: BaseException | None = None
        self._next = 0

    @property
    def pending(self) -> int:
        return len(self._done) + (self._failed is not None)

    def submit(self, task: Task, *args: Any) -> int:
        ticket, self._next = self._next, self._next + 1
        if self._failed is None:
            try:
                self._done.append(Done(ticket, task(*args, stop=self._stop)))
            except Exception as exc:  # raised by finished(), in order, as a worker's would be
                self._failed = exc
        return ticket

    def finished(self, timeout: float) -> list[Done]:
        done, self._done = list(self._done), deque()
        if not done and self._failed is not None:
            failed, self._failed = self._failed, None
            raise failed
        return done

    def close(self, *, cancel: bool) -> None:
        self._done.clear()
        self._failed = None


@dataclass(slots=True)
class _Worker:
    process: Any  # multiprocessing.context.SpawnProcess
    tasks: Connection  # parent writes
    replies: Connection  # parent reads
    tickets: deque[int] = field(default_factory=deque)  # its tasks, the one it works on first
    ready: bool = False  # it said it finished starting: imports and ``prepare`` done


class WorkerPool:
    """``count`` worker processes started with "spawn" (the same on Linux, Windows and macOS, and no
    fork of a process that holds a database connection or Qt). ``prepare`` runs once in each.

    Each worker has at most :data:`DEPTH` tasks: the one it works on and the next, so it never
    waits for this process between two. A task goes into a busy worker's pipe only if it fits the
    pipe's buffer (:data:`QUEUED_BYTES`), so sending never waits for a busy worker; a larger one
    waits here until the worker is free.
    """

    def __init__(self, count: int, prepare: Callable[[], None] | None = None) -> None:
        context = multiprocessing.get_context("spawn")
        self._queue: deque[tuple[int, bytes]] = deque()
        self._workers: list[_Worker] = []
        self._next = 0
        self._closed = False
        self.exit_codes: list[int | None] = []  # once closed: 0 for a worker that stopped by itself
        stop_reader, self._stop = context.Pipe(duplex=False)
        if os.name == "posix":
            # multiprocessing's resource tracker unblocks SIGINT once it has started itself: started
            # inside _sigint_ignored(), it would let a Ctrl-C held there through to be ignored, and lost.
            from multiprocessing import resource_tracker

            resource_tracker.ensure_running()
        try:
            with _sigint_ignored():
                for _ in range(max(1, count)):
                    task_reader, task_writer = context.Pipe(duplex=False)
                    reply_reader, reply_writer = context.Pipe(duplex=False)
                    process = context.Process(
                        target=_serve,
                        args=(task_reader, reply_writer, stop_reader, prepare),
                        name="needlelog-worker",
                        daemon=True,  # never outlives this process, whatever happens
                    )
                    process.start()
                    # Only the worker holds these ends now: its death is an end of file here.
                    task_reader.close()
                    reply_writer.close()
                    self._workers.append(_Worker(process, task_writer, reply_reader))
        except BaseException:
            self.close(cancel=True)
            raise
        finally:
            stop_reader.close()

    @property
    def pending(self) -> int:
        """Tasks submitted whose result has not been collected."""
        return len(self._queue) + sum(len(w.tickets) for w in self._workers)

    def submit(self, task: Task, *args: Any) -> int:
        ticket, self._next = self._next, self._next + 1
        self._queue.append((ticket, pickle.dumps((task, args), protocol=pickle.HIGHEST_PROTOCOL)))
        self._dispatch()
        return ticket

    def finished(self, timeout: float) -> list[Done]:
        """The tasks that finished within ``timeout`` seconds (possibly none). A task that failed, or
        a worker that died, raises :class:`WorkerError` (or the task's ``OSError``, rebuilt)."""
        watched = {w.replies: w for w in self._workers if w.tickets or not w.ready}
        if not watched:
            return []
        done: list[Done] = []
        for reader in wait(list(watched), timeout):
            worker = watched[reader]  # type: ignore[index]
            status, value = self._reply(worker)
            if status == "ready":
                worker.ready = True
                continue
            ticket = worker.tickets.popleft()
            if status == "oserror":
                number, text, filename = value
                raise OSError(number, text, filename)
            if status == "error":
                raise WorkerError(value)
            done.append(Done(ticket, value))
        self._dispatch()
        return done

    @staticmethod
    def _reply(worker: _Worker) -> tuple[str, Any]:
        try:
            reply: tuple[str, Any] = worker.replies.recv()
        except (EOFError, OSError):
            raise WorkerError(
                f"worker process {worker.process.pid} stopped unexpectedly (exit code {worker.process.exitcode})",
                died=True,
            ) from None
        return reply

    def _dispatch(self) -> None:
        for depth in range(DEPTH):  # first every idle worker, then a next task for each busy one
            for worker in self._workers:
                if not self._queue:
                    return
                if len(worker.tickets) == depth and (depth == 0 or len(self._queue[0][1]) <= QUEUED_BYTES):
                    ticket, message = self._queue.popleft()
                    try:
                        worker.tasks.send_bytes(message)
                    except OSError:
                        text = f"worker process {worker.process.pid} stopped unexpectedly"
                        raise WorkerError(text, died=True) from None
                    worker.tickets.append(ticket)

    def close(self, *, cancel: bool) -> None:
        """Stop every worker: tasks still running are asked to stop at their next check (a caller
        closes without ``cancel`` only once every result is in, so none is). Waits at most about
        :data:`STOP_SECONDS`, and never leaves a process behind; a Ctrl-C meanwhile waits until it is done."""
        if self._closed:
            return
        with _sigint_deferred():
            self._close()

    def _close(self) -> None:
        self._closed = True
        self._queue.clear()
        with contextlib.suppress(OSError):
            self._stop.send_bytes(b"stop")  # every running task sees it at its next check
        for worker in self._workers:
            if not worker.ready and worker.replies.poll():  # "ready" (always its first message), unread
                with contextlib.suppress(WorkerError):
                    worker.ready = self._reply(worker)[0] == "ready"
            with contextlib.suppress(OSError):
                worker.tasks.send(None)  # after its tasks, which return at once: a few bytes, never blocks
            worker.tasks.close()
            if not worker.ready:  # still importing: it holds nothing, and cannot ask until it has started
                worker.process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for worker in self._workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
        for worker in self._workers:
            # Still alive past the deadline: stuck where it cannot ask. Nothing more is read from
            # its pipe, so stopping it mid-message cannot leave anyone waiting.
            for end in (worker.process.terminate, worker.process.kill):
                if worker.process.is_alive():
                    end()
                    worker.process.join(1.0)
            worker.replies.close()
            self.exit_codes.append(worker.process.exitcode)
            with contextlib.suppress(ValueError):  # still alive after kill: leave it to the OS
                worker.process.close()
        self._stop.close()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self.close(cancel=kind is not None)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Children inherit an ignored SIGINT through exec, so Ctrl-C in a terminal reaches only the
    parent. (Only the main thread may change a signal; the window's export thread has no terminal.)
    A Ctrl-C pressed meanwhile is held, not lost: it reaches the parent once the workers are started."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    with _sigint_deferred():
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """SIGINT held (blocked) in the main thread while the pool starts or stops its workers, so a
    Ctrl-C can never cut that work in half (a worker started but not recorded, or left unjoined);
    the held Ctrl-C is delivered, as a KeyboardInterrupt, right after."""
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    mask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        mask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _serve(
    tasks: Connection, replies: Connection, stopping: Connection, prepare: Callable[[], None] | None
) -> None:  # pragma: no cover - runs in the worker process
    """A worker's life: take a task, run it, reply in a few bytes; until the sentinel or end of file."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if prepare is not None:
        prepare()
    replies.send(("ready", None))

    def stop() -> bool:  # the parent's stop byte, or its end of file
        return stopping.poll()

    while True:
        try:
            message = tasks.recv()
        except (EOFError, OSError):
            message = None
        if message is None:
            _leave()
        task, args = message
        try:
            reply: tuple[str, Any] = ("done", task(*args, stop=stop))
        except OSError as exc:
            reply = ("oserror", (exc.errno, exc.strerror or str(exc), exc.filename and os.fspath(exc.filename)))
        except Exception as exc:
            reply = ("error", " ".join(f"{type(exc).__name__}: {exc}".split())[:1000])
        data = pickle.dumps(reply)
        if len(data) > REPLY_LIMIT:  # a result goes into a file; the pipe carries only a status
            data = pickle.dumps(("error", f"a task replied with {len(data)} bytes; results belong in files"))
        try:
            replies.send_bytes(data)
        except (OSError, ValueError):  # the parent has gone
            _leave()


def _leave() -> NoReturn:  # pragma: no cover - runs in the worker process
    """End the worker now. Its files are written and fsynced and its replies sent; tearing down an
    interpreter full of fonts and modules would only keep the parent's close waiting (half a second)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
