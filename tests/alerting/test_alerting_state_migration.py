"""State files written before sinks existed (version 1: undelivered PagerDuty
bodies) are read, their kept events delivered exactly as they were stored, and
the file written back as version 2 (transitions and the sink that owes them).

The two fixtures in golden/ were written by the version 1 code with the configs
below: `state_v1.json` after a run whose events PagerDuty refused with 500 (a
trigger of `api` and a resolve of `web` kept), `state_v1_locations.json` by two
locations of three sharing a state (the quorum trigger of `api` kept, with the
`locations` document of their observations)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from e2echeck.alerting.state import State
from e2echeck.config import Config
from e2echeck.engine.results import CheckResult, Outcome, RunResult
from e2echeck.kinds.http import HttpDetails
from tests.support.alerting import send_alerts
from tests.support.configs import QUICK_DEFAULTS, config_document, load_config
from tests.support.delivery import FAST_POLICY
from tests.support.pagerduty import FakePagerDuty

GOLDEN = Path(__file__).parent / "golden"
ENV = {"PAGERDUTY_ROUTING_KEY": "MIGRATEKEY0123456789abcdefabcdef"}
AT = datetime(2026, 11, 27, 10, 5, 0, tzinfo=UTC)
EXPECTED = ["us-east-1", "eu-west-1", "ap-southeast-2"]


def _config(fake_url: str, state: Path, located: bool = False) -> Config:
    checks = [
        {"name": "ctl", "url": "https://control.example/", "role": "control"},
        {"name": "api", "url": "https://api.example/health", "tags": ["prod", "api"]},
        {"name": "web", "url": "https://web.example/", "description": "front page"},
    ]
    document = config_document(checks, defaults=QUICK_DEFAULTS, events_url=fake_url, state=state)
    if located:
        document["locations"] = {"expected": EXPECTED, "quorum": 2}
        document["checks"] = document.pop("checks")
    return load_config(document, env=ENV)


def _run(config: Config, failing: set[str]) -> RunResult:
    results = []
    for check in config.checks:
        failed = check.name in failing
        results.append(
            CheckResult(
                check=check,
                outcome=Outcome.FAILED if failed else Outcome.OK,
                kind_details=HttpDetails(
                    url=check.first_url,
                    status_code=503 if failed else 200,
                    body_excerpt="down" if failed else "",
                ),
                duration_ms=12.5,
                attempts=1,
                failures=["expected status 200, got 503"] if failed else [],
                started_at=AT,
            )
        )
    return RunResult(results, AT, AT)


def _kept_bodies(fixture: Path) -> dict[str, dict[str, Any]]:
    """dedup key -> the version 1 body kept for it, with the routing key delivery adds."""
    document = json.loads(fixture.read_text(encoding="utf-8"))
    assert document["version"] == 1
    return {
        event["dedup_key"]: {**event["body"], "routing_key": ENV["PAGERDUTY_ROUTING_KEY"]}
        for alert in document["alerts"].values()
        for event in alert["undelivered"]
    }


def test_a_version_1_state_is_migrated_and_its_kept_events_sent_unchanged(
    fake_pd: FakePagerDuty, tmp_path: Path
) -> None:
    fixture = GOLDEN / "state_v1.json"
    state = tmp_path / "state.json"
    shutil.copy(fixture, state)
    config = _config(fake_pd.url, state)

    # Still failing, web still passing: no change, so the kept events go out.
    report = send_alerts(config, _run(config, {"api"}), dry_run=False, policy=FAST_POLICY)

    assert report.undelivered == 0 and report.stateful
    assert {e["dedup_key"]: e for e in fake_pd.events} == _kept_bodies(fixture)
    assert report.checks["api"].delivery == "delivered (kept from an earlier run)"
    migrated = json.loads(state.read_text(encoding="utf-8"))
    assert migrated["version"] == 2
    assert all(alert["undelivered"] == [] for alert in migrated["alerts"].values())
    before = json.loads(fixture.read_text(encoding="utf-8"))["alerts"]
    for key, alert in migrated["alerts"].items():  # thresholds and open alerts carry over
        assert alert["state"] == before[key]["state"]
        assert alert["changed_at"] == before[key]["changed_at"]


def test_version_1_undelivered_events_become_pending_transitions() -> None:
    state = State.decode((GOLDEN / "state_v1.json").read_bytes())
    [trigger] = state.alerts["api"].undelivered
    assert trigger.sink == "pagerduty"
    assert trigger.transition.action == "trigger"
    assert trigger.transition.details["body_excerpt"] == "down"
    assert trigger.transition.group == "prod"
    again = State.from_json(json.loads(state.encode()))
    assert again.to_json() == state.to_json()  # version 2 round-trips


def test_a_shared_version_1_state_keeps_its_locations_and_sends_the_kept_trigger(
    fake_pd: FakePagerDuty, tmp_path: Path
) -> None:
    fixture = GOLDEN / "state_v1_locations.json"
    state = tmp_path / "state.json"
    shutil.copy(fixture, state)
    config = _config(fake_pd.url, state, located=True)
    kept = _kept_bodies(fixture)

    report = send_alerts(
        config,
        _run(config, {"api"}),
        dry_run=False,
        policy=FAST_POLICY,
        location="ap-southeast-2",
    )

    received = {e["dedup_key"]: e for e in fake_pd.events}
    for key, body in kept.items():  # the quorum trigger and the resolves, as stored
        assert received[key] == body
    assert report.undelivered == 0
    migrated = json.loads(state.read_text(encoding="utf-8"))
    assert migrated["version"] == 2
    seen = migrated["locations"]["seen"]
    assert set(seen) == {"us-east-1", "eu-west-1", "ap-southeast-2"}
    before = json.loads(fixture.read_text(encoding="utf-8"))["locations"]["seen"]
    assert seen["us-east-1"] == before["us-east-1"]
    assert migrated["locations"]["sending"] == []
    assert all(alert["undelivered"] == [] for alert in migrated["alerts"].values())
