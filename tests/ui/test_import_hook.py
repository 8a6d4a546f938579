"""PySide6's import hook reads no module's source once the program has told it (needlelog/ui/widgets/import_hook.py).

In a fresh interpreter, as the program starts: the storage library imported after PySide6 leaves its files out of
linecache (the scan kept every file's text: some 20 MB). Without the call, the same import fills linecache, so the
test can fail.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, linecache, sys
told = False
if sys.argv[1] == "told":
    from needlelog.ui.widgets.import_hook import read_no_sources
    told = read_no_sources()
import PySide6.QtWidgets
import needlelog.services.store
read = sorted(n for n in linecache.cache if n.endswith(".py") and ("needlelog" in n or "sqlalchemy" in n))
print(json.dumps({"told": told, "read": read}))
"""


def probe(mode: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=60, check=True)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.timeout(120)
def test_the_hook_reads_no_source_once_told() -> None:
    told = probe("told")
    assert told["told"] is True
    assert told["read"] == []


@pytest.mark.timeout(120)
def test_untold_the_hook_reads_every_module_so_the_test_can_fail() -> None:
    untold = probe("untold")
    assert any("sqlalchemy" in name for name in untold["read"])  # type: ignore[union-attr]
