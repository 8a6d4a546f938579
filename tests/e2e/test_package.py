"""The Debian package made from the packaged program (packaging/build_deb.py, `bash scripts/dev package`).

Made once per module from the bundle that test_bundle.py runs too (the session's `bundle` fixture), then read
back with dpkg-deb: its fields, its files and their owners and modes, its desktop entry (desktop-file-validate),
its copyright file. Then unpacked (dpkg-deb -x, no root needed) and run from /opt/needlelog's copy: an old
chart made by each earlier schema is backed up and migrated at the program's first start, and every signed
note's fingerprint still verifies. Installing into a clean Debian root is `scripts/package-install-check`
(debootstrap takes minutes): docs/packaging.md.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from needlelog import __version__
from needlelog.db.migrate import HEAD

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
OLD_SCHEMAS = sorted(p for p in FIXTURES.glob("schema-*.sqlite") if p.stem != f"schema-{HEAD}")
RUN_TIMEOUT = 120
BUILD_DEB = [sys.executable, str(ROOT / "packaging" / "build_deb.py")]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.skipif(
        shutil.which("dpkg-deb") is None or shutil.which("desktop-file-validate") is None,
        reason="needs dpkg-deb and desktop-file-validate (Debian: dpkg, desktop-file-utils; bash scripts/dev test)",
    ),
]


@pytest.fixture(scope="module")
def deb(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("deb")
    made = subprocess.run(
        # The release is xz; gzip makes the same tree in a fraction of the time.
        [*BUILD_DEB, "--bundle", str(bundle.parent), "--out", str(out), "--compression", "gzip"],
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    return Path(made.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def unpacked(deb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("root")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root


def field(deb: Path, name: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True, check=True).stdout.strip()


def contents(deb: Path) -> list[tuple[str, str, str, str]]:
    """(mode, owner, path, link target) of every entry, as `dpkg-deb -c` lists them."""
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    entries = []
    for line in listing.splitlines():
        mode, owner, _size, _day, _time, rest = line.split(maxsplit=5)
        path, _, target = rest.partition(" -> ")
        entries.append((mode, owner, path.removeprefix("."), target))
    return entries


def test_the_control_fields_name_the_program_its_version_and_what_it_needs(deb: Path) -> None:
    architecture = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert deb.name == f"needlelog_{__version__}_{architecture}.deb"
    assert field(deb, "Package") == "needlelog"
    assert field(deb, "Version") == __version__
    assert field(deb, "Architecture") == architecture
    assert re.fullmatch(r".+ <[^@ ]+@[^@ ]+>", field(deb, "Maintainer"))
    depends = [d.strip() for d in field(deb, "Depends").split(",")]
    assert re.fullmatch(r"libc6 \(>= 2\.\d+\)", depends[0])
    # What the X11 platform plugin and Qt's own libraries load from the system, and a font for Qt to draw with
    for package in ("libxcb1", "libgl1", "libegl1", "fontconfig-config", "fonts-dejavu-core"):
        assert package in depends
    assert "libgtk-3-0" not in depends  # the GTK theme plugin is optional
    installed = int(field(deb, "Installed-Size"))
    assert 100_000 < installed < 600_000  # KiB: the bundle is about 220 MB
    description = field(deb, "Description").splitlines()
    assert description[0] and len(description[0]) < 80 and len(description) > 3


def test_files_are_where_debian_puts_them_owned_by_root_with_plain_modes(deb: Path) -> None:
    entries = contents(deb)
    paths = {path: (mode, owner, target) for mode, owner, path, target in entries}
    assert all(owner == "root/root" for _mode, owner, _path, _target in entries)
    assert (
        paths["/usr/bin/needlelog"][0].startswith("l") and paths["/usr/bin/needlelog"][2] == "/opt/needlelog/needlelog"
    )
    assert paths["/opt/needlelog/needlelog"][0] == "-rwxr-xr-x"
    allowed = ("/opt/needlelog/", "/usr/bin/needlelog", "/usr/share/applications/", "/usr/share/icons/hicolor/")
    for mode, _owner, path, _target in entries:
        if path.rstrip("/") in ("", "/opt", "/usr", "/usr/bin", "/usr/share", "/usr/share/icons", "/usr/share/doc"):
            continue
        assert path.startswith((*allowed, "/usr/share/doc/needlelog/")), path
        assert "__pycache__" not in path, path
        if mode.startswith("d"):
            assert mode == "drwxr-xr-x", path
        elif mode.startswith("-") and path != "/opt/needlelog/needlelog":
            assert mode == "-rw-r--r--", path  # libraries and data are not executable; nothing is writable
    for size in ("16x16", "32x32", "48x48", "128x128", "256x256", "scalable"):
        extension = "svg" if size == "scalable" else "png"
        assert f"/usr/share/icons/hicolor/{size}/apps/needlelog.{extension}" in paths
    for document in ("copyright", "changelog.gz"):
        assert f"/usr/share/doc/needlelog/{document}" in paths


def test_md5sums_cover_every_file(deb: Path, tmp_path: Path) -> None:
    subprocess.run(["dpkg-deb", "-e", str(deb), str(tmp_path / "DEBIAN")], check=True)
    listed = {line.split("  ", 1)[1] for line in (tmp_path / "DEBIAN" / "md5sums").read_text().splitlines()}
    files = {path.lstrip("./") for mode, _o, path, _t in contents(deb) if mode.startswith("-")}
    assert listed == {path.lstrip("/") for path in files}
    assert sorted(p.name for p in (tmp_path / "DEBIAN").iterdir()) == ["control", "md5sums"]  # no scripts


def test_the_desktop_entry_is_valid_and_starts_the_installed_program(unpacked: Path) -> None:
    entry = unpacked / "usr" / "share" / "applications" / "needlelog.desktop"
    validated = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True, check=False)
    assert validated.returncode == 0 and validated.stdout == "", validated.stdout
    keys = dict(line.split("=", 1) for line in entry.read_text(encoding="utf-8").splitlines() if "=" in line)
    assert keys["Exec"] == "needlelog" and keys["Icon"] == "needlelog" and keys["Terminal"] == "false"
    assert (unpacked / "usr" / "bin" / "needlelog").is_symlink()


def test_the_copyright_file_names_the_licences_of_what_the_bundle_carries(unpacked: Path) -> None:
    doc = unpacked / "usr" / "share" / "doc" / "needlelog"
    text = (doc / "copyright").read_text(encoding="utf-8")
    assert text.startswith("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/")
    for name, licence in [
        ("PySide6", "LGPL-3.0-only"),
        ("SQLAlchemy", "MIT"),
        ("alembic", "MIT"),
        ("reportlab", "BSD"),
        ("argon2-cffi", "MIT"),
        ("uharfbuzz", "Apache"),
        ("Noto Sans", "OFL-1.1"),
        ("DejaVu", "Bitstream-Vera"),
    ]:
        assert re.search(rf"{re.escape(name)}[^\n]*\n[^\n]*\nLicense: [^\n]*{licence}", text), name
    if (unpacked / "opt" / "needlelog" / "_internal" / "psycopg").is_dir():  # PostgreSQL mode, when bundled
        assert re.search(r"psycopg [^\n]*\n[^\n]*\nLicense: LGPL-3.0", text)
    assert "replace those libraries" in text  # how to use another Qt (LGPL)
    for reference in re.findall(r"/usr/share/doc/needlelog/(\S+?)[,.]?(?:\s|$)", text):
        assert (doc / reference).is_file(), reference
    assert (doc / "licenses" / "fonts" / "LICENSE-Noto.txt").is_file()
    assert (doc / "debian" / f"libpython{sys.version_info.major}.{sys.version_info.minor}.copyright").is_file()


def run_installed(unpacked: Path, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "NEEDLELOG_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    environment.pop("NEEDLELOG_DB", None)
    return subprocess.run(
        [str(unpacked / "opt" / "needlelog" / "needlelog"), *args],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env=environment,
        check=False,
    )


def test_the_installed_program_says_its_version(unpacked: Path, tmp_path: Path) -> None:
    result = run_installed(unpacked, "--version", home=tmp_path)
    assert (result.returncode, result.stdout.strip()) == (0, f"needlelog {__version__}"), result.stderr


def test_the_installed_program_without_a_screen_says_so_in_one_line(unpacked: Path, tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run(
        [str(unpacked / "opt" / "needlelog" / "needlelog"), "--db", str(tmp_path / "chart.sqlite")],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env={**environment, "NEEDLELOG_HOME": str(tmp_path)},
        check=False,
    )
    assert result.returncode == 2, result  # not Qt's abort (-6)
    assert result.stderr.startswith("needlelog: there is no screen") and len(result.stderr.splitlines()) == 1


def signed_fingerprints(path: Path) -> dict[int, str]:
    with sqlite3.connect(path) as raw:
        return dict(raw.execute("SELECT id, fingerprint FROM treatment_session WHERE status = 'signed'"))


def revision(path: Path) -> str:
    with sqlite3.connect(path) as raw:
        return str(raw.execute("SELECT version_num FROM alembic_version").fetchone()[0])


@pytest.mark.parametrize("fixture", OLD_SCHEMAS, ids=[p.stem for p in OLD_SCHEMAS])
def test_an_upgrade_keeps_the_chart_backed_up_migrated_and_every_signature_verifying(
    fixture: Path, unpacked: Path, tmp_path: Path
) -> None:
    """A chart written by an earlier release, opened by this package's program for the first time."""
    chart = tmp_path / "chart.sqlite"
    shutil.copyfile(fixture, chart)
    old = revision(chart)
    notes = signed_fingerprints(chart)
    assert notes  # every fixture holds signed notes
    started = run_installed(unpacked, "--db", str(chart), "--exit-after", "0.5", home=tmp_path)
    assert started.returncode == 0, started.stderr
    assert "Traceback" not in started.stderr
    backups = list(tmp_path.glob(f"chart.before-upgrade-from-{old}.*.sqlite"))
    assert len(backups) == 1, sorted(p.name for p in tmp_path.iterdir())
    assert (revision(backups[0]), signed_fingerprints(backups[0])) == (old, notes)  # the chart as it was
    assert revision(chart) == HEAD
    assert signed_fingerprints(chart) == notes
    # check recomputes every signed note's fingerprint from what the migrated file holds, and the seals
    checked = run_installed(unpacked, "check", "--db", str(chart), home=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip().endswith("ok (integrity, foreign keys, schema at head)")
