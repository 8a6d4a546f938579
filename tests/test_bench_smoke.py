"""The benchmarks keep working: the one command that runs them all, on a tiny chart, every script quick.

No figure is asserted (a timed test fails under load); what is asserted is that the runner makes its
chart the way a clinic's is made, runs every listed script that is there, that each writes rows of
the contract's shape, and that the chart is left unchanged (the runner fails the run otherwise).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(240)  # a whole-program run of every script: under a minute when the machine is not shared
def test_the_runner_runs_every_bench_script_on_a_tiny_chart(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run_all.py"),
            *("--sessions", "200", "--patients", "20", "--quick", "--no-write", "--workdir", str(tmp_path)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=230,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "machine: nproc" in out and "load average" in out
    table = [line for line in out.splitlines() if line.startswith("| ")][1:]  # the rows, under the heading
    targets = [line.split(" | ")[0] for line in table]
    assert targets[0] == "| needlelog seed of 200 sessions / 20 patients", targets
    assert any("a PDF visit note" in t for t in targets), targets
    assert any("a PDF each" in t for t in targets) and any("combined PDF" in t for t in targets), targets
    for script in ("bench_startup.py", "bench_ui.py"):
        if (ROOT / "bench" / script).exists():
            assert f"== {script}" in out
    assert list(tmp_path.glob("needlelog-bench-*")) == []  # the bench chart and its scratch copies are gone
