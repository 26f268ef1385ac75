"""Control checks: a checker cut off from the internet pages once, with a warning."""

from __future__ import annotations

from pathlib import Path

from e2echeck.alerting import CONTROL_DEDUP_KEY
from e2echeck.config import Config
from e2echeck.engine.results import RunResult
from tests.alerting.helpers import FAST, by_key, control, make_config, result, run_of, service
from tests.support.alerting import send_alerts
from tests.support.pagerduty import FakePagerDuty


def _config(url: str, state: str | None = None) -> Config:
    return make_config(
        url, [service("a"), service("b"), control("internet"), control("dns")], state=state
    )


def _lost(config: Config) -> RunResult:
    return run_of(
        result(config, "a", "unknown"),
        result(config, "b", "unknown"),
        result(config, "internet", "failed", failures=["connect timeout"]),
        result(config, "dns", "failed", failures=["name resolution failed"]),
        connectivity_lost=True,
    )


def _back(config: Config, a: str = "ok") -> RunResult:
    return run_of(
        result(config, "a", a),
        result(config, "b", "ok"),
        result(config, "internet", "ok"),
        result(config, "dns", "failed"),
    )


def test_lost_connectivity_sends_one_warning_and_nothing_for_services(
    fake_pd: FakePagerDuty,
) -> None:
    config = _config(fake_pd.url)

    report = send_alerts(config, _lost(config), dry_run=False, policy=FAST)

    (event,) = fake_pd.received
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == CONTROL_DEDUP_KEY
    assert event["payload"]["severity"] == "warning"
    assert "lost connectivity" in event["payload"]["summary"]
    assert "internet" in event["payload"]["summary"]
    assert report.control is not None
    assert report.control.action == "trigger"
    assert report.control.delivery == "delivered"
    assert report.checks["a"].action == "none"
    assert report.checks["a"].delivery.startswith("not sent (unknown")
    assert report.checks["internet"].action == "none"  # no page of its own


def test_the_control_alert_resolves_when_a_control_check_passes(
    fake_pd: FakePagerDuty,
) -> None:
    config = _config(fake_pd.url)
    send_alerts(config, _lost(config), dry_run=False, policy=FAST)
    fake_pd.reset()

    report = send_alerts(config, _back(config, a="failed"), dry_run=False, policy=FAST)

    assert by_key(fake_pd.events) == {CONTROL_DEDUP_KEY: "resolve", "a": "trigger", "b": "resolve"}
    assert report.control is not None
    assert report.control.action == "resolve"


def test_with_state_the_control_alert_changes_only_once(
    fake_pd: FakePagerDuty, tmp_path: Path
) -> None:
    config = _config(fake_pd.url, str(tmp_path / "s.json"))
    send_alerts(config, _back(config), dry_run=False, policy=FAST)  # first sighting
    fake_pd.reset()

    for _ in range(3):
        send_alerts(config, _lost(config), dry_run=False, policy=FAST)
    assert by_key(fake_pd.events) == {CONTROL_DEDUP_KEY: "trigger"}
    assert len(fake_pd.events) == 1
    fake_pd.reset()

    for _ in range(2):
        send_alerts(config, _back(config), dry_run=False, policy=FAST)
    assert [(e["dedup_key"], e["event_action"]) for e in fake_pd.events] == [
        (CONTROL_DEDUP_KEY, "resolve")
    ]


def test_unknown_runs_do_not_count_toward_thresholds(
    fake_pd: FakePagerDuty, tmp_path: Path
) -> None:
    config = make_config(
        fake_pd.url,
        [service("a", failure_threshold=2), control("internet")],
        state=str(tmp_path / "s.json"),
    )
    failing = run_of(result(config, "a", "failed"), result(config, "internet", "ok"))
    lost = run_of(
        result(config, "a", "unknown"),
        result(config, "internet", "failed"),
        connectivity_lost=True,
    )
    send_alerts(config, failing, dry_run=False, policy=FAST)
    send_alerts(config, lost, dry_run=False, policy=FAST)
    report = send_alerts(config, failing, dry_run=False, policy=FAST)
    assert report.checks["a"].action == "trigger"  # 2 failures, the unknown run in between


def test_no_control_checks_no_control_alert(fake_pd: FakePagerDuty) -> None:
    config = make_config(fake_pd.url, [service("a")])
    report = send_alerts(config, run_of(result(config, "a", "ok")), dry_run=False, policy=FAST)
    assert report.control is None
    assert CONTROL_DEDUP_KEY not in by_key(fake_pd.events)
