"""Where needlelog keeps its files: the platform's user data folder, or NEEDLELOG_HOME."""

from __future__ import annotations

import os
from pathlib import Path

from needlelog.domain.errors import StorageError

APP_NAME = "needlelog"


def data_dir() -> Path:
    """The data folder, created owner-only on first use. ``NEEDLELOG_HOME`` overrides it (tests, portable installs).

    A folder that cannot be used (a file of that name, a read-only disk, no permission) is a
    :class:`StorageError` naming the folder and where it came from."""
    override = os.environ.get("NEEDLELOG_HOME")
    if override:
        where = "NEEDLELOG_HOME"
        try:
            folder = Path(override).expanduser()
        except RuntimeError:
            raise StorageError(f"NEEDLELOG_HOME ({override}) starts with an unknown user's ~; give a folder.") from None
    else:
        from platformdirs import user_data_path

        where = "the user data folder"
        folder = user_data_path(APP_NAME, appauthor=False)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        usable = folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)
    except (FileExistsError, NotADirectoryError):
        raise StorageError(f"{where} ({folder}) is a file, not a folder; point it at a folder.") from None
    except OSError as exc:
        raise StorageError(f"{where} ({folder}) cannot be used as needlelog's folder: {exc.strerror}.") from None
    if not usable:
        raise StorageError(f"{where} ({folder}) cannot be written to; point it at a folder you may write to.")
    return folder


def default_database() -> Path:
    return data_dir() / "needlelog.sqlite"


def demo_database() -> Path:
    return data_dir() / "demo.sqlite"


def resources_dir() -> Path:
    """``resources/`` beside the package, in a checkout and in the packaged bundle alike."""
    return Path(__file__).resolve().parent.parent / "resources"


def licence_file() -> Path:
    """The project's ``LICENSE``: at the checkout's root, or at the packaged bundle's (app.spec puts it there)."""
    return Path(__file__).resolve().parent.parent / "LICENSE"


def notices_file() -> Path:
    """``THIRD-PARTY-NOTICES.txt``, written into the packaged bundle by app.spec (``packaging/notices.py``)."""
    return Path(__file__).resolve().parent.parent / "THIRD-PARTY-NOTICES.txt"
