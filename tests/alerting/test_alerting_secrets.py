"""Secrets never leave the process: not in events, not in the report, not in state."""

from __future__ import annotations

import json
from pathlib import Path

from e2echeck.config import Config
from e2echeck.engine.results import CheckResult
from tests.alerting.helpers import (
    ENV_VALUE,
    FAST,
    ROUTING_KEY,
    SECRETS,
    make_config,
    result,
    run_of,
    service,
    without_routing_key,
)
from tests.support.alerting import send_alerts
from tests.support.pagerduty import FakePagerDuty, Reply


def _leaky_config(url: str, state: str | None = None) -> Config:
    return make_config(
        url,
        [
            service(
                "api",
                headers={"Authorization": "Bearer ${API_TOKEN}", "Cookie": "${SESSION_COOKIE}"},
                params={"tenant": "${TENANT_SECRET}"},
                description="tenant ${TENANT_SECRET}",
            ),
            service("other", routing_key="${OTHER_SERVICE_KEY}"),
        ],
        state=state,
    )


def _leaky_result(config: Config, name: str) -> CheckResult:
    """A failure whose reasons, URL and body echo every secret back."""
    echo = " ".join(SECRETS)
    return result(
        config,
        name,
        "failed",
        url=f"https://api.example.com/health?tenant={ENV_VALUE}&k={ROUTING_KEY}",
        failures=[f"body contains {echo}", f"header echoed: Bearer {SECRETS[2]}"],
        body_excerpt=f'{{"echo": "{echo}"}}',
        failed_step=f"step-{ENV_VALUE}",
    )


def test_no_secret_reaches_pagerduty(fake_pd: FakePagerDuty, tmp_path: Path) -> None:
    config = _leaky_config(fake_pd.url, str(tmp_path / "state.json"))
    run = run_of(_leaky_result(config, "api"), _leaky_result(config, "other"))

    report = send_alerts(config, run, dry_run=False, policy=FAST)

    assert report.delivered == 2
    for event in fake_pd.received:
        text = without_routing_key(event)
        for secret in SECRETS:
            assert secret not in text
        assert "***" in text
    state_text = (tmp_path / "state.json").read_text()
    report_text = json.dumps(report.to_json()) + repr(report)
    for secret in SECRETS:
        assert secret not in state_text
        assert secret not in report_text


def test_no_secret_in_dry_run_events_or_delivery_errors(fake_pd: FakePagerDuty) -> None:
    config = _leaky_config(fake_pd.url)
    run = run_of(_leaky_result(config, "api"), _leaky_result(config, "other"))

    dry = send_alerts(config, run, dry_run=True)
    fake_pd.always(
        Reply(400, {"status": "invalid event", "message": f"bad key {ROUTING_KEY}", "errors": []})
    )
    failed = send_alerts(config, run, dry_run=False, policy=FAST)

    assert failed.undelivered == 2
    assert "bad key ***" in failed.checks["api"].delivery
    text = json.dumps(dry.to_json()) + json.dumps(failed.to_json()) + repr(failed)
    for secret in SECRETS:
        assert secret not in text
