"""The Debian package's copyright file and licence folder, from what the bundle really carries.

The Python distributions are needlelog's run-time requirements, followed through their own requirements
(psycopg too when the bundle has it), each with the licence its metadata names and the licence files its
wheel installed. The shared libraries PyInstaller copied from this machine are traced to their Debian
packages, whose own copyright files go in beside. The fonts' licences come from the repository.
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
FONT_LICENSES = {
    "DejaVu Sans (resources/fonts)": ("resources/fonts/LICENSE-DejaVu.txt", "Bitstream-Vera"),
    "Droid Sans Fallback (resources/fonts)": ("resources/fonts/LICENSE-DroidSansFallback.txt", "Apache-2.0"),
    "Nanum Gothic Coding (resources/fonts)": ("resources/fonts/LICENSE-Nanum.txt", "OFL-1.1"),
    "Symbola (resources/fonts)": ("resources/fonts/LICENSE-Symbola.txt", "free for any use"),
    "Noto Sans script fonts (needlelog/reports/fonts)": ("needlelog/reports/fonts/LICENSE-Noto.txt", "OFL-1.1"),
}
QT_NOTE = (
    "Qt and Qt for Python are used under the GNU Lesser General Public License version 3\n"
    "(/usr/share/common-licenses/LGPL-3 on Debian). They are shipped as the unmodified shared\n"
    "libraries of the PySide6-Essentials and shiboken6 wheels, in {folder}/_internal/PySide6\n"
    "and {folder}/_internal/shiboken6. To use a modified Qt, replace those libraries with\n"
    "your own build of the same Qt version (same file names); the program loads them at start.\n"
    "The Qt sources are at https://download.qt.io/official_releases/qt/ and the Qt for Python\n"
    "sources at https://code.qt.io/cgit/pyside/pyside-setup.git/."
)


@dataclass
class Copied:
    """What license_files put in the documentation folder, for the copyright file to point at."""

    distributions: dict[str, tuple[str, str, list[str]]] = field(
        default_factory=dict
    )  # name -> version, licence, files
    debian: dict[str, list[str]] = field(default_factory=dict)  # Debian package -> library files it gave
    fonts: dict[str, tuple[str, str]] = field(default_factory=dict)  # font -> licence file, licence


def distribution_closure(with_psycopg: bool) -> list[metadata.Distribution]:
    """needlelog's run-time requirements (pyproject.toml), recursively, extras left out (psycopg[binary]
    in when the bundle has it)."""
    # The checkout's pyproject.toml, which the bundle is built from, rather than an installed copy's metadata.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pending = [Requirement(text) for text in project["dependencies"]]
    if with_psycopg:
        pending.append(Requirement("psycopg[binary]"))
    direct = {requirement.name for requirement in pending}
    found: dict[str, metadata.Distribution] = {}
    while pending:
        requirement = pending.pop()
        name = requirement.name.lower().replace("_", "-")
        if name in found:
            continue
        try:
            distribution = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            if requirement.name in direct:  # the bundle cannot have been built from this environment
                raise SystemExit(f"build_deb: {requirement.name} is not installed here") from None
            continue  # a requirement of a requirement that its wheel did not need here
        found[name] = distribution
        extras = requirement.extras or {""}
        for text in distribution.requires or []:
            child = Requirement(text)
            if child.marker is None or any(child.marker.evaluate({"extra": extra}) for extra in extras):
                pending.append(child)
    return sorted(found.values(), key=lambda d: d.metadata["Name"].lower())


def licence_name(distribution: metadata.Distribution) -> str:
    meta = distribution.metadata
    expression = meta.get("License-Expression")
    if expression:
        return str(expression)
    classifiers = [c.rsplit(" :: ", 1)[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    text = (meta.get("License") or "").strip().splitlines()
    if text and len(text[0]) < 80:
        return text[0]
    return ", ".join(classifiers) or "see the licence files"


def licence_sources(distribution: metadata.Distribution) -> list[Path]:
    """The licence, notice and authors files the distribution's wheel installed in its .dist-info."""
    found = []
    for entry in distribution.files or []:
        if entry.name.lower().startswith(("license", "licence", "copying", "notice", "authors")) and (
            ".dist-info" in str(entry.parent) or entry.parent.name == "licenses"
        ):
            source = Path(str(entry.locate()))
            if source.is_file():
                found.append(source)
    return found


def copy_distribution_licences(distribution: metadata.Distribution, target: Path) -> list[str]:
    copied = []
    for source in licence_sources(distribution):
        name = distribution.metadata["Name"]
        destination = target / name / source.name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        copied.append(f"licenses/{name}/{source.name}")
    return sorted(set(copied))


def system_library_packages(bundle: Path) -> dict[str, list[str]]:
    """Debian package -> the libraries at the bundle's top level that PyInstaller copied from it."""
    cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    system = {}
    for line in cache.splitlines()[1:]:
        name, _, path = line.strip().partition(" => ")
        system.setdefault(name.split(" ")[0], path)
    found: dict[str, list[str]] = {}
    for library in sorted((bundle / "_internal").glob("lib*.so*")):
        path = system.get(library.name)
        if path is None:
            continue
        owner = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True, check=False)
        if owner.returncode != 0:
            owner = subprocess.run(["dpkg", "-S", "/usr" + path], capture_output=True, text=True, check=False)
        if owner.returncode == 0:
            package = owner.stdout.split(":", 1)[0].strip()
            found.setdefault(package, []).append(library.name)
    return found


def license_files(bundle: Path, doc: Path) -> Copied:
    copied = Copied()
    with_psycopg = (bundle / "_internal" / "psycopg").is_dir()
    for distribution in [*distribution_closure(with_psycopg), metadata.distribution("pyinstaller")]:
        name = distribution.metadata["Name"]
        files = copy_distribution_licences(distribution, doc / "licenses")
        copied.distributions[name] = (distribution.version, licence_name(distribution), files)
    for package, libraries in system_library_packages(bundle).items():
        source = Path("/usr/share/doc") / package / "copyright"
        if source.is_file():
            (doc / "debian").mkdir(exist_ok=True)
            shutil.copyfile(source, doc / "debian" / f"{package}.copyright")
        copied.debian[package] = libraries
    for font, (relative, licence) in FONT_LICENSES.items():
        destination = doc / "licenses" / "fonts" / Path(relative).name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / relative, destination)
        copied.fonts[font] = (f"licenses/fonts/{destination.name}", licence)
    return copied


def paragraph(files: str, copyright_: str, licence: str, comment: str) -> str:
    body = "\n".join(f" {line}" if line else " ." for line in comment.splitlines())
    return f"Files: {files}\nCopyright: {copyright_}\nLicense: {licence}\nComment:\n{body}\n"


def copyright_text(bundle: Path, copied: Copied) -> str:
    doc = "/usr/share/doc/needlelog"
    parts = [
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
        "Upstream-Name: needlelog\n"
        "Comment: What the package carries in /opt/needlelog, and under which licences. Licence files\n"
        f" named below are in {doc}.\n",
        paragraph(
            "opt/needlelog/_internal/needlelog/* opt/needlelog/_internal/resources/figure/*",
            "2026 the needlelog authors",
            "MIT",
            "needlelog itself: /opt/needlelog/_internal/LICENSE. What the program carries, each part with\n"
            "its licence, is also in /opt/needlelog/_internal/THIRD-PARTY-NOTICES.txt (Help > About).",
        ),
        paragraph(
            "opt/needlelog/_internal/PySide6/* opt/needlelog/_internal/shiboken6/*",
            "The Qt Company Ltd.",
            "LGPL-3.0-only",
            QT_NOTE.format(folder="/opt/needlelog"),
        ),
    ]
    for name, (release, licence, files) in copied.distributions.items():
        where = ", ".join(f"{doc}/{f}" for f in files) or "its licence named here"
        parts.append(
            paragraph(
                f"(Python distribution {name} {release})", f"the {name} authors", licence, f"Licence text: {where}."
            )
        )
    for font, (file, licence) in copied.fonts.items():
        parts.append(paragraph(f"({font})", "the font's authors", licence, f"Licence text: {doc}/{file}."))
    for package, libraries in sorted(copied.debian.items()):
        parts.append(
            paragraph(
                " ".join(f"opt/needlelog/_internal/{library}" for library in libraries),
                f"see {doc}/debian/{package}.copyright",
                "see the copyright file of the Debian package",
                f"Copied unchanged by PyInstaller from the Debian package {package}.",
            )
        )
    return "\n".join(parts)
