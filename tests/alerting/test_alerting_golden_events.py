"""A run without `locations` sends exactly the events it sent before locations
existed: fixed results in, events compared byte for byte with a golden file
written by the code before that feature (`E2ECHECK_WRITE_GOLDEN=1` rewrites it).

The only field that depends on the machine, the control event's checker host,
is replaced by a placeholder before comparing."""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from e2echeck.engine.results import CheckResult, Outcome, RunResult
from e2echeck.kinds.http import HttpDetails
from tests.support.alerting import send_alerts
from tests.support.configs import QUICK_DEFAULTS, config_document, load_config
from tests.support.delivery import FAST_POLICY
from tests.support.pagerduty import FakePagerDuty

GOLDEN = Path(__file__).parent / "golden" / "events_without_locations.json"
ENV = {"PAGERDUTY_ROUTING_KEY": "GOLDENKEY0123456789abcdefabcdef0"}
AT = datetime(2026, 11, 27, 10, 5, 0, tzinfo=UTC)


def _config(fake_url: str, state: Path | None) -> Any:
    checks = [
        {"name": "ctl", "url": "https://control.example/", "role": "control"},
        {"name": "api", "url": "https://api.example/health", "tags": ["prod", "api"]},
        {"name": "web", "url": "https://web.example/", "description": "front page"},
        {"name": "slow", "url": "https://slow.example/", "failure_threshold": 2},
    ]
    return load_config(
        config_document(checks, defaults=QUICK_DEFAULTS, events_url=fake_url, state=state),
        env=ENV,
    )


def _run(config: Any, failing: set[str], cut_off: bool = False) -> RunResult:
    results = []
    for check in config.checks:
        if check.is_control:
            outcome = Outcome.FAILED if cut_off else Outcome.OK
        elif cut_off:
            outcome = Outcome.UNKNOWN
        else:
            outcome = Outcome.FAILED if check.name in failing else Outcome.OK
        failed = outcome is Outcome.FAILED
        results.append(
            CheckResult(
                check=check,
                outcome=outcome,
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
    return RunResult(results, AT, AT, connectivity_lost=cut_off)


def _events(tmp_path: Path, fake: FakePagerDuty) -> list[Any]:
    """The events PagerDuty received in each of a sequence of runs, stateless then
    stateful (within a run in a stable order: delivery is concurrent)."""
    received: list[Any] = []

    def take() -> None:
        received.append(sorted(fake.events, key=lambda e: json.dumps(e, sort_keys=True)))
        fake.reset()

    stateless = _config(fake.url, None)
    for failing, cut_off in (({"api", "web"}, False), (set(), False), (set(), True)):
        send_alerts(stateless, _run(stateless, failing, cut_off), dry_run=False, policy=FAST_POLICY)
        take()
    stateful = _config(fake.url, tmp_path / "state.json")
    for failing, cut_off in (
        ({"api", "slow"}, False),
        ({"api", "slow"}, False),
        ({"api", "slow"}, False),
        (set(), False),
        (set(), True),
        (set(), False),
    ):
        send_alerts(stateful, _run(stateful, failing, cut_off), dry_run=False, policy=FAST_POLICY)
        take()
    text = json.dumps(received, indent=1, sort_keys=False)
    return json.loads(text.replace(json.dumps(socket.gethostname() or "e2echeck"), '"HOST"'))


def test_events_without_locations_are_unchanged(tmp_path: Path, fake_pd: FakePagerDuty) -> None:
    events = _events(tmp_path, fake_pd)
    if os.environ.get("E2ECHECK_WRITE_GOLDEN"):
        GOLDEN.write_text(json.dumps(events, indent=1) + "\n", encoding="utf-8")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert json.dumps(events, indent=1) == json.dumps(golden, indent=1)
