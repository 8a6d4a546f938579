"""PySide6's import hook, told not to read the source of every module imported after it.

shiboken6 replaces ``__import__`` and, for each Python module imported once PySide6 is loaded, decides whether
that module may switch PySide's ``__feature__`` options (``snake_case``, ``true_property``) by reading its whole
source with ``inspect.getsource`` (PYSIDE-2029). ``linecache`` then keeps the text of every file read: measured
here, importing the storage library after PySide6 cost 48 MB of memory against 29 MB with the scan skipped, and
tens of milliseconds of CPU at every start (issue 14: peak memory ≤ 150 MB). needlelog uses no ``__feature__``
option, so every module is one the feature machinery may ignore, which is what the scan answers for a module that
does not name PySide6. Where the hook is not the one expected (another PySide6 release), nothing is changed.
"""

from __future__ import annotations

import sys
from types import ModuleType


def read_no_sources() -> bool:
    """Skip the feature scan of modules imported from now on; True when the hook was found and told."""
    import PySide6  # noqa: F401 - the package installs the hook; its Qt modules are not loaded here

    feature = sys.modules.get("shibokensupport.feature")
    if feature is None or not callable(getattr(feature, "_mod_uses_pyside", None)):
        return False
    feature._mod_uses_pyside = _uses_no_feature  # type: ignore[attr-defined]
    return True


def _uses_no_feature(module: ModuleType) -> bool:
    return False
