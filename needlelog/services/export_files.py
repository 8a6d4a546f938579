"""The export's files on disk: each written atomically, so a cancel, a full disk or a crash leaves
only complete files (see ``services/exporting.py``).

A file is written and fsynced under a temporary name beside its own and renamed over it once
whole; the renderers write into a hidden scratch folder beside each output, removed at the end.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO

from needlelog.domain.errors import StorageError

DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


def _storage_error(path: Path, exc: OSError) -> StorageError:
    if exc.errno in DISK_FULL:
        return StorageError(
            f"The disk is full: {path.name} could not be written in {path.parent}. "
            "The files already written are complete; free some space and export again."
        )
    if exc.errno == errno.EFBIG:
        return StorageError(
            f"{path.name} is larger than this system lets a file grow, so it was not written in {path.parent}. "
            "The files already written are complete."
        )
    return StorageError(f"Cannot write {path}: {exc.strerror or exc}.")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class _AtomicFile:
    """A temporary file beside ``path`` that becomes ``path``, durably, at :meth:`commit`.

    :meth:`discard` (on any error: a full disk, a cancel) removes it and leaves ``path`` as it
    was. It is created readable by its owner only, since it holds health information.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.fd, self._temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        except OSError as exc:
            raise _storage_error(path, exc) from None

    def commit(self) -> None:
        try:
            os.fsync(self.fd)
            os.close(self.fd)
            self.fd = -1
            os.replace(self._temp, self.path)
        except OSError as exc:
            self.discard()
            raise _storage_error(self.path, exc) from None

    def discard(self) -> None:
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1
        with contextlib.suppress(OSError):
            os.unlink(self._temp)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` as ``path``: afterwards ``path`` is complete, or as it was before."""
    file = _AtomicFile(path)
    try:
        _write_all(file.fd, data)
    except BaseException as exc:
        file.discard()
        if isinstance(exc, OSError):
            raise _storage_error(path, exc) from None
        raise
    file.commit()


class _AtomicText:
    """A text file written row by row and published whole at :meth:`commit`."""

    def __init__(self, path: Path, encoding: str) -> None:
        self.path = path
        self._file = _AtomicFile(path)
        self.stream: IO[str] = open(  # noqa: SIM115 (closed by commit or discard)
            self._file.fd, "w", encoding=encoding, newline="", closefd=False
        )

    def commit(self) -> None:
        try:
            self.stream.close()
        except OSError as exc:
            self._file.discard()
            raise _storage_error(self.path, exc) from None
        self._file.commit()

    def discard(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.stream.close()
        self._file.discard()


def _sync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable (POSIX; Windows has no folder handle to sync)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class _Scratch:
    """Hidden folders, one beside each output, where the renderers write; a finished file is renamed
    out of it (same folder, so the rename is atomic) and the rest goes with the folder at the end."""

    def __init__(self) -> None:
        self._folders: dict[Path, Path] = {}
        self._final: dict[str, Path] = {}

    def path(self, final: Path) -> Path:
        """Where the renderer writes the file that becomes ``final``."""
        folder = final.parent
        if folder not in self._folders:
            try:
                self._folders[folder] = Path(tempfile.mkdtemp(prefix=".needlelog-export-", dir=folder))
            except OSError as exc:
                raise _storage_error(final, exc) from None
        temp = self._folders[folder] / f"{len(self._final) + 1}.pdf"
        self._final[os.fspath(temp)] = final
        return temp

    def final(self, temp: str | None, default: Path) -> Path:
        """The file a scratch file was to become (for a message in words)."""
        return self._final.get(temp or "", default)

    def publish(self, temp: Path, path: Path) -> None:
        try:
            os.replace(temp, path)
        except OSError as exc:
            raise _storage_error(path, exc) from None

    def remove(self) -> None:
        for folder in self._folders.values():
            shutil.rmtree(folder, ignore_errors=True)
