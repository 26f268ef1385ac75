"""The benchmark must not rot: run it with tiny sizes and check every row is printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

ROWS = [
    "run: 20 checks, 50 ms target, conc 10: wall",
    "run: 20 checks: CPU (user+sys)",
    "run: 20 checks: peak RSS",
    "deliver 10 events, PagerDuty answering in 50 ms",
    "start-up: e2echeck --version",
    "start-up: e2echeck validate checks.yaml",
    "start-up: validate vs its deps as loaded",
    "start-up: import e2echeck.lambda_handler",
    "validate a file of 100 checks",
    "Lambda zip, python3.12 x86_64 (quick: no dependencies)",
    "locations: 100 checks x 3 locations, state size",
    "locations: 100 checks x 3 locations, decision",
]


@pytest.mark.slow
def test_quick_benchmark_prints_every_row(tmp_path: Path) -> None:
    env = dict(os.environ, E2ECHECK_BENCH_CACHE=str(tmp_path / "cache"))
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--repeat", "1"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["measurement", "median", "min"]
    for row in ROWS:
        found = [line for line in lines if line.startswith(row + " ")]
        assert found, f"row {row!r} missing from:\n{done.stdout}"
        cells = found[0][len(row) :].split()
        assert cells[1] in ("s", "ms", "MB"), found[0]  # a figure with its unit


@pytest.mark.slow
def test_one_row_runs_alone() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--only", "locations"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("locations: ")]
    assert len(rows) == 2, done.stdout
    assert not any(line.startswith("start-up") for line in done.stdout.splitlines())
