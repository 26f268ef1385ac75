"""Delivery: endpoints, retries, bounds, concurrency, against the fake Events API."""

from __future__ import annotations

import subprocess
import sys
import time

from e2echeck.alerting import DeliveryPolicy
from e2echeck.alerting.delivery import backoff
from e2echeck.alerting.sinks.pagerduty import pagerduty_message
from e2echeck.config import Config
from e2echeck.engine.results import RunResult
from tests.alerting.helpers import FAST, by_key, make_config, result, run_of, service
from tests.support.alerting import send_alerts
from tests.support.pagerduty import FakePagerDuty, Reply


def _one_failure(url: str) -> tuple[Config, RunResult]:
    config = make_config(url, [service("a")])
    return config, run_of(result(config, "a", "failed"))


def test_eu_region_url_is_computed_never_sent() -> None:
    from e2echeck.alerting.sinks.pagerduty import client as _client

    config = make_config("https://x.invalid/v2/enqueue", pagerduty={"events_url": None})
    assert config.pagerduty is not None
    assert config.pagerduty.enqueue_url == "https://events.pagerduty.com/v2/enqueue"
    eu = config.pagerduty.model_copy(update={"region": "eu"})
    assert eu.enqueue_url == "https://events.eu.pagerduty.com/v2/enqueue"
    client = _client.make_client("k" * 32, eu.enqueue_url)  # built, never used
    try:
        assert client.url == "https://events.eu.pagerduty.com"
        assert client.normalize_url("/v2/enqueue") == eu.enqueue_url
    finally:
        client.close()


def test_a_2xx_that_is_not_pagerduty_is_not_delivered(fake_pd: FakePagerDuty) -> None:
    fake_pd.script(Reply(200, {"portal": "please log in"}))
    config, run = _one_failure(fake_pd.url)
    report = send_alerts(config, run, dry_run=False, policy=FAST)
    assert len(fake_pd.requests) == 1
    assert report.undelivered == 1
    assert "unexpected answer" in report.checks["a"].delivery


def test_retry_after_is_honoured(fake_pd: FakePagerDuty) -> None:
    fake_pd.script(Reply(429, headers={"Retry-After": "0.3"}))
    config, run = _one_failure(fake_pd.url)
    report = send_alerts(config, run, dry_run=False, policy=FAST.__class__(base_delay=0.01))
    first, second = fake_pd.requests
    assert second.at - first.at >= 0.29
    assert report.delivered == 1


def test_429_twice_then_202_delivers(fake_pd: FakePagerDuty) -> None:
    fake_pd.script(Reply(429), Reply(429))
    config, run = _one_failure(fake_pd.url)

    report = send_alerts(config, run, dry_run=False, policy=FAST)

    assert [r.status for r in fake_pd.requests] == [429, 429, 202]
    assert report.undelivered == 0
    assert report.checks["a"].delivery == "delivered"
    assert report.checks["a"].attempts == 3


def test_5xx_is_retried(fake_pd: FakePagerDuty) -> None:
    fake_pd.script(Reply(500), Reply(502), Reply(503))
    config, run = _one_failure(fake_pd.url)
    report = send_alerts(config, run, dry_run=False, policy=FAST)
    assert [r.status for r in fake_pd.requests] == [500, 502, 503, 202]
    assert report.delivered == 1


def test_400_is_not_retried_and_keeps_pagerdutys_message(fake_pd: FakePagerDuty) -> None:
    config = make_config(fake_pd.url, [service("a")], env={"PAGERDUTY_ROUTING_KEY": "short-key"})
    report = send_alerts(config, run_of(result(config, "a", "failed")), dry_run=False, policy=FAST)

    assert [r.status for r in fake_pd.requests] == [400]
    assert report.undelivered == 1
    delivery = report.checks["a"].delivery
    assert delivery.startswith("failed: PagerDuty rejected the event (HTTP 400): ")
    assert "Event object is invalid" in delivery
    assert "Length of 'routing_key' is incorrect" in delivery
    assert "short-key" not in delivery


def test_pagerduty_down_connection_refused_is_undelivered(refused_url: str) -> None:
    config, run = _one_failure(refused_url)
    report = send_alerts(config, run, dry_run=False, policy=FAST)
    assert report.undelivered == 1
    assert report.checks["a"].attempts == FAST.max_attempts
    assert "cannot reach 127.0.0.1" in report.checks["a"].delivery


def test_500_forever_ends_after_the_attempt_limit(fake_pd: FakePagerDuty) -> None:
    fake_pd.always(Reply(500))
    config, run = _one_failure(fake_pd.url)
    report = send_alerts(config, run, dry_run=False, policy=FAST)
    assert len(fake_pd.requests) == FAST.max_attempts
    assert report.undelivered == 1
    assert "HTTP 500" in report.checks["a"].delivery


def test_the_library_never_retries_by_itself(fake_pd: FakePagerDuty) -> None:
    """One of our attempts is exactly one HTTP request: pagerduty's own retry
    loop (and its time.sleep) never runs, for 429 nor for 5xx."""
    for status in (429, 503):
        fake_pd.reset()
        fake_pd.script(Reply(status))
        config, run = _one_failure(fake_pd.url)
        started = time.monotonic()
        report = send_alerts(
            config,
            run,
            dry_run=False,
            policy=DeliveryPolicy(max_attempts=1),
        )
        assert time.monotonic() - started < 1.4  # the library would sleep >= 1.5 s
        assert [r.status for r in fake_pd.requests] == [status]
        assert report.undelivered == 1


def test_429_forever_is_bounded_by_attempts(fake_pd: FakePagerDuty) -> None:
    fake_pd.always(Reply(429))
    config, run = _one_failure(fake_pd.url)
    started = time.monotonic()
    report = send_alerts(config, run, dry_run=False, policy=FAST)
    assert time.monotonic() - started < 10.0  # unbounded, 429 would retry for ever
    assert len(fake_pd.requests) == FAST.max_attempts
    assert report.undelivered == 1
    assert "HTTP 429" in report.checks["a"].delivery


def test_429_forever_is_bounded_by_the_deadline(fake_pd: FakePagerDuty) -> None:
    fake_pd.always(Reply(429))
    config, run = _one_failure(fake_pd.url)
    patient = DeliveryPolicy(max_attempts=1000, base_delay=0.05, max_delay=0.1)
    started = time.monotonic()
    report = send_alerts(
        config,
        run,
        dry_run=False,
        deadline=started + 0.6,
        policy=patient,
    )
    elapsed = time.monotonic() - started
    assert elapsed < 1.5  # the deadline (0.6 s) and one attempt's timeout at most
    assert 2 <= len(fake_pd.requests) < 30
    assert report.undelivered == 1
    assert "deadline" in report.checks["a"].delivery


def test_a_slow_pagerduty_is_cut_at_the_deadline(fake_pd: FakePagerDuty) -> None:
    fake_pd.delay = 3.0
    config, run = _one_failure(fake_pd.url)
    started = time.monotonic()
    report = send_alerts(
        config,
        run,
        dry_run=False,
        deadline=started + 0.5,
        policy=FAST,
    )
    assert time.monotonic() - started < 1.5
    assert report.undelivered == 1


def test_a_passed_deadline_sends_nothing(fake_pd: FakePagerDuty) -> None:
    config, run = _one_failure(fake_pd.url)
    report = send_alerts(
        config,
        run,
        dry_run=False,
        deadline=time.monotonic() - 1,
    )
    assert fake_pd.received == []
    assert report.undelivered == 1
    assert "deadline" in report.checks["a"].delivery


def test_200_failing_checks_deliver_200_triggers_concurrently(fake_pd: FakePagerDuty) -> None:
    fake_pd.delay = 0.05
    names = [f"svc-{i:03d}" for i in range(200)]
    config = make_config(
        fake_pd.url, [service(n) for n in names], pagerduty={"max_events_per_minute": 200}
    )
    run = run_of(*(result(config, n, "failed") for n in names))

    started = time.monotonic()
    report = send_alerts(config, run, dry_run=False)
    elapsed = time.monotonic() - started

    assert report.delivered == 200
    assert by_key(fake_pd.events) == {n: "trigger" for n in names}
    assert elapsed < 10.0  # one at a time would take at least 10 s


def test_a_custom_events_url_path_is_posted_as_given(fake_pd: FakePagerDuty) -> None:
    proxy_url = fake_pd.url.replace("/v2/enqueue", "/pagerduty-proxy")
    config, run = _one_failure(proxy_url)
    report = send_alerts(config, run, dry_run=False, policy=FAST)
    assert [r.path for r in fake_pd.requests] == ["/pagerduty-proxy"]
    assert report.undelivered == 1  # the fake only routes /v2/enqueue: a 404, not retried
    assert "HTTP 404" in report.checks["a"].delivery


def test_plain_http_events_url_off_loopback_warns() -> None:
    config = make_config("http://proxy.example.com/v2/enqueue", [service("a")])
    report = send_alerts(config, run_of(result(config, "a", "failed")), dry_run=True)
    assert any("plain http" in w for w in report.warnings)


def test_backoff_grows_and_is_capped() -> None:
    policy = DeliveryPolicy(base_delay=1.0, max_delay=5.0, jitter=0.0)
    assert [backoff(n, policy) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]
    assert backoff(1, policy, retry_after=3.0) == 3.0
    assert backoff(1, policy, retry_after=60.0) == 5.0


def test_pagerduty_message_reads_the_error_body() -> None:
    body = '{"status":"invalid event","message":"Event object is invalid","errors":["a","b"]}'
    assert pagerduty_message(body) == "Event object is invalid: a; b"
    assert pagerduty_message("<html>Bad   gateway</html>") == "<html>Bad gateway</html>"


def test_importing_alerting_loads_no_http_stack() -> None:
    code = (
        "import sys, e2echeck.alerting, e2echeck.cli\n"
        "bad = [m for m in ('pagerduty', 'httpx2', 'boto3') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
