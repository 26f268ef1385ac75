"""A server that never stops sending: the check ends at its timeout (or at the
body cap, whichever comes first) and memory stays flat."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Iterator

import pytest

from e2echeck.config import Config
from e2echeck.engine import BODY_LIMIT, Outcome, run_checks
from tests.support.servers import Reply, Request, TestServer

MakeConfig = Callable[..., Config]


def _trickle(server: TestServer) -> Callable[[Request], Reply]:
    """An endless body sent slowly (1 KiB every 5 ms): the body cap is never
    reached before the timeout, so only the timeout can end the check."""

    def handler(request: Request) -> Reply:
        def body() -> Iterator[bytes]:
            chunk = b"z" * 1024
            while not server.stopping.is_set():
                yield chunk
                time.sleep(0.005)

        return Reply(200, body(), chunked=True)

    return handler


@pytest.mark.slow
def test_endless_trickle_ends_at_the_timeout_with_memory_flat(
    make_config: MakeConfig,
) -> None:
    with TestServer() as server:
        server.add_route("GET", r"/trickle", _trickle(server))
        config = make_config(
            [{"name": "endless", "url": server.url("/trickle"), "timeout": "1500ms"}]
        )
        run_checks(config)  # warm-up: imports, TLS context, caches
        tracemalloc.start()
        try:
            start = time.monotonic()
            result = run_checks(config).results[0]
            elapsed = time.monotonic() - start
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.outcome is Outcome.FAILED
    assert "timed out after 1.5s reading the response body" in result.failures[0]
    assert 1.5 <= elapsed < 3.5  # ends at its timeout, not at the body's end (never)
    # ~300 KiB arrived in 1.5 s; the run must not hold much more than that.
    assert peak < 4 * 1024 * 1024, f"peak {peak / 1048576:.1f} MiB"


@pytest.mark.slow
def test_endless_flood_stops_at_the_body_cap_with_memory_flat(
    make_config: MakeConfig,
) -> None:
    """As fast as the loopback allows: reading stops at the body cap, well
    before the timeout, and memory stays near the cap whatever was sent."""
    with TestServer() as server:
        config = make_config([{"name": "flood", "url": server.url("/endless"), "timeout": "5s"}])
        run_checks(config)
        tracemalloc.start()
        try:
            start = time.monotonic()
            result = run_checks(config).results[0]
            elapsed = time.monotonic() - start
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.outcome is Outcome.OK  # status 200; no assertion needs the rest
    assert elapsed < 5.0
    assert peak < 3 * BODY_LIMIT + 2 * 1024 * 1024, f"peak {peak / 1048576:.1f} MiB"
