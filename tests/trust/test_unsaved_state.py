"""State that cannot be saved fails the run with exit 3 and names the events
delivered but not recorded; the next run reconciles (a passing check sends its
resolve even though the stale state says resolved). On a real full filesystem: a
small tmpfs, mounted when the suite runs as root."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.configs import QUICK_DEFAULTS, config_document, write_config
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import TestServer

ROUTING_KEY = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    where = tmp_path / "disk"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace')}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    with contextlib.suppress(OSError), filler.open("wb") as out:
        while True:
            out.write(b"\0" * 4096)
            out.flush()
    return filler


def _config(tmp_path: Path, server: TestServer, events_url: str, state: Path, status: int) -> str:
    checks = [{"name": "api", "url": server.url(f"/status/{status}")}]
    document = config_document(
        checks, defaults=QUICK_DEFAULTS, events_url=events_url, state=str(state)
    )
    return str(write_config(tmp_path, document, name=f"checks-{status}.yaml"))


def test_a_full_disk_fails_the_run_and_the_next_run_resolves(
    small_disk: Path, tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    state = small_disk / "state.json"
    passing = _config(tmp_path, http_server, fake_pd.url, state, 200)
    failing = _config(tmp_path, http_server, fake_pd.url, state, 500)
    env = {"PAGERDUTY_ROUTING_KEY": ROUTING_KEY}

    first = run_cli("run", passing, env=env)
    assert first.exit_code == 0, first.output
    fake_pd.reset()

    filler = _fill(small_disk)
    down = run_cli("run", failing, env=env)
    assert down.exit_code == 3, down.output
    assert [(e["event_action"], e["dedup_key"]) for e in fake_pd.events] == [("trigger", "api")]
    assert "delivered but not recorded: trigger api" in down.stderr, down.stderr
    assert "next run reconciles" in down.stderr
    fake_pd.reset()

    filler.unlink()
    up = run_cli("run", passing, env=env)
    assert up.exit_code == 0, up.output
    assert [(e["event_action"], e["dedup_key"]) for e in fake_pd.events] == [("resolve", "api")]
    assert "could not save it" in up.stderr
    fake_pd.reset()

    again = run_cli("run", passing, env=env)  # reconciled and saved: back to changes only
    assert again.exit_code == 0, again.output
    assert fake_pd.events == []
    assert not (small_disk / "state.json.unrecorded").exists()
