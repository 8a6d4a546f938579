"""Where a SQLite chart may not live (issue 13, item 5): every sync client's folder names, symbolic links into
them or onto a network mount, Windows UNC paths and mapped drives, macOS network volumes, Linux network and FUSE
mounts; each refused in words that point to PostgreSQL mode, on the real command line too."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path, PureWindowsPath

import pytest

from needlelog.db.engine import refuse_shared_location
from needlelog.db.locations import DRIVE_REMOTE, plain_windows_path, shared_location
from needlelog.domain.errors import StorageError

SYNC_FOLDERS = [
    "OneDrive - Contoso Physio",
    "OneDrive",
    "Dropbox (Personal)",
    "Dropbox",
    "Google Drive",
    "My Drive",
    "Box",
    "Nextcloud",
    "ownCloud",
    "SynologyDrive",
    "pCloud Drive",
    "MEGA",
    "Seafile",
    "Tresorit",
    "Sync",
    "iCloud Drive",
]
LINUX_MOUNTS = [
    "/dev/sda1 / ext4 rw 0 0",
    "server:/export /srv/clinic nfs4 rw 0 0",
    "sshfs#ana@nas: /mnt/nas fuse.sshfs rw 0 0",
    "gvfsd-fuse /run/user/1000/gvfs fuse.gvfsd-fuse rw 0 0",
    "/dev/sdb1 /media/usb fuseblk rw 0 0",
]
MACOS_MOUNT = """/dev/disk3s1s1 on / (apfs, sealed, local, read-only, journaled)
//ana@nas._smb._tcp.local/Clinic on /Volumes/Clinic (smbfs, nodev, nosuid, mounted by ana)
afp_2WdB3y@server on /Volumes/Old Share (afpfs, nodev, nosuid, mounted by ana)
/dev/disk4s1 on /Volumes/USB Stick (msdos, local, nodev, nosuid, noowners)
"""


@pytest.mark.parametrize("folder", SYNC_FOLDERS)
def test_every_sync_clients_folder_is_refused(folder: str) -> None:
    chart = Path("/home/ana") / folder / "clinic" / "chart.sqlite"  # where each client makes its folder
    why = shared_location(chart, platform="linux", mounts=[], resolve=lambda p: p)
    assert why is not None and "cloud-sync folder" in why and folder in why


@pytest.mark.parametrize(
    "path",
    [
        "/Users/ana/Library/CloudStorage/OneDrive-ContosoPhysio/chart.sqlite",
        "/Users/ana/Library/CloudStorage/GoogleDrive-ana@example.com/My Drive/chart.sqlite",
        "/Users/ana/Library/Mobile Documents/com~apple~CloudDocs/chart.sqlite",
    ],
)
def test_macos_cloud_storage_and_icloud_are_refused(path: str) -> None:
    why = shared_location(Path(path), platform="darwin", mount_output=MACOS_MOUNT, resolve=lambda p: p)
    assert why is not None and "cloud-sync folder" in why


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/Volumes/Clinic/chart.sqlite", "network file system (smbfs)"),
        ("/Volumes/Old Share/chart.sqlite", "network file system (afpfs)"),
    ],
)
def test_macos_network_volumes_are_refused(path: str, words: str) -> None:
    why = shared_location(Path(path), platform="darwin", mount_output=MACOS_MOUNT, resolve=lambda p: p)
    assert why is not None and words in why


def test_a_macos_local_disk_and_a_usb_stick_are_accepted() -> None:
    for path in ("/Users/ana/Documents/chart.sqlite", "/Volumes/USB Stick/chart.sqlite"):
        assert shared_location(Path(path), platform="darwin", mount_output=MACOS_MOUNT, resolve=lambda p: p) is None


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/srv/clinic/chart.sqlite", "network file system (nfs4)"),
        ("/mnt/nas/chart.sqlite", "FUSE mount (fuse.sshfs)"),
        ("/run/user/1000/gvfs/smb-share:server=nas,share=clinic/chart.sqlite", "FUSE mount (fuse.gvfsd-fuse)"),
    ],
)
def test_linux_network_and_fuse_mounts_are_refused(path: str, words: str) -> None:
    why = shared_location(Path(path), platform="linux", mounts=LINUX_MOUNTS, resolve=lambda p: p)
    assert why is not None and words in why


def test_a_local_ntfs_disk_through_fuseblk_is_accepted() -> None:
    assert shared_location(Path("/media/usb/chart.sqlite"), platform="linux", mounts=LINUX_MOUNTS) is None


def test_windows_unc_paths_and_mapped_network_drives_are_refused() -> None:
    def drives(path: PureWindowsPath) -> int:
        return DRIVE_REMOTE if path.drive.upper() == "Z:" else 3  # 3: a fixed local disk

    assert "network share" in (shared_location(Path("\\\\server\\clinic\\chart.sqlite"), platform="win32") or "")
    mapped = shared_location(Path("Z:\\clinic\\chart.sqlite"), platform="win32", drive_type=drives)
    assert mapped is not None and "mapped network drive (Z:)" in mapped
    assert shared_location(Path("C:\\Users\\ana\\chart.sqlite"), platform="win32", drive_type=drives) is None
    synced = shared_location(
        Path("C:\\Users\\ana\\OneDrive - Contoso Physio\\chart.sqlite"), platform="win32", drive_type=drives
    )
    assert synced is not None and "OneDrive - Contoso Physio" in synced


def test_a_symbolic_link_into_a_sync_folder_is_refused_as_the_folder_is(tmp_path: Path) -> None:
    synced = tmp_path / "Dropbox (Personal)" / "clinic"
    synced.mkdir(parents=True)
    link = tmp_path / "Desktop-chart"
    link.symlink_to(synced, target_is_directory=True)
    with pytest.raises(StorageError, match="cloud-sync folder") as refused:
        refuse_shared_location(link / "chart.sqlite", mounts=[])
    assert "it leads to" in str(refused.value) and "PostgreSQL mode" in str(refused.value)
    plain = tmp_path / "clinic-data"
    plain.mkdir()
    refuse_shared_location(plain / "chart.sqlite", mounts=[])  # a local folder is accepted


def test_a_symbolic_link_onto_a_network_mount_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "chart-folder"
    link.symlink_to("/srv/clinic", target_is_directory=True)
    why = shared_location(
        link / "chart.sqlite", platform="linux", mounts=LINUX_MOUNTS, resolve=lambda p: Path("/srv/clinic/chart.sqlite")
    )
    assert why is not None and "nfs4" in why and "it leads to /srv/clinic/chart.sqlite" in why


def test_the_command_line_refuses_a_sync_folder_in_one_line(tmp_path: Path) -> None:
    synced = tmp_path / "OneDrive - Contoso Physio"
    synced.mkdir()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "needlelog",
            "seed",
            "--db",
            str(synced / "chart.sqlite"),
            "--patients",
            "1",
            "--sessions",
            "0",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "cloud-sync folder (OneDrive - Contoso Physio)" in lines[0] and "PostgreSQL" in lines[0]
    assert not (synced / "chart.sqlite").exists()


def test_ordinary_folders_named_like_a_sync_client_elsewhere_are_accepted() -> None:
    for path in ("/srv/box/chart.sqlite", "/home/mega/chart.sqlite", "/data/sync/chart.sqlite", "/opt/iCloud/c.sqlite"):
        assert shared_location(Path(path), platform="linux", mounts=[], resolve=lambda p: p) is None, path
    for path in ("/home/ana/Box/chart.sqlite", "/home/ana/Sync/clinic/chart.sqlite", "/Users/ana/MEGA/c.sqlite"):
        assert shared_location(Path(path), platform="linux", mounts=[], resolve=lambda p: p) is not None, path


def windows_drives(path: PureWindowsPath) -> int:
    return DRIVE_REMOTE if path.drive.upper() == "Z:" else 3  # Z: is mapped to a share; 3, a fixed local disk


def leads_to(target: str) -> Callable[[Path], Path]:
    """What Windows' own resolution (Path.resolve: GetFinalPathNameByHandle) would return for a link or junction:
    the path as that call gives it, extended prefix and all. The branch's logic runs here on any system."""
    return lambda _path: Path(target)


WINDOWS_LINKS = [
    # a junction on the desktop into the OneDrive folder
    (
        "C:\\Users\\ana\\Desktop\\Clinic",
        "\\\\?\\C:\\Users\\ana\\OneDrive - Contoso Physio\\Clinic",
        "cloud-sync folder",
    ),
    # a symbolic link into Dropbox, resolved without the prefix
    ("D:\\needlelog", "C:\\Users\\ana\\Dropbox (Personal)\\needlelog", "cloud-sync folder (Dropbox (Personal))"),
    # a symbolic link onto a share: Windows returns it as \\?\UNC\server\share
    ("C:\\ProgramData\\needlelog", "\\\\?\\UNC\\nas\\clinic\\needlelog", "network share"),
    # a link onto a mapped drive
    ("C:\\needlelog", "Z:\\clinic\\needlelog", "mapped network drive (Z:)"),
]


@pytest.mark.parametrize(("typed", "target", "words"), WINDOWS_LINKS)
def test_windows_links_and_junctions_are_followed_before_the_checks(typed: str, target: str, words: str) -> None:
    chart = f"{typed}\\chart.sqlite"
    why = shared_location(
        Path(chart), platform="win32", drive_type=windows_drives, resolve=leads_to(f"{target}\\chart.sqlite")
    )
    assert why is not None and words in why, why
    shown = target.replace("\\\\?\\UNC\\", "\\\\").replace("\\\\?\\", "")
    assert f"(it leads to {shown}\\chart.sqlite)" in why


def test_windows_paths_that_lead_to_a_local_disk_are_accepted_whatever_their_prefix() -> None:
    local = "\\\\?\\C:\\ProgramData\\needlelog\\chart.sqlite"
    assert plain_windows_path(local) == PureWindowsPath("C:\\ProgramData\\needlelog\\chart.sqlite")
    assert shared_location(Path(local), platform="win32", drive_type=windows_drives, resolve=leads_to(local)) is None
    link = Path("C:\\Users\\ana\\Desktop\\chart-here")
    accepted = shared_location(link, platform="win32", drive_type=windows_drives, resolve=leads_to("D:\\clinic\\x"))
    assert accepted is None
    # a link whose target cannot be resolved is judged as typed: a typed share or sync folder is still refused
    typed = Path("C:\\Users\\ana\\OneDrive\\chart.sqlite")
    assert "OneDrive" in (
        shared_location(typed, platform="win32", drive_type=windows_drives, resolve=lambda p: p) or ""
    )
    unc = Path("\\\\?\\UNC\\nas\\clinic\\chart.sqlite")
    assert "network share" in (
        shared_location(unc, platform="win32", drive_type=windows_drives, resolve=lambda p: p) or ""
    )
