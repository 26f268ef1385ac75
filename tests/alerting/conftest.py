"""Fixtures for the alerting tests (the fake Events API and the heartbeat
endpoint are tests/conftest.py's `fake_pd` and `heartbeat_server`)."""

from __future__ import annotations

import pytest

from tests.support.servers import unused_port


@pytest.fixture
def refused_url() -> str:
    """An enqueue URL on 127.0.0.1 where nothing listens: connection refused."""
    return f"http://127.0.0.1:{unused_port()}/v2/enqueue"
