"""The packaged program, built once per test run from this checkout's app.spec.

Session-scoped and shared by the xdist workers: the first test that needs it builds it under a file
lock in the run's common temporary folder, the others (test_bundle.py, test_package.py, on any worker)
wait for that build and reuse it. Never the repository's build/ or dist/.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Below the 600 s limit of the tests that use it, so a stuck build fails with its own log rather than a bare timeout.
BUILD_TIMEOUT = 540


def shared_library_problem() -> str | None:
    """Why PyInstaller cannot bundle this Python, in words: it copies the Python shared library
    (libpython3.X.so.1.0), which Debian and Ubuntu ship apart and some self-built Pythons lack."""
    if sys.platform != "linux":
        return None
    name = sysconfig.get_config_var("INSTSONAME") or ""
    python = getattr(sys, "_base_executable", sys.executable)
    if not sysconfig.get_config_var("Py_ENABLE_SHARED") or ".so" not in name:
        return (
            f"This Python ({python}) was built without a shared library, which PyInstaller needs: use the "
            "distribution's python3, or rebuild it with --enable-shared (pyenv: PYTHON_CONFIGURE_OPTS=--enable-shared)."
        )
    folders = {sysconfig.get_config_var("LIBDIR") or "", os.path.join(sys.base_prefix, "lib")}
    if not any(os.path.exists(os.path.join(folder, name)) for folder in folders if folder):
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        return (
            f"{name}, the shared library of this Python ({python}), is missing: on Debian or Ubuntu install "
            f"libpython{version} (bash scripts/dev test does)."
        )
    return None


def build_bundle(work: Path) -> Path:
    """Run PyInstaller on app.spec into work/; the executable, or an AssertionError with the build's log."""
    dist = work / "dist"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--distpath",
            str(dist),
            "--workpath",
            str(work / "build"),
            "app.spec",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    assert build.returncode == 0, (
        f"PyInstaller failed:\n{build.stdout[-4000:]}\n{build.stderr[-8000:]}\n{shared_library_problem() or ''}"
    )
    executable = dist / "needlelog" / ("needlelog.exe" if os.name == "nt" else "needlelog")
    assert executable.is_file(), sorted(p.name for p in (dist / "needlelog").iterdir())
    return executable


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled executable, built from this checkout's app.spec once for the whole run."""
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.skip("PyInstaller is not installed; install the 'package' extra: pip install -e '.[package]'")
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER") and os.name == "posix":
        shared = shared.parent  # each xdist worker's basetemp is inside the run's common one: built there, locked
    work = shared / "pyinstaller"
    work.mkdir(exist_ok=True)
    with (shared / "pyinstaller.lock").open("w") as lock:
        if os.name == "posix":  # elsewhere each worker builds its own (no fcntl)
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if this worker dies
        failed = work / "failed.txt"
        if failed.exists():
            pytest.fail(f"the packaged build failed on another worker:\n{failed.read_text(encoding='utf-8')}")
        executable = work / "dist" / "needlelog" / ("needlelog.exe" if os.name == "nt" else "needlelog")
        if (work / "built").exists():
            return executable
        try:
            executable = build_bundle(work)
        except AssertionError as error:
            failed.write_text(str(error), encoding="utf-8")
            raise
        (work / "built").touch()
        return executable
