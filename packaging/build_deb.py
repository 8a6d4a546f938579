"""Make the Debian package of needlelog from the PyInstaller one-folder bundle (app.spec).

    python packaging/build_deb.py --bundle dist/needlelog --out dist

`bash scripts/dev package` builds the bundle and runs this. The package holds

    /opt/needlelog/                      the bundle as PyInstaller made it (needlelog + _internal/)
    /usr/bin/needlelog                   a link to /opt/needlelog/needlelog
    /usr/share/applications/needlelog.desktop, /usr/share/icons/hicolor/*/apps/needlelog.*
    /usr/share/doc/needlelog/copyright   what the bundle carries and under which licences
    /usr/share/doc/needlelog/licenses/   the licence files of the Python distributions in the bundle
    /usr/share/doc/needlelog/debian/     the copyright files of the Debian libraries PyInstaller copied in

Depends is worked out as dpkg-shlibdeps would: every shared library an ELF file of the bundle needs and the
bundle does not carry is looked up in this machine's dpkg database (so build on the oldest Debian the clinics
run). Libraries needed only by Qt's optional plugins (the GTK platform theme) go to Recommends. No maintainer
scripts: the desktop database and the icon cache are refreshed by the dpkg triggers of desktop-file-utils and
hicolor-icon-theme, and nothing is done to the clinic's data on install or removal.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from copyright_file import copyright_text, license_files

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
PACKAGE = "needlelog"
MAINTAINER_DEFAULT = "needlelog packaging <packaging@needlelog.invalid>"
# Found at run time by path or by name, never as an ELF dependency: the configuration files of the
# fontconfig and xkbcommon copies in the bundle, and one font Qt can always fall back to.
DATA_DEPENDS = ("fontconfig-config", "xkb-data", "fonts-dejavu-core")
# Parts of Qt that load only on some desktops or none: the Wayland integration (without it Qt runs through
# X11, which every Wayland desktop offers as XWayland), the GTK platform theme, and the platforms for a screen
# with no desktop at all (EGLFS, the Linux frame buffer). What they alone need is recommended, not required.
# Compared in lower case.
OPTIONAL_PLUGINS = (
    "pyside6/qt/plugins/platformthemes/",
    "pyside6/qt/plugins/platforms/libqwayland",
    "pyside6/qt/plugins/platforms/libqeglfs",
    "pyside6/qt/plugins/platforms/libqminimalegl",
    "pyside6/qt/plugins/platforms/libqlinuxfb",
    "pyside6/qt/plugins/wayland-",
    "pyside6/qt/plugins/egldeviceintegrations/",
    "pyside6/qt/lib/libqt6wayland",
    "pyside6/qt/lib/libqt6wlshellintegration",
    "pyside6/qt/lib/libqt6eglfs",
)
ELF_MAGIC = b"\x7fELF"


def version() -> str:
    text = (ROOT / "needlelog" / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    if not found:
        raise SystemExit("build_deb: no __version__ in needlelog/__init__.py")
    return found.group(1)


def is_elf(path: Path) -> bool:
    if path.is_symlink() or not path.is_file():
        return False
    with path.open("rb") as handle:
        return handle.read(4) == ELF_MAGIC


def elf_files(bundle: Path) -> list[Path]:
    return sorted(path for path in bundle.rglob("*") if is_elf(path))


def needed_libraries(path: Path) -> tuple[list[str], list[str]]:
    """The sonames an ELF file needs, and the glibc symbol versions it asks for."""
    dynamic = subprocess.run(["objdump", "-p", str(path)], capture_output=True, text=True, check=True).stdout
    needed = [line.split()[1] for line in dynamic.splitlines() if line.split()[:1] == ["NEEDED"]]
    glibc = re.findall(r"\bGLIBC_(\d+(?:\.\d+)+)\b", dynamic)
    return needed, glibc


def outside_libraries(bundle: Path) -> tuple[dict[str, bool], str]:
    """Each soname the bundle needs but does not carry -> whether a required file needs it; the glibc floor."""
    files = elf_files(bundle)
    carried = {path.name for path in bundle.rglob("*") if path.is_file() or path.is_symlink()}
    wanted: dict[str, bool] = {}
    glibc_floor = (2, 17)
    for path in files:
        needed, glibc = needed_libraries(path)
        required = not any(part in path.as_posix().lower() for part in OPTIONAL_PLUGINS)
        for soname in needed:
            if soname not in carried:
                wanted[soname] = wanted.get(soname, False) or required
        for found in glibc:
            glibc_floor = max(glibc_floor, tuple(int(x) for x in found.split(".")))
    return wanted, ".".join(str(x) for x in glibc_floor)


def library_paths() -> dict[str, str]:
    """soname -> its file, from the dynamic linker's cache of this machine."""
    cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    machine = subprocess.run(["uname", "-m"], capture_output=True, text=True, check=True).stdout.strip()
    arch = {"x86_64": "x86-64", "aarch64": "AArch64"}.get(machine, machine)
    paths: dict[str, str] = {}
    for line in cache.splitlines()[1:]:
        found = re.match(r"\s*(\S+) \(([^)]*)\) => (\S+)", line)
        if found and (arch in found.group(2) or "," not in found.group(2)):
            paths.setdefault(found.group(1), found.group(3))
    return paths


def owning_package(path: str) -> str | None:
    for candidate in dict.fromkeys([path, os.path.realpath(path)]):
        for variant in (candidate, candidate.removeprefix("/usr"), "/usr" + candidate):
            owner = subprocess.run(["dpkg", "-S", variant], capture_output=True, text=True, check=False)
            if owner.returncode == 0:
                return owner.stdout.split(":", 1)[0].split(",")[0].strip()
    return None


def dependencies(bundle: Path) -> tuple[list[str], list[str]]:
    """The Depends and Recommends fields' package lists."""
    wanted, glibc_floor = outside_libraries(bundle)
    paths = library_paths()
    depends: set[str] = set(DATA_DEPENDS)
    recommends: set[str] = set()
    missing: list[str] = []
    for soname, required in sorted(wanted.items()):
        package = owning_package(paths[soname]) if soname in paths else None
        if package is None:
            if required:
                missing.append(soname)
            else:
                print(f"build_deb: {soname} (an optional plugin's) is not installed here: not recommended")
            continue
        (depends if required else recommends).add(package)
    if missing:
        raise SystemExit(f"build_deb: no Debian package here provides {', '.join(missing)}: install them and retry")
    depends.discard("libc6")
    recommends -= depends | {"libc6"}
    return [f"libc6 (>= {glibc_floor})", *sorted(depends)], sorted(recommends)


def copy_bundle(bundle: Path, tree: Path) -> None:
    """The bundle under /opt/needlelog, with the modes Debian expects (libraries not executable)."""
    target = tree / "opt" / PACKAGE
    shutil.copytree(bundle, target, symlinks=True)
    for path in target.rglob("*"):
        if path.is_symlink():
            continue
        if path.is_dir() or path == target / PACKAGE:
            path.chmod(0o755)
        else:
            path.chmod(0o644)
    (tree / "usr" / "bin").mkdir(parents=True)
    (tree / "usr" / "bin" / PACKAGE).symlink_to(f"/opt/{PACKAGE}/{PACKAGE}")


def install_file(source: Path, target: Path, mode: int = 0o644) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    target.chmod(mode)


def copy_desktop_files(tree: Path) -> None:
    share = tree / "usr" / "share"
    install_file(PACKAGING / "linux" / "needlelog.desktop", share / "applications" / "needlelog.desktop")
    icons = PACKAGING / "icons"
    for png in sorted((icons / "hicolor").glob("*/apps/needlelog.png")):
        install_file(png, share / "icons" / "hicolor" / png.relative_to(icons / "hicolor"))
    install_file(icons / "needlelog.svg", share / "icons" / "hicolor" / "scalable" / "apps" / "needlelog.svg")


def write_docs(tree: Path, bundle: Path, release: str) -> None:
    doc = tree / "usr" / "share" / "doc" / PACKAGE
    doc.mkdir(parents=True)
    copied = license_files(bundle, doc)
    (doc / "copyright").write_text(copyright_text(bundle, copied), encoding="utf-8")
    changelog = (
        f"{PACKAGE} ({release}) unstable; urgency=medium\n\n"
        f"  * Release {release}: see the project's history for what changed.\n\n"
        f" -- {maintainer()}  Thu, 01 Jan 1970 00:00:00 +0000\n"
    )
    with gzip.GzipFile(doc / "changelog.gz", "wb", mtime=0) as handle:
        handle.write(changelog.encode("utf-8"))
    for path in doc.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def maintainer() -> str:
    return os.environ.get("NEEDLELOG_MAINTAINER", MAINTAINER_DEFAULT)


def installed_size_kib(tree: Path) -> int:
    return sum((path.lstat().st_size + 1023) // 1024 for path in tree.rglob("*") if not path.is_dir()) + sum(
        1 for path in tree.rglob("*") if path.is_dir()
    )


def write_control(tree: Path, bundle: Path, release: str, architecture: str) -> None:
    depends, recommends = dependencies(bundle)
    control = (PACKAGING / "debian" / "control.in").read_text(encoding="utf-8")
    fields = {
        "VERSION": release,
        "ARCHITECTURE": architecture,
        "MAINTAINER": maintainer(),
        "INSTALLED_SIZE": str(installed_size_kib(tree)),
        "DEPENDS": ", ".join(depends),
        "RECOMMENDS": ", ".join(recommends),
    }
    for key, value in fields.items():
        control = control.replace(f"@{key}@", value)
    if not recommends:
        control = re.sub(r"^Recommends: \n", "", control, flags=re.MULTILINE)
    debian = tree / "DEBIAN"
    debian.mkdir(mode=0o755)
    (debian / "control").write_text(control, encoding="utf-8")
    sums = []
    for path in sorted(tree.rglob("*")):
        if path.is_file() and not path.is_symlink() and debian not in path.parents:
            digest = hashlib.md5(path.read_bytes()).hexdigest()  # the md5sums file dpkg reads
            sums.append(f"{digest}  {path.relative_to(tree).as_posix()}\n")
    (debian / "md5sums").write_text("".join(sums), encoding="utf-8")
    for path in debian.iterdir():
        path.chmod(0o644)


def build(bundle: Path, out: Path, compression: str) -> Path:
    if not (bundle / PACKAGE).is_file():
        raise SystemExit(f"build_deb: {bundle} holds no {PACKAGE} executable: build app.spec first")
    release = version()
    architecture = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="needlelog-deb-") as scratch:
        tree = Path(scratch) / "tree"
        tree.mkdir(mode=0o755)
        copy_bundle(bundle, tree)
        copy_desktop_files(tree)
        write_docs(tree, bundle, release)
        for folder in [tree, *(path for path in tree.rglob("*") if path.is_dir() and not path.is_symlink())]:
            folder.chmod(0o755)
        write_control(tree, bundle, release, architecture)
        target = out / f"{PACKAGE}_{release}_{architecture}.deb"
        subprocess.run(
            ["dpkg-deb", "--root-owner-group", f"-Z{compression}", "--build", str(tree), str(target)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Make the Debian package from the PyInstaller bundle.")
    parser.add_argument("--bundle", type=Path, required=True, help="the one-folder bundle (dist/needlelog)")
    parser.add_argument("--out", type=Path, required=True, help="the folder the .deb is written to")
    parser.add_argument(
        "--compression",
        default="xz",
        choices=["xz", "gzip", "zstd", "none"],
        help="dpkg-deb's compressor (default xz, which every dpkg reads; the tests use gzip, faster)",
    )
    options = parser.parse_args(argv)
    print(build(options.bundle.resolve(), options.out.resolve(), options.compression))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
