"""Which events a run sends (stateless), and what they carry."""

from __future__ import annotations

from datetime import datetime

from e2echeck.redaction import MASK
from tests.alerting.helpers import (
    FAST,
    OTHER_ROUTING_KEY,
    ROUTING_KEY,
    by_key,
    make_config,
    result,
    run_of,
    service,
)
from tests.support.alerting import send_alerts
from tests.support.pagerduty import FakePagerDuty


def test_failed_triggers_ok_resolves_unknown_and_skipped_send_nothing(
    fake_pd: FakePagerDuty,
) -> None:
    config = make_config(
        fake_pd.url, [service("up"), service("down"), service("gone"), service("late")]
    )
    run = run_of(
        result(config, "up", "ok"),
        result(config, "down", "failed"),
        result(config, "gone", "unknown"),
        result(config, "late", "skipped"),
    )

    report = send_alerts(config, run, dry_run=False, policy=FAST)

    assert by_key(fake_pd.events) == {"up": "resolve", "down": "trigger"}
    assert len(fake_pd.received) == 2
    assert report.checks["up"].action == "resolve"
    assert report.checks["up"].delivery == "delivered"
    assert report.checks["down"].action == "trigger"
    assert report.checks["down"].delivery == "delivered"
    assert report.checks["gone"].action == "none"
    assert report.checks["gone"].delivery.startswith("not sent (unknown")
    assert report.checks["late"].delivery == "not sent (skipped)"
    assert (report.sent, report.delivered, report.undelivered) == (2, 2, 0)
    assert (report.triggers, report.resolves) == (1, 1)
    assert report.stateful is False


def test_trigger_payload_follows_the_spec(fake_pd: FakePagerDuty) -> None:
    config = make_config(
        fake_pd.url,
        [service("api-health", tags=["api", "public"], severity="error", dedup_key="api-hk")],
        pagerduty={"client": "e2e-prod", "client_url": "https://runbooks.example.com/e2e"},
    )
    run = run_of(
        result(
            config,
            "api-health",
            "failed",
            method="POST",
            url="https://api.example.com/orders?x=1",
            failed_step="create",
        )
    )

    send_alerts(config, run, dry_run=False, policy=FAST)

    (event,) = fake_pd.events
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == "api-hk"
    assert event["routing_key"] == ROUTING_KEY
    assert event["client"] == "e2e-prod"
    assert event["client_url"] == "https://runbooks.example.com/e2e"
    assert event["links"] == [
        {"href": "https://api.example.com/orders?x=1", "text": "api-health: checked URL"}
    ]
    payload = event["payload"]
    assert payload["summary"] == "api-health failed: status 503, expected 200"
    assert payload["source"] == "api.example.com"
    assert payload["severity"] == "error"
    assert payload["component"] == "api-health"
    assert payload["group"] == "api"
    assert payload["class"] == "e2e check"
    assert datetime.fromisoformat(payload["timestamp"]).tzinfo is not None
    details = payload["custom_details"]
    assert details["url"] == "https://api.example.com/orders?x=1"
    assert details["method"] == "POST"
    assert details["status_code"] == 503
    assert details["latency_ms"] == 123.4
    assert details["attempts"] == 3
    assert details["failures"] == ["status 503, expected 200", "body does not contain 'ok'"]
    assert details["step"] == "create"
    assert details["body_excerpt"] == "<h1>Service Unavailable</h1>"


def test_long_summary_and_body_are_cut_to_pagerduty_limits(fake_pd: FakePagerDuty) -> None:
    config = make_config(fake_pd.url, [service("big")])
    run = run_of(result(config, "big", "failed", failures=["x" * 5000], body_excerpt="é" * 3000))

    report = send_alerts(config, run, dry_run=False, policy=FAST)

    assert report.undelivered == 0  # the fake rejects summaries over 1024 characters
    payload = fake_pd.events[0]["payload"]
    assert len(payload["summary"]) == 1024
    assert payload["summary"].startswith("big failed: xxx")
    assert len(payload["custom_details"]["body_excerpt"].encode()) <= 2048


def test_default_severity_and_no_group_without_tags(fake_pd: FakePagerDuty) -> None:
    config = make_config(fake_pd.url, [service("plain")], defaults={"severity": "warning"})
    send_alerts(config, run_of(result(config, "plain", "failed")), dry_run=False, policy=FAST)
    payload = fake_pd.events[0]["payload"]
    assert payload["severity"] == "warning"
    assert "group" not in payload


def test_each_check_uses_its_own_routing_key(fake_pd: FakePagerDuty) -> None:
    config = make_config(
        fake_pd.url,
        [service("mine"), service("theirs", routing_key="${OTHER_SERVICE_KEY}")],
    )
    run = run_of(result(config, "mine", "failed"), result(config, "theirs", "ok"))

    send_alerts(config, run, dry_run=False, policy=FAST)

    keys = {e["dedup_key"]: e["routing_key"] for e in fake_pd.events}
    assert keys == {"mine": ROUTING_KEY, "theirs": OTHER_ROUTING_KEY}


def test_no_send_resolve_sends_only_triggers(fake_pd: FakePagerDuty) -> None:
    config = make_config(
        fake_pd.url, [service("a"), service("b")], pagerduty={"send_resolve": False}
    )
    report = send_alerts(
        config,
        run_of(result(config, "a", "ok"), result(config, "b", "failed")),
        dry_run=False,
        policy=FAST,
    )
    assert by_key(fake_pd.events) == {"b": "trigger"}
    assert report.checks["a"].delivery == "not sent (send_resolve: false)"


def test_dry_run_sends_nothing_and_lists_redacted_events(fake_pd: FakePagerDuty) -> None:
    config = make_config(fake_pd.url, [service("a"), service("b")])
    run = run_of(result(config, "a", "failed"), result(config, "b", "ok"))

    report = send_alerts(config, run, dry_run=True)

    assert fake_pd.received == []
    assert [(e["event_action"], e["dedup_key"]) for e in report.events] == [
        ("trigger", "a"),
        ("resolve", "b"),
    ]
    assert all(e["routing_key"] == MASK for e in report.events)
    assert report.checks["a"].delivery == "not sent (--no-alert)"
    assert report.undelivered == 0
    assert report.sent == 0


def test_missing_routing_key_is_an_undelivered_event_not_a_silent_skip(
    fake_pd: FakePagerDuty,
) -> None:
    config = make_config(fake_pd.url, [service("a")], pagerduty={"routing_key": None})
    report = send_alerts(config, run_of(result(config, "a", "failed")), dry_run=False)
    assert fake_pd.received == []
    assert report.undelivered == 1
    assert report.checks["a"].delivery.startswith("failed: no routing key")
