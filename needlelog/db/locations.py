"""Where a SQLite chart may not live: a network share, a network or FUSE mount, a cloud-sync folder.

SQLite's locking is unreliable on network file systems and sync clients copy a file while it is written
(SQLite's own documentation: "How To Corrupt An SQLite Database File"); one clinic's chart shared that way
is one corrupt file away from losing ten years of records. PostgreSQL mode is how PCs share a chart.

The path is resolved first (symbolic links, ``..``), so a link on the desktop into a Dropbox folder or an
NFS mount is refused like the folder itself. What is recognised:

- sync clients' folder names on Windows, macOS and Linux: Dropbox (and "Dropbox (Personal)", "Dropbox (Team)"),
  OneDrive (and "OneDrive - Contoso Physio"), Google Drive ("My Drive"), iCloud Drive (macOS
  ``Library/Mobile Documents``), every provider under macOS ``Library/CloudStorage``, Box, Nextcloud, ownCloud,
  Synology Drive, pCloud, MEGA, Seafile, Tresorit, Sync.com, Yandex.Disk;
- Windows UNC paths (``\\\\server\\share``) and mapped network drives (the drive type Windows reports), after
  following links and junctions (``\\\\?\\`` prefixes read as the path they name);
- macOS network volumes (smbfs, afpfs, nfs, webdav under ``/Volumes``, from ``mount``);
- Linux network file systems and FUSE mounts (``/proc/self/mounts``; ``fuseblk``, a local disk's NTFS, is
  local).

Every probe of the system is a parameter, so each branch is tested on any machine.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path, PurePath, PureWindowsPath

NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "9p",
        "afs",
        "ceph",
        "glusterfs",
        "davfs",
        "lustre",
        "afpfs",
        "webdav",
    }
)
LOCAL_FUSE = frozenset({"fuseblk"})  # ntfs-3g and exFAT on a local disk
# Folder names the sync clients make, compared without case; and names they begin with.
SYNC_NAMES = frozenset(
    {
        "dropbox",
        "onedrive",
        "google drive",
        "googledrive",
        "my drive",
        "icloud drive",
        "icloud",
        "box",
        "box sync",
        "nextcloud",
        "owncloud",
        "synologydrive",
        "synology drive",
        "pcloud",
        "pcloud drive",
        "mega",
        "megasync",
        "seafile",
        "tresorit",
        "sync",
        "yandex.disk",
    }
)
# Names ordinary folders also have ("/srv/box"): counted only directly in a home folder, as the clients make them.
GENERIC_NAMES = frozenset({"box", "sync", "mega", "icloud"})
HOMES = frozenset({"home", "users"})  # /home/ana, /Users/ana, C:\\Users\\ana
SYNC_PREFIXES = ("onedrive - ", "dropbox (", "google drive (", "box-box", "nextcloud-", "seadrive", "tresorit ")
# macOS: every File Provider sync client (OneDrive, Dropbox, Google Drive, Box…) and iCloud Drive.
MACOS_SYNC = (("library", "cloudstorage"), ("library", "mobile documents"))
DRIVE_REMOTE = 4  # GetDriveTypeW: a mapped network drive
MOUNT_LINE = re.compile(r"^(?P<source>.+?) on (?P<point>/.*?) \((?P<type>[^,)]+)")


def sync_folder(path: PurePath) -> str | None:
    """The cloud-sync folder ``path`` lies in (its name as shown), or None."""
    parts = path.parts[:-1]
    lowered = [part.lower() for part in parts]
    for i in range(len(lowered) - 1):
        if (lowered[i], lowered[i + 1]) in MACOS_SYNC:
            return "/".join(parts[i : i + 3])
    for i, (part, low) in enumerate(zip(parts, lowered, strict=True)):
        if low in GENERIC_NAMES and not (i >= 2 and lowered[i - 2] in HOMES):
            continue  # "Box" or "Sync" is a sync client's folder only where the client puts it: in a home folder
        if low in SYNC_NAMES or low.startswith(SYNC_PREFIXES):
            return part
    return None


def linux_mount_type(path: Path, mounts: Iterable[str] | None = None) -> str | None:
    """The file-system type of the mount holding ``path`` (``/proc/self/mounts``), or None."""
    if mounts is None:
        try:
            mounts = Path("/proc/self/mounts").read_text().splitlines()
        except OSError:
            return None
    best, best_type = "", None
    target = str(path)
    for line in mounts:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        if (target == point or target.startswith(point.rstrip("/") + "/")) and len(point) >= len(best):
            best, best_type = point, fields[2]
    return best_type


def macos_mount_type(path: Path, mount_output: str | None = None) -> str | None:
    """The file-system type of the mount holding ``path``, from macOS ``mount`` output, or None."""
    if mount_output is None:
        try:
            mount_output = subprocess.run(["mount"], capture_output=True, text=True, timeout=5, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            return None
    lines = []
    for line in mount_output.splitlines():
        found = MOUNT_LINE.match(line)
        if found:
            lines.append(f"{found['source']} {found['point'].replace(' ', chr(92) + '040')} {found['type']}")
    return linux_mount_type(path, lines)


def windows_drive_type(path: PureWindowsPath) -> int | None:
    """What Windows says of the drive ``path`` is on (4: a network drive), or None elsewhere."""
    running_on: str = sys.platform  # a str, not the literal mypy narrows to on this machine
    if running_on != "win32" or not path.drive:
        return None
    import ctypes

    return int(ctypes.windll.kernel32.GetDriveTypeW(path.drive + "\\"))  # type: ignore[attr-defined,unused-ignore]


def shared_location(
    path: Path,
    *,
    platform: str = sys.platform,
    mounts: Iterable[str] | None = None,
    mount_output: str | None = None,
    drive_type: Callable[[PureWindowsPath], int | None] = windows_drive_type,
    resolve: Callable[[Path], Path] | None = None,
) -> str | None:
    """Why ``path`` cannot hold a SQLite chart (in words, without the advice), or None for a local disk."""
    text = os.fspath(path)
    if platform == "win32":
        return _windows_location(path, drive_type, resolve or _resolved_on_windows)
    if text.startswith(("\\\\", "//")):
        return "is on a network share"
    real = (resolve or _resolved)(path)
    shown = "" if real == path else f" (it leads to {real})"
    fs_type = macos_mount_type(real, mount_output) if platform == "darwin" else linux_mount_type(real, mounts)
    if fs_type in NETWORK_FILESYSTEMS:
        return f"is on a network file system ({fs_type}){shown}"
    if fs_type is not None and (fs_type == "fuse" or fs_type.startswith("fuse.")) and fs_type not in LOCAL_FUSE:
        return f"is on a FUSE mount ({fs_type}), which may be a network or sync drive{shown}"
    folder = sync_folder(real) or sync_folder(path)
    return None if folder is None else f"is in a cloud-sync folder ({folder}){shown}"


def plain_windows_path(text: str) -> PureWindowsPath:
    """A Windows path without its extended-length prefix, as a person reads it: ``\\\\?\\C:\\x`` is ``C:\\x`` and
    ``\\\\?\\UNC\\server\\share`` is ``\\\\server\\share`` (what resolving a link or junction may return)."""
    for prefix, instead in (("\\\\?\\UNC\\", "\\\\"), ("\\\\.\\UNC\\", "\\\\"), ("\\\\?\\", ""), ("\\\\.\\", "")):
        if text[: len(prefix)].upper() == prefix.upper():
            return PureWindowsPath(instead + text[len(prefix) :])
    return PureWindowsPath(text)


def _windows_location(
    path: Path, drive_type: Callable[[PureWindowsPath], int | None], resolve: Callable[[Path], Path]
) -> str | None:
    """The Windows branch: judged on the path the links and junctions lead to (a junction on the desktop into a
    OneDrive folder, a link onto a share or a mapped drive), and on the path as typed."""
    typed = plain_windows_path(os.fspath(path))
    real = plain_windows_path(os.fspath(resolve(path)))
    shown = "" if str(real).lower() == str(typed).lower() else f" (it leads to {real})"
    for where in (real, typed):
        if str(where).startswith(("\\\\", "//")):
            return f"is on a network share{shown}"
        if where.drive and drive_type(where) == DRIVE_REMOTE:
            return f"is on a mapped network drive ({where.drive}){shown}"
    folder = sync_folder(real) or sync_folder(typed)
    return None if folder is None else f"is in a cloud-sync folder ({folder}){shown}"


def _resolved_on_windows(path: Path) -> Path:
    """Links and junctions followed (``Path.resolve`` does both on Windows, Python 3.10 on); elsewhere (a test of
    this branch on another system) the path as typed."""
    running_on: str = sys.platform
    return _resolved(path) if running_on == "win32" else path


def _resolved(path: Path) -> Path:
    try:
        return path.expanduser().resolve()
    except (OSError, RuntimeError):  # a loop of links: judged by what was typed
        return path
