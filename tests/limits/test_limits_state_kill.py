"""The state file survives SIGKILL at any point of a write: after each kill it
parses and is one of the versions that were written (50 random kills)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from e2echeck.alerting.state import FileStateStore

ROOT = Path(__file__).resolve().parents[2]

# A zygote: imports e2echeck once, then for each version read on stdin forks a
# writer that saves versions N, N+1, ... of a state with 300 alerts (about 150 KB,
# so a write takes long enough to be interrupted) and prints "ready <pid>" after
# the first; once that writer is killed and reaped, the zygote prints "reaped".
# (A fresh interpreter per kill spent most of the test importing.)
WRITER = """
import os
import sys
sys.path.insert(0, {root!r})
from e2echeck.alerting.sinks.base import Pending
from e2echeck.alerting.state import AlertState, FileStateStore, State
from e2echeck.alerting.transitions import Transition

def write_from(store, first):
    version = first
    while True:
        alerts = {{
            f"check-{{i}}": AlertState(
                check=f"check-{{i}}", state="open", consecutive_failures=version,
                undelivered=[Pending("pagerduty", Transition("trigger", f"check-{{i}}",
                                                             f"check-{{i}}", summary="x" * 300))],
            )
            for i in range(300)
        }}
        store.save(State(alerts, updated_at=str(version)))
        if version == first:
            print("ready", os.getpid(), flush=True)
        version += 1

for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        try:
            write_from(FileStateStore(sys.argv[1]), int(line))
        finally:
            os._exit(1)
    os.waitpid(pid, 0)
    print("reaped", flush=True)
"""


@pytest.mark.slow
def test_state_file_is_never_corrupt_after_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    rng = random.Random(6)
    next_version = 0
    seen: set[int] = set()
    zygote = subprocess.Popen(
        [sys.executable, "-c", WRITER.format(root=str(ROOT)), str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert zygote.stdin is not None and zygote.stdout is not None
    try:
        for _ in range(50):
            zygote.stdin.write(f"{next_version}\n")
            zygote.stdin.flush()
            ready, pid = zygote.stdout.readline().split()
            assert ready == "ready"
            time.sleep(rng.uniform(0, 0.03))  # somewhere in the middle of a later write
            os.kill(int(pid), signal.SIGKILL)
            assert zygote.stdout.readline().strip() == "reaped"
            next_version = _check(path, next_version, seen)
    finally:
        zygote.kill()
        zygote.wait()
    assert len(seen) == 50


def _check(path: Path, next_version: int, seen: set[int]) -> int:
    """The state parses and is one version the killed writer wrote; the next
    writer's first version."""
    state = FileStateStore(path).load()  # raises StateError when corrupt
    assert state.updated_at is not None
    version = int(state.updated_at)
    # one of the versions written by this writer (it started at next_version)
    assert version >= next_version
    assert len(state.alerts) == 300
    assert all(a.consecutive_failures == version for a in state.alerts.values())
    seen.add(version)
    return version + 1_000  # the next writer's versions are all new
