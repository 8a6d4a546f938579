"""THIRD-PARTY-NOTICES.txt: what the packaged program carries and under which licences.

Written by app.spec into the bundle (beside LICENSE, where Help → About reads both), from the same list the
Debian copyright file is made from (copyright_file.py): needlelog's run-time requirements followed through their
own, each with the name, version and licence its installed metadata gives and the text of the licence files its
wheel installed; Qt / PySide6 under the LGPL with how to use another Qt; the fonts' licences from the repository.

    python packaging/notices.py OUT [--with-psycopg]
"""

from __future__ import annotations

import argparse
import importlib.util
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from build_deb import version
from copyright_file import FONT_LICENSES, QT_NOTE, ROOT, distribution_closure, licence_name, licence_sources

RULE = "=" * 78
QT_DISTRIBUTIONS = {"pyside6-essentials", "pyside6", "shiboken6"}


@dataclass(frozen=True)
class Notice:
    """One part of the bundle: a Python distribution or a font family."""

    name: str
    version: str
    licence: str
    texts: tuple[tuple[str, str], ...]  # (file name, its text)


def distribution_notices(with_psycopg: bool) -> list[Notice]:
    """The Python distributions the bundle carries (PyInstaller's boot loader too), from their metadata."""
    found = []
    for distribution in [*distribution_closure(with_psycopg), metadata.distribution("pyinstaller")]:
        texts = tuple(
            (source.name, source.read_text(encoding="utf-8", errors="replace"))
            for source in sorted(set(licence_sources(distribution)))
        )
        found.append(Notice(distribution.metadata["Name"], distribution.version, licence_name(distribution), texts))
    return found


def font_notices() -> list[Notice]:
    return [
        Notice(font, "", licence, ((Path(relative).name, (ROOT / relative).read_text(encoding="utf-8")),))
        for font, (relative, licence) in FONT_LICENSES.items()
    ]


def notices_text(with_psycopg: bool) -> str:
    # The checkout's version (needlelog/__init__.py), which the bundle is built from, read as the package's is.
    parts = _summary(version(), distribution_notices(with_psycopg), font_notices())
    return "\n".join(parts) + "\n"


def _summary(version: str, distributions: list[Notice], fonts: list[Notice]) -> list[str]:
    parts = [
        f"needlelog {version}: third-party notices",
        "",
        "needlelog itself is under the MIT License (LICENSE, beside this file):",
        "Copyright (c) 2026 the needlelog authors.",
        "",
        "It carries the parts below, each under its own licence. The list is written when the",
        "program is packaged, from the installed distributions' metadata.",
        "",
        RULE,
        "Qt and Qt for Python (PySide6, shiboken6): LGPL-3.0",
        RULE,
        QT_NOTE.format(folder="<the program's folder>"),
        "",
        RULE,
        "Summary: name, version, licence",
        RULE,
    ]
    parts += [f"{notice.name} {notice.version}: {notice.licence}" for notice in distributions]
    parts += [f"{notice.name}: {notice.licence}" for notice in fonts]
    for notice in [*distributions, *fonts]:
        heading = f"{notice.name} {notice.version}".strip()
        parts += ["", RULE, f"{heading}: {notice.licence}", RULE]
        if notice.name.lower() in QT_DISTRIBUTIONS:
            parts.append("Used under the LGPL-3.0: see 'Qt and Qt for Python' above for how to use another Qt.")
        if notice.name.lower() == "pyinstaller":
            parts.append("Only its boot loader is carried, which its licence's exception lets any program ship.")
        if not notice.texts:
            parts.append("(Its wheel installed no licence file; the licence is the one named above.)")
        for file_name, text in notice.texts:
            parts += [f"--- {file_name} ---", text.rstrip()]
    return parts


def write_notices(target: Path, with_psycopg: bool) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(notices_text(with_psycopg), encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the third-party notices of the packaged program.")
    parser.add_argument("out", type=Path, help="the file to write (app.spec: THIRD-PARTY-NOTICES.txt in the bundle)")
    parser.add_argument(
        "--with-psycopg",
        action="store_true",
        default=importlib.util.find_spec("psycopg") is not None,
        help="list psycopg too (default: when it is installed, as app.spec bundles it then)",
    )
    arguments = parser.parse_args(argv)
    write_notices(arguments.out, arguments.with_psycopg)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
