"""Memory of a run grows linearly and slowly with its checks: 10,000 checks
stay within the 1,000-check target (100 MB) scaled linearly, and far below."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGET_MB_PER_1000 = 100.0


@pytest.fixture(scope="module")
def fast_target() -> Iterator[str]:
    """bench/servers.py: answers at once, holds any number of connections."""
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "servers.py"), "target"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdin is not None
    port = server.stdout.readline().split()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stdin.close()
        server.wait(timeout=10)


def peak_rss_mb(base: str, count: int, tmp_path: Path) -> float:
    config = tmp_path / f"checks-{count}.yaml"
    lines = ["version: 1", "defaults: {retries: 0, timeout: 10s}", "checks:"]
    lines += [f"  - {{name: c{i}, url: '{base}/c{i}'}}" for i in range(count)]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # bench/hwm.py reports VmHWM: ru_maxrss would count this pytest process too
    # (Linux keeps the high-water mark of the forked copy before exec).
    peak = tmp_path / f"peak-{count}"
    command = [sys.executable, str(ROOT / "bench" / "hwm.py"), str(peak)]
    command += ["-m", "e2echeck", "run", str(config), "--no-alert", "-q"]
    command += ["--concurrency", "100", "--format", "json"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run(command, stdout=subprocess.DEVNULL, cwd=ROOT, env=env, check=True)
    return int(peak.read_text()) / 1024  # KiB


@pytest.mark.slow
def test_run_memory_grows_linearly_within_the_scaled_target(
    fast_target: str, tmp_path: Path
) -> None:
    small = peak_rss_mb(fast_target, 200, tmp_path)
    large = peak_rss_mb(fast_target, 2_000, tmp_path)
    per_check_kb = (large - small) / 1_800 * 1024
    projected_10k = small + per_check_kb / 1024 * 9_800
    print(
        f"peak RSS: 200 checks {small:.1f} MB, 2,000 checks {large:.1f} MB; "
        f"{per_check_kb:.1f} KB per check; 10,000 projected {projected_10k:.0f} MB"
    )
    assert large <= TARGET_MB_PER_1000 * 2
    assert projected_10k <= TARGET_MB_PER_1000 * 10
    # Far below that in fact: the whole run of 10,000 checks fits in one Lambda of 512 MB.
    assert projected_10k <= 400
