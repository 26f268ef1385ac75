"""The tcp:// kind against real listeners on 127.0.0.1: connect time, banners,
a text sent, refusals and timeouts in plain words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from e2echeck.config import Config
from e2echeck.engine import Outcome, run_checks
from tests.support.servers import unused_port, wait_until
from tests.support.sockets import SocketServer, banner, silent


def _run(make_config: Callable[..., Config], **check: Any) -> Any:
    config = make_config([{"name": "t", **check}])
    return run_checks(config).results[0]


def test_a_port_that_accepts_passes_with_its_connect_time(
    make_config: Callable[..., Config], smtp_banner: SocketServer
) -> None:
    before = smtp_banner.connections
    result = _run(make_config, url=smtp_banner.url("tcp"))
    assert result.outcome is Outcome.OK, result.failures
    assert wait_until(lambda: smtp_banner.connections == before + 1)
    details = result.details
    assert details["url"] == smtp_banner.url("tcp") and details["connected"] is True
    assert 0 <= details["connect_ms"] < 5000
    assert result.kind_details.status_cell == "TCP"
    assert result.source == "127.0.0.1"


def test_a_refused_port_fails_in_plain_words(make_config: Callable[..., Config]) -> None:
    port = unused_port()
    result = _run(make_config, url=f"tcp://127.0.0.1:{port}")
    assert result.outcome is Outcome.FAILED
    assert result.failures == [f"connection refused by 127.0.0.1:{port}"]
    assert result.details["connected"] is False


def test_a_banner_is_matched_against_what_the_server_sends_first(
    make_config: Callable[..., Config], smtp_banner: SocketServer
) -> None:
    ok = _run(make_config, url=smtp_banner.url("tcp"), expect={"banner": "^220 "})
    assert ok.outcome is Outcome.OK, ok.failures
    assert ok.details["banner"] == "220 mail.test ESMTP ready\\r\\n"
    bad = _run(make_config, url=smtp_banner.url("tcp"), expect={"banner": "^554 "})
    assert bad.outcome is Outcome.FAILED
    assert bad.failures == [
        "the server closed the connection without a banner matching '^554 ' "
        "(it sent '220 mail.test ESMTP ready\\\\r\\\\n')"
    ]


def test_send_with_escapes_and_the_answer_matched(make_config: Callable[..., Config]) -> None:
    with SocketServer(banner(b"", answer=b"+PONG\r\n")) as redis:
        result = _run(
            make_config, url=redis.url("tcp"), send=r"PING\r\n", expect={"banner": r"^\+PONG"}
        )
        assert result.outcome is Outcome.OK, result.failures
        assert redis.received == [b"PING\r\n"]


def test_a_silent_server_times_out_waiting_for_the_banner(
    make_config: Callable[..., Config],
) -> None:
    with SocketServer(silent) as server:
        result = _run(make_config, url=server.url("tcp"), timeout="300ms", expect={"banner": "."})
    assert result.outcome is Outcome.FAILED
    assert result.failures == [
        f"timed out after 0.3s during the read of the banner with 127.0.0.1:{server.port}"
    ]


def test_max_response_time_applies_to_the_banner(make_config: Callable[..., Config]) -> None:
    with SocketServer(banner(b"220 slow\r\n", delay=0.3)) as server:
        result = _run(
            make_config,
            url=server.url("tcp"),
            expect={"banner": "^220", "max_response_time": "100ms"},
        )
    assert result.outcome is Outcome.FAILED
    assert result.failures[-1].startswith("took ")
    assert result.failures[-1].endswith("over max_response_time 100ms")
