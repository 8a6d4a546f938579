"""Before Qt opens a window on X11: is every system library of its X11 platform plugin there?

Qt loads the plugin with dlopen when the QApplication is made, and when a library the plugin needs is missing it
prints a hint and aborts the process (SIGABRT). Opening the plugin here first, the same way, names the missing
library in one sentence the command line prints, and the package a Debian or Ubuntu PC installs it from.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from needlelog.domain.errors import NeedlelogError

# What Qt's X11 plugin needs from the system, and the Debian / Ubuntu package of each (bash scripts/dev installs
# them; the Debian package of needlelog depends on them or carries them).
DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}


class MissingSystemLibrary(NeedlelogError):
    """Qt cannot show a window here because a library of the operating system is not installed."""


def uses_x11() -> bool:
    """Whether Qt will choose its X11 plugin: Linux or BSD, a DISPLAY, and no other platform asked for."""
    if sys.platform in ("win32", "darwin") or not os.environ.get("DISPLAY"):
        return False
    asked = os.environ.get("QT_QPA_PLATFORM", "")
    if asked:
        return asked.split(";")[0].split(":")[0] == "xcb"
    return not os.environ.get("WAYLAND_DISPLAY")  # on a Wayland desktop Qt tries Wayland first


def x11_plugin(plugin_folders: list[Path]) -> Path | None:
    """The X11 platform plugin Qt would load: QT_PLUGIN_PATH's folders first, then Qt's own."""
    extra = [Path(p) for p in os.environ.get("QT_PLUGIN_PATH", "").split(os.pathsep) if p]
    for folder in [*extra, *plugin_folders]:
        plugin = folder / "platforms" / "libqxcb.so"
        if plugin.is_file():
            return plugin
    return None


def missing_library(plugin: Path) -> str | None:
    """The first library the plugin cannot find, as the dynamic loader names it; None when it loads."""
    import ctypes  # here: the offscreen platform never needs it, and the sign-in window waits for every import

    try:
        ctypes.CDLL(str(plugin), mode=os.RTLD_LAZY | os.RTLD_LOCAL)
    except OSError as exc:
        found = re.match(r"([^\s:]+\.so[^\s:]*): cannot open shared object file", str(exc))
        if found:
            return found.group(1)
    return None


def refuse_missing_x11_libraries(plugin_folders: list[Path]) -> None:
    """Raise MissingSystemLibrary, in one sentence, where Qt's X11 plugin would fail to load for want of one."""
    if not uses_x11():
        return
    plugin = x11_plugin(plugin_folders)
    library = missing_library(plugin) if plugin is not None else None
    if library is None:
        return
    package = DEBIAN_PACKAGES.get(library)
    remedy = f"install it (on Debian or Ubuntu: apt-get install {package})" if package else "install it"
    raise MissingSystemLibrary(
        f"the window cannot open: the system library {library}, which Qt needs to draw on this screen, is "
        f"missing; {remedy} and start needlelog again."
    )
