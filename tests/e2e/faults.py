"""Faults of the machine, made for real in a test's own folder: a small full disk, a read-only file,
folder or mount, an immutable file. Mounting needs root (as in the containers CI runs in); each
helper says plainly why it skips when it cannot make its fault."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=30)


def _unmount(point: Path) -> None:
    result = _run("umount", str(point))
    if result.returncode != 0:  # something still open in it: detach it, the kernel frees it when closed
        _run("umount", "-l", str(point))


@contextmanager
def small_disk(folder: Path, size: str = "512k") -> Iterator[Path]:
    """``folder`` as a disk of ``size`` (tmpfs): what a full disk is, without filling the real one."""
    if not is_root() or shutil.which("mount") is None:
        pytest.skip("a small size-limited disk is mounted with tmpfs, which needs root")
    folder.mkdir(parents=True, exist_ok=True)
    mounted = _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        _unmount(folder)


def fill(folder: Path, leave: int = 0) -> None:
    """Fill the disk holding ``folder`` until at most ``leave`` bytes are free."""
    with (folder / "filler").open("wb") as file:
        try:
            while True:
                free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
                if free <= leave:
                    break
                file.write(b"\0" * min(65536, max(1, free - leave)))
                file.flush()
        except OSError:
            pass  # full: what was asked


@contextmanager
def read_only(path: Path) -> Iterator[Path]:
    """``path`` (a file or a folder) that this user may not write: by its mode for an ordinary user;
    as a read-only bind mount for root, whom a file's mode does not stop."""
    if not is_root():
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield path
        finally:
            path.chmod(mode)
        return
    bound = _run("mount", "--bind", str(path), str(path))
    if bound.returncode != 0:
        pytest.skip(f"root ignores a file's mode, and a read-only bind mount failed: {bound.stderr.strip()}")
    try:
        remounted = _run("mount", "-o", "remount,ro,bind", str(path))
        if remounted.returncode != 0:
            pytest.skip(f"cannot remount read-only: {remounted.stderr.strip()}")
        yield path
    finally:
        _unmount(path)


@contextmanager
def read_only_disk(folder: Path) -> Iterator[Path]:
    """``folder`` as an empty read-only disk (root), or a folder nobody may write into (others)."""
    folder.mkdir(parents=True, exist_ok=True)
    if not is_root():
        with read_only(folder):
            yield folder
        return
    mounted = _run("mount", "-t", "tmpfs", "-o", "size=64k,ro", "tmpfs", str(folder))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        _unmount(folder)


@contextmanager
def immutable(path: Path) -> Iterator[Path]:
    """``path`` with the immutable attribute (``chattr +i``): not even root may change it."""
    if not is_root() or shutil.which("chattr") is None:
        pytest.skip("chattr +i needs root and e2fsprogs")
    made = _run("chattr", "+i", str(path))
    if made.returncode != 0:
        pytest.skip(f"this file system has no immutable attribute: {made.stderr.strip()}")
    try:
        yield path
    finally:
        _run("chattr", "-i", str(path))
