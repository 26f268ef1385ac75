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

# Writes versions 0, 1, 2, ... of a state with 300 alerts (about 150 KB, so a
# write takes long enough to be interrupted), printing "ready" after the first.
WRITER = """
import sys
sys.path.insert(0, {root!r})
from e2echeck.alerting.sinks.base import Pending
from e2echeck.alerting.state import AlertState, FileStateStore, State
from e2echeck.alerting.transitions import Transition

store = FileStateStore(sys.argv[1])
version = int(sys.argv[2])
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
    if version == int(sys.argv[2]):
        print("ready", flush=True)
    version += 1
"""


@pytest.mark.slow
def test_state_file_is_never_corrupt_after_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    rng = random.Random(6)
    next_version = 0
    seen: set[int] = set()
    for _ in range(50):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER.format(root=str(ROOT)), str(path), str(next_version)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0, 0.03))  # somewhere in the middle of a later write
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        state = FileStateStore(path).load()  # raises StateError when corrupt
        assert state.updated_at is not None
        version = int(state.updated_at)
        # one of the versions written by this writer (it started at next_version)
        assert version >= next_version
        assert len(state.alerts) == 300
        assert all(a.consecutive_failures == version for a in state.alerts.values())
        seen.add(version)
        next_version = version + 1_000  # the next writer's versions are all new
    assert len(seen) == 50
