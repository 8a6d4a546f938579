"""Where needlelog keeps its files: the platform's user data folder, or NEEDLELOG_HOME."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "needlelog"


def data_dir() -> Path:
    """The data folder, created owner-only on first use. ``NEEDLELOG_HOME`` overrides it (tests, portable installs)."""
    override = os.environ.get("NEEDLELOG_HOME")
    if override:
        folder = Path(override).expanduser()
    else:
        from platformdirs import user_data_path

        folder = user_data_path(APP_NAME, appauthor=False)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def default_database() -> Path:
    return data_dir() / "needlelog.sqlite"


def demo_database() -> Path:
    return data_dir() / "demo.sqlite"


def resources_dir() -> Path:
    """``resources/`` beside the package, in a checkout and in the packaged bundle alike."""
    return Path(__file__).resolve().parent.parent / "resources"
