"""Transport behaviour against real servers on 127.0.0.1: statuses, redirects,
timeouts, refused and reset connections, stalls, huge bodies, host names."""

from __future__ import annotations

import contextlib
import socket
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from e2echeck.config import Config
from e2echeck.engine import Outcome, run_checks
from e2echeck.engine.results import CheckResult
from tests.support.servers import TestServer

MakeConfig = Callable[..., Config]


def run_one(make_config: MakeConfig, check: dict[str, Any], **defaults: Any) -> CheckResult:
    check.setdefault("name", "probe")
    return run_checks(make_config([check], **defaults)).results[0]


@pytest.mark.parametrize("status", [200, 201, 204, 299])
def test_any_2xx_passes_by_default(
    http_server: TestServer, make_config: MakeConfig, status: int
) -> None:
    result = run_one(make_config, {"url": http_server.url(f"/status/{status}")})
    assert result.outcome is Outcome.OK
    assert result.details["status_code"] == status
    assert result.attempts == 1
    assert result.failures == []


@pytest.mark.parametrize(
    ("expected", "got", "reason"),
    [
        (200, 503, "expected status 200, got 503"),
        ([200, 204], 404, "expected status 200 or 204, got 404"),
        ("2xx", 500, "expected status 2xx, got 500"),
        ("4xx", 200, "expected status 4xx, got 200"),
    ],
)
def test_status_mismatch_says_expected_and_got(
    http_server: TestServer, make_config: MakeConfig, expected: Any, got: int, reason: str
) -> None:
    result = run_one(
        make_config,
        {"url": http_server.url(f"/status/{got}"), "expect": {"status": expected}},
    )
    assert result.outcome is Outcome.FAILED
    assert result.details["status_code"] == got
    assert result.failures == [reason]


def test_status_class_and_list_pass(http_server: TestServer, make_config: MakeConfig) -> None:
    config = make_config(
        [
            {"name": "a", "url": http_server.url("/status/404"), "expect": {"status": "4xx"}},
            {"name": "b", "url": http_server.url("/status/204"), "expect": {"status": [200, 204]}},
        ]
    )
    assert [r.outcome for r in run_checks(config).results] == [Outcome.OK, Outcome.OK]


def test_redirects_are_followed(http_server: TestServer, make_config: MakeConfig) -> None:
    result = run_one(make_config, {"url": http_server.url("/redirect/3")})
    assert result.outcome is Outcome.OK
    assert result.details["status_code"] == 200
    assert result.details["url"].endswith("/redirect/0")


def test_redirects_not_followed_when_disabled(
    http_server: TestServer, make_config: MakeConfig
) -> None:
    result = run_one(
        make_config,
        {"url": http_server.url("/redirect/3"), "follow_redirects": False},
    )
    assert result.details["status_code"] == 302
    assert result.failures == ["expected status 2xx, got 302"]
    ok = run_one(
        make_config,
        {
            "url": http_server.url("/redirect/1"),
            "follow_redirects": False,
            "expect": {"status": 302},
        },
    )
    assert ok.outcome is Outcome.OK


def test_redirect_loop_is_a_plain_failure(http_server: TestServer, make_config: MakeConfig) -> None:
    result = run_one(make_config, {"url": http_server.url("/redirect-loop")})
    assert result.outcome is Outcome.FAILED
    assert result.reason.startswith("more than 20 redirects")


def test_cookie_set_by_a_redirect_is_sent_to_its_target(
    http_server: TestServer, make_config: MakeConfig
) -> None:
    result = run_one(make_config, {"url": http_server.url("/cookie/set-and-redirect")})
    assert result.outcome is Outcome.OK, result.failures


def test_checks_do_not_share_cookies(http_server: TestServer, make_config: MakeConfig) -> None:
    config = make_config([{"name": "set", "url": http_server.url("/cookie/set")}])
    check_config = make_config(
        [{"name": "check", "url": http_server.url("/cookie/check"), "expect": {"status": 401}}]
    )
    assert run_checks(config).results[0].ok
    assert run_checks(check_config).results[0].ok


def test_slow_response_within_timeout_passes(
    http_server: TestServer, make_config: MakeConfig
) -> None:
    result = run_one(make_config, {"url": http_server.url("/delay/0.3"), "timeout": "3s"})
    assert result.outcome is Outcome.OK
    assert result.duration_ms >= 250


def test_timeout_waiting_for_response(http_server: TestServer, make_config: MakeConfig) -> None:
    started = time.monotonic()
    result = run_one(make_config, {"url": http_server.url("/delay/5"), "timeout": "300ms"})
    assert time.monotonic() - started < 3
    assert result.outcome is Outcome.FAILED
    assert (
        result.reason
        == f"timed out after 300ms waiting for a response from 127.0.0.1:{http_server.port}"
    )


def test_connect_timeout_reason_names_the_host(make_config: MakeConfig) -> None:
    # A listening socket whose backlog is full: the TCP handshake never completes.
    # Some kernels still complete it; then the timeout is reported while waiting.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        for _ in range(8):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        try:
            result = run_one(make_config, {"url": f"http://127.0.0.1:{port}/", "timeout": "300ms"})
        finally:
            for filler in fillers:
                filler.close()
    assert result.outcome is Outcome.FAILED
    assert result.reason.startswith("timed out after 300ms ")
    assert f"127.0.0.1:{port}" in result.reason


def test_connection_refused(refused_url: str, make_config: MakeConfig) -> None:
    result = run_one(make_config, {"url": refused_url})
    assert result.outcome is Outcome.FAILED
    assert result.details["status_code"] is None
    port = refused_url.rsplit(":", 1)[1].strip("/")
    assert result.failures == [f"connection refused by 127.0.0.1:{port}"]


def test_unresolvable_host(make_config: MakeConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    # The resolver (not the HTTP client) is replaced in-process for .invalid names,
    # so no lookup leaves the machine; the client, the connection attempt and the
    # error handling are the real ones.
    real = socket.getaddrinfo
    asked: list[str] = []

    def resolver(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode("idna") if isinstance(host, bytes) else str(host)
        if name in ("127.0.0.1", "localhost", "::1"):
            return real(host, *args, **kwargs)
        asked.append(name)  # any other name: answered here, never by the network
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    result = run_one(make_config, {"url": "http://nonexistent.invalid/health"})
    assert asked == ["nonexistent.invalid"]
    assert result.outcome is Outcome.FAILED
    assert result.failures == ["could not resolve the host name nonexistent.invalid"]


def test_connection_reset(http_server: TestServer, make_config: MakeConfig) -> None:
    result = run_one(make_config, {"url": http_server.url("/reset")})
    assert result.outcome is Outcome.FAILED
    host = f"127.0.0.1:{http_server.port}"
    assert result.reason in (
        f"connection to {host} was reset before a response arrived",
        f"{host} closed the connection before a response arrived",
    )


def test_headers_then_stalled_body(http_server: TestServer, make_config: MakeConfig) -> None:
    started = time.monotonic()
    result = run_one(make_config, {"url": http_server.url("/stall"), "timeout": "400ms"})
    assert time.monotonic() - started < 3
    assert result.outcome is Outcome.FAILED
    assert result.reason == (
        f"timed out after 400ms reading the response body from 127.0.0.1:{http_server.port}"
    )


def test_50_mib_body_is_read_only_up_to_the_cap(
    http_server: TestServer, make_config: MakeConfig
) -> None:
    config = make_config(
        [
            {
                "name": "big",
                "url": http_server.url("/big/50"),
                "expect": {"body_contains": ["start of a big body"]},
            }
        ]
    )
    tracemalloc.start()
    try:
        started = time.monotonic()
        result = run_checks(config).results[0]
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.outcome is Outcome.OK, result.failures
    assert peak < 12 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    assert elapsed < 5


def test_endless_body_passes_unless_an_assertion_needs_the_rest(
    http_server: TestServer, make_config: MakeConfig
) -> None:
    config = make_config(
        [
            {"name": "status-only", "url": http_server.url("/endless")},
            {
                "name": "not-contains",
                "url": http_server.url("/endless"),
                "expect": {"body_not_contains": "maintenance"},
            },
            {
                "name": "contains",
                "url": http_server.url("/endless"),
                "expect": {"body_contains": "never there"},
            },
            {
                "name": "json",
                "url": http_server.url("/endless"),
                "expect": {"json": {"$.a": 1}},
            },
        ]
    )
    status_only, not_contains, contains, as_json = run_checks(config).results
    assert status_only.outcome is Outcome.OK
    assert not_contains.failures == [
        "cannot tell whether the body contains 'maintenance': it is larger than 1 MiB "
        "and only its start was read"
    ]
    assert contains.failures == [
        "body does not contain 'never there' (only the first 1 MiB of the body was read)"
    ]
    assert as_json.failures == ["the body is larger than 1 MiB, so it cannot be read as JSON"]


def test_invalid_url_after_capture_is_a_failure_not_a_crash(
    http_server: TestServer, make_config: MakeConfig
) -> None:
    http_server.set_json("weird-id", {"id": "a b/../\x00"})
    result = run_one(
        make_config,
        {
            "steps": [
                {
                    "name": "get",
                    "url": http_server.url("/json/weird-id"),
                    "capture": {"id": "$.id"},
                },
                {"name": "use", "url": "http://127.0.0.1:1/{{ id }}"},
            ]
        },
    )
    assert result.outcome is Outcome.FAILED
    assert result.kind_details.step == "use"


def test_verify_tls_false_accepts_an_untrusted_certificate(
    tls_server: TestServer, make_config: MakeConfig
) -> None:
    config = make_config(
        [
            {"name": "verified", "url": tls_server.url("/")},
            {"name": "unverified", "url": tls_server.url("/"), "verify_tls": False},
        ]
    )
    verified, unverified = run_checks(config).results  # the system CAs: not our test CA
    assert verified.outcome is Outcome.FAILED
    assert verified.reason.startswith(
        f"TLS certificate of 127.0.0.1:{tls_server.port} is not valid"
    )
    assert unverified.outcome is Outcome.OK
