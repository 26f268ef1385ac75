"""Fixtures for the alerting tests: a fake Events API v2 and a heartbeat endpoint."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# tests/ holds fake_pagerduty.py, shared with other test directories.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fake_pagerduty import FakePagerDuty, HeartbeatServer


@pytest.fixture
def fake_pd() -> Iterator[FakePagerDuty]:
    fake = FakePagerDuty().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def heartbeat_server() -> Iterator[HeartbeatServer]:
    server = HeartbeatServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def refused_url() -> str:
    """An enqueue URL on 127.0.0.1 where nothing listens: connection refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v2/enqueue"
