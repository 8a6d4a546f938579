"""What the chart and the main window need, loaded while the person types (issue 14; SPEC §9: the main window
within 2× an empty window plus the password check).

The sign-in window is painted with nothing of the chart loaded. A person then takes two seconds or more to type
a user name and a password (8-12 keys a second); the storage library and the services take about 0.5 s of CPU
to import. Imported on the window's thread, they would hold every key the person types meanwhile (the field
shows nothing for half a second); imported here, in a thread of its own, the window's thread takes Python's lock
back within its switch interval (5 ms) whenever a key comes, so the keys show as they are typed. Python runs one
thread at a time, so the thread saves no CPU: it moves the work off the keys' way, and the composition root opens
the chart once it is done (or at once, when it cannot run). Idle-time slices on the window's thread were the
other design: an import cannot be interrupted, and ``import sqlalchemy.orm`` is one import of 0.2-0.4 s with its
submodules, so a key would wait that long, unless SQLAlchemy's ~200 modules were imported one by one from a list
of our own, which its next release would break. Measured (docs/PERFORMANCE.md): with the thread, a key typed
every 100 ms waited at most 45-75 ms to show; with the same imports on the window's thread, 0.4-0.55 s.

Only plain Python is loaded here (no Qt: Qt's objects and Python subclasses of Qt's classes are made on the
window's thread). A module that fails to import is left for the window's thread, which imports it again when
it needs it and reports the failure there, as it would have without this.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable

# What opening the chart, the sign-in and the main window import (each with what it imports). A name that is
# gone is skipped: the list only saves time, it never decides what is loaded.
MODULES = (
    "sqlalchemy.orm",
    "needlelog.services.store",  # the storage library, the models, the migrations' check, every service
    "needlelog.services.recovery",
    "needlelog.services.workspace",
    "needlelog.services.restoring",
    "needlelog.services.backups",
    "needlelog.services.encryption",  # an encrypted chart is opened with it at Enter (issue 13)
    "needlelog.db.page_check",
    "needlelog.domain.figure",
    "argon2",
    "xml.etree.ElementTree",
)


def modules_for(target: str) -> tuple[str, ...]:
    """:data:`MODULES` and the SQLAlchemy dialect (with its driver) of the chart ``target`` names, which
    SQLAlchemy would otherwise import when the chart's engine is made, on the window's thread (the SQLite
    dialect's package brings its three drivers' modules: about 15 ms)."""
    scheme = target.split("://", 1)[0].lower() if "://" in target else "sqlite"
    backend, _, driver = scheme.partition("+")
    if backend == "sqlite":
        return (*MODULES, "sqlalchemy.dialects.sqlite")
    if backend in ("postgresql", "postgres"):
        return (*MODULES, "sqlalchemy.dialects.postgresql", driver or "psycopg")
    return MODULES


def _body_figure() -> None:
    """The body figure, parsed once and kept (its first drawing, in the main window, would parse it)."""
    from needlelog.domain.figure import body_figure

    body_figure()


def warm_for(target: str) -> tuple[Callable[[], None], ...]:
    """What is done once the modules are in: the body figure parsed, and for an encrypted chart (issue 13) the
    SQLCipher driver loaded, which opening it at Enter needs (found from the file, no key needed)."""

    def cipher() -> None:
        from needlelog.services.store import encrypted_chart

        if encrypted_chart(target) is not None:
            importlib.import_module("sqlcipher3")

    return (_body_figure, cipher)


class Preload:
    """Imports ``modules`` in a daemon thread, then calls ``done`` (from that thread)."""

    def __init__(
        self,
        done: Callable[[], None],
        modules: tuple[str, ...] = MODULES,
        warm: tuple[Callable[[], None], ...] = (_body_figure,),
    ) -> None:
        self.modules = modules
        self.warm = warm
        self.failed: list[str] = []
        self._done = done
        self.finished = threading.Event()
        self.thread = threading.Thread(target=self._run, name="needlelog-preload", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for name in self.modules:
                try:
                    importlib.import_module(name)
                except Exception:  # imported again, and its failure said, where it is needed
                    self.failed.append(name)
            for step in self.warm:
                try:
                    step()
                except Exception:
                    self.failed.append(getattr(step, "__name__", repr(step)))
        finally:
            self.finished.set()
            self._done()
