"""A run as a whole: retries, concurrency, deadline, control checks, selection."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from e2echeck.config import Config
from e2echeck.engine import CheckResult, Outcome, run_checks
from e2echeck.engine.retries import backoff_delay
from e2echeck.runner import RunOptions, SelectionError, execute, run_exit_code, select_checks
from tests.support.servers import TestServer

MakeConfig = Callable[..., Config]


def test_fails_twice_then_succeeds_passes_with_three_attempts(
    http_server: TestServer, make_config: MakeConfig
) -> None:
    key = http_server.unique("flaky")
    config = make_config(
        [{"name": "flaky", "url": http_server.url(f"/flaky/{key}/2"), "retries": 2}],
        retry_delay="20ms",
    )
    result = run_checks(config).results[0]
    assert result.outcome is Outcome.OK
    assert result.attempts == 3
    assert result.failures == []
    assert result.retried_reasons == ["expected status 2xx, got 503"] * 2
    assert result.elapsed_ms >= 20 + 40  # two waits, growing


def test_retries_exhausted_fails_with_every_attempt_recorded(
    http_server: TestServer, make_config: MakeConfig
) -> None:
    key = http_server.unique("flaky")
    config = make_config(
        [{"name": "flaky", "url": http_server.url(f"/flaky/{key}/5"), "retries": 1}]
    )
    result = run_checks(config).results[0]
    assert result.outcome is Outcome.FAILED
    assert result.attempts == 2
    assert http_server.counters[key] == 2


def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    assert backoff_delay(1.0, 1, lambda: 0.0) == 1.0
    assert backoff_delay(1.0, 2, lambda: 0.0) == 2.0
    assert backoff_delay(1.0, 3, lambda: 1.0) == 6.0
    assert backoff_delay(10.0, 10, lambda: 0.0) == 60.0  # capped
    delays = {backoff_delay(1.0, 1) for _ in range(20)}
    assert len(delays) > 1 and all(1.0 <= d <= 1.5 for d in delays)


def test_200_slow_checks_run_concurrently(http_server: TestServer, make_config: MakeConfig) -> None:
    config = make_config(
        [{"name": f"slow-{i}", "url": http_server.url(f"/delay/0.5?i={i}")} for i in range(200)]
    )
    seen: list[CheckResult] = []
    started = time.monotonic()
    run = run_checks(config, concurrency=100, on_result=seen.append)
    elapsed = time.monotonic() - started
    assert all(r.ok for r in run.results), [r.failures for r in run.results if not r.ok][:3]
    assert elapsed < 10, f"{elapsed:.1f}s for 200 checks of 0.5s"
    assert len(seen) == 200
    assert [r.name for r in run.results] == [f"slow-{i}" for i in range(200)]  # file order


def test_deadline_skips_checks_not_started_and_cuts_running_ones(
    http_server: TestServer, make_config: MakeConfig
) -> None:
    config = make_config(
        [
            {"name": "running", "url": http_server.url("/delay/3")},
            {"name": "waiting", "url": http_server.url("/status/200")},
        ],
        timeout="10s",
    )
    started = time.monotonic()
    running, waiting = run_checks(config, concurrency=1, deadline=0.4).results
    assert time.monotonic() - started < 2.5
    assert running.outcome is Outcome.FAILED
    assert running.reason.startswith("cut by the run's deadline (400ms) after ")
    assert running.attempts == 1
    assert waiting.outcome is Outcome.SKIPPED
    assert waiting.failures == ["not started before the run's deadline (400ms)"]
    assert waiting.attempts == 0


def test_deadline_stops_the_wait_between_retries(
    http_server: TestServer, make_config: MakeConfig
) -> None:
    config = make_config(
        [{"name": "down", "url": http_server.url("/status/503"), "retries": 3}],
        retry_delay="5s",
    )
    started = time.monotonic()
    result = run_checks(config, deadline=0.5).results[0]
    assert time.monotonic() - started < 2.5
    assert result.outcome is Outcome.FAILED
    assert result.failures == [
        "the run's deadline (500ms) stopped the retries after 1 attempt",
        "expected status 2xx, got 503",
    ]
    assert result.attempts == 1


def test_zero_deadline_skips_everything(http_server: TestServer, make_config: MakeConfig) -> None:
    config = make_config([{"name": "a", "url": http_server.url("/status/200")}])
    (result,) = run_checks(config, deadline=0).results
    assert result.outcome is Outcome.SKIPPED


def test_every_control_check_failing_makes_the_others_unknown(
    http_server: TestServer, make_config: MakeConfig, refused_url: str
) -> None:
    config = make_config(
        [
            {"name": "service", "url": http_server.url("/status/200")},
            {"name": "control", "role": "control", "url": refused_url},
        ]
    )
    order: list[str] = []
    run = run_checks(config, on_result=lambda r: order.append(r.name))
    service, control = run.results
    assert order == ["control", "service"]  # control checks run first
    assert run.connectivity_lost
    assert control.outcome is Outcome.FAILED
    assert service.outcome is Outcome.UNKNOWN
    assert service.details["status_code"] == 200  # it did run
    assert service.reason == (
        "unknown: every control check failed (control), so the checker itself seems cut "
        "off from the network"
    )


def test_one_control_check_passing_keeps_results(
    http_server: TestServer, make_config: MakeConfig, refused_url: str
) -> None:
    config = make_config(
        [
            {"name": "service", "url": http_server.url("/status/500")},
            {"name": "control-a", "role": "control", "url": refused_url},
            {"name": "control-b", "role": "control", "url": http_server.url("/generate_204")},
        ]
    )
    run = run_checks(config)
    assert not run.connectivity_lost
    assert [r.outcome for r in run.results] == [Outcome.FAILED, Outcome.FAILED, Outcome.OK]


def test_disabled_checks_are_neither_run_nor_reported(
    http_server: TestServer, make_config: MakeConfig
) -> None:
    config = make_config(
        [
            {"name": "on", "url": http_server.url("/status/200")},
            {"name": "off", "url": http_server.url("/status/410"), "enabled": False},
        ]
    )
    before = len(http_server.requests_to("/status/410"))
    run = run_checks(config)
    assert [r.name for r in run.results] == ["on"]
    assert len(http_server.requests_to("/status/410")) == before


def test_request_headers_merge_defaults_and_check(
    http_server: TestServer, make_config: MakeConfig
) -> None:
    config = make_config(
        [
            {
                "name": "h",
                "url": http_server.url("/headers"),
                "headers": {"X-Check": "1", "user-agent": "custom/1"},
                "expect": {
                    "json": {
                        "$.headers.x-default": "d",
                        "$.headers.x-check": "1",
                        "$.headers.user-agent": "custom/1",
                    }
                },
            }
        ],
        headers={"X-Default": "d"},
    )
    result = run_checks(config).results[0]
    assert result.outcome is Outcome.OK, result.failures


def _config_for_selection(make_config: MakeConfig, url: str) -> Config:
    return make_config(
        [
            {"name": "api-health", "url": url, "tags": ["api"]},
            {"name": "api-orders", "url": url, "tags": ["api", "slow"]},
            {"name": "site-home", "url": url, "tags": ["site"]},
            {"name": "net", "url": url, "role": "control"},
            {"name": "old", "url": url, "enabled": False, "tags": ["api"]},
        ]
    )


@pytest.mark.parametrize(
    ("only", "tags", "names"),
    [
        ((), (), ["api-health", "api-orders", "site-home", "net"]),
        (("api-*",), (), ["api-health", "api-orders", "net"]),
        (("site-home",), (), ["site-home", "net"]),
        (("site-home", "api-health"), (), ["api-health", "site-home", "net"]),
        ((), ("slow",), ["api-orders", "net"]),
        ((), ("site", "slow"), ["api-orders", "site-home", "net"]),
        (("api-*",), ("slow",), ["api-orders", "net"]),
        (("net",), (), ["net"]),
    ],
)
def test_select_checks(
    make_config: MakeConfig, only: tuple[str, ...], tags: tuple[str, ...], names: list[str]
) -> None:
    config = _config_for_selection(make_config, "http://127.0.0.1:1/")
    assert [c.name for c in select_checks(config, only, tags)] == names


@pytest.mark.parametrize(
    ("only", "tags", "message"),
    [
        (
            ("sit-home",),
            (),
            "--only 'sit-home' matches no enabled check; did you mean \"site-home\"?",
        ),
        (("old",), (), "--only 'old' matches no enabled check"),
        ((), ("apj",), "--tag 'apj' is on no enabled check; did you mean \"api\"?"),
        (("site-*",), ("slow",), "no enabled check matches both --only and --tag"),
    ],
)
def test_selection_errors(
    make_config: MakeConfig, only: tuple[str, ...], tags: tuple[str, ...], message: str
) -> None:
    config = _config_for_selection(make_config, "http://127.0.0.1:1/")
    with pytest.raises(SelectionError) as error:
        select_checks(config, only, tags)
    assert str(error.value) == message


def test_execute_runs_the_selection_and_sets_the_exit_code(
    http_server: TestServer, make_config: MakeConfig
) -> None:
    config = make_config(
        [
            {"name": "good", "url": http_server.url("/status/200")},
            {"name": "bad", "url": http_server.url("/status/500")},
        ]
    )
    assert execute(config, RunOptions(only=["good"], alert=False)).exit_code == 0
    outcome = execute(config, RunOptions(alert=False))
    assert outcome.exit_code == 1
    assert outcome.alerts is not None
    assert {name: a.action for name, a in outcome.alerts.items()} == {
        "good": "resolve",
        "bad": "trigger",
    }
    assert all(a.delivery == "not sent (--no-alert)" for a in outcome.alerts.values())
    assert run_exit_code(outcome.run, undelivered=True) == 3
