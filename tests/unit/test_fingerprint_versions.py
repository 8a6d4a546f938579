"""The signed notes' fingerprint is the same digest under every Python the program may run on.

The canonical form (SHA-256 of the content's compact, key-sorted, not ASCII-escaped JSON) is fixed: a
digest stored when a note was signed must be recomputed, years later, by whatever Python then runs the
program. The domain needs only the standard library, so each other installed CPython 3.11+ computes the
known notes' digests in a subprocess.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.known_notes import KNOWN, digests

ROOT = Path(__file__).resolve().parents[2]


def _runs(python: str) -> bool:
    """A version manager's shim is on the PATH even where its version is not selected: ask it."""
    probe = subprocess.run([python, "-I", "-c", "pass"], capture_output=True, timeout=30, check=False)
    return probe.returncode == 0


def _other_pythons() -> list[str]:
    """CPython 3.11+ other than this one: on the PATH as python3.N, or listed in $NEEDLELOG_TEST_PYTHONS."""
    named = [p for p in os.environ.get("NEEDLELOG_TEST_PYTHONS", "").split(os.pathsep) if p]
    on_path = [shutil.which(f"python3.{minor}") for minor in range(11, 16) if minor != sys.version_info.minor]
    return sorted({p for p in [*named, *on_path] if p is not None and _runs(p)})


OTHERS = _other_pythons()


def test_the_known_notes_have_the_digests_their_signatures_hold() -> None:
    assert digests() == KNOWN


@pytest.mark.skipif(not OTHERS, reason="no other Python 3.11+ installed on this machine")
@pytest.mark.parametrize("python", OTHERS)
def test_every_installed_python_computes_the_same_fingerprints(python: str) -> None:
    done = subprocess.run(
        [
            python,
            "-I",
            "-c",
            "import sys; sys.path.insert(0, '.'); import runpy; "
            "runpy.run_module('tests.unit.known_notes', run_name='__main__')",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert tuple(done.stdout.split()) == KNOWN
