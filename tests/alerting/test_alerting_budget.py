"""The storm budget: never more events a minute per routing key than PagerDuty
accepts; what does not fit is collapsed into one storm alert or deferred, and
nothing is dropped silently."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2echeck.config import Config
from e2echeck.engine.results import RunResult
from tests.alerting.helpers import FAST, make_config, result, run_of, service
from tests.support.alerting import send_alerts
from tests.support.cli import run_cli
from tests.support.configs import QUICK_DEFAULTS, config_document, write_config
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import TestServer

ROUTING_KEY = "R0UTINGKEY0123456789abcdefabcdef"


@pytest.fixture
def limited_pd() -> Iterator[FakePagerDuty]:
    """The fake Events API with PagerDuty's rate limit: 120 events a minute per key."""
    with FakePagerDuty(rate_limit=120) as fake:
        yield fake


def _named(events: list[dict[str, Any]]) -> set[str]:
    """The checks the accepted triggers stand for: their own, or a storm's members."""
    named: set[str] = set()
    for event in events:
        if event["event_action"] != "trigger":
            continue
        details = event["payload"]["custom_details"]
        named.update(details.get("storm_checks", []))
        if "storm_checks" not in details:
            named.add(event["dedup_key"])
    return named


def test_300_failing_checks_stay_within_the_budget_and_all_are_named(
    tmp_path: Path, http_server: TestServer, limited_pd: FakePagerDuty
) -> None:
    names = [f"svc-{i:03d}" for i in range(300)]
    checks = [
        {"name": name, "url": http_server.url("/status/503"), "expect": {"status": 200}}
        for name in names
    ]
    document = config_document(
        checks,
        defaults=QUICK_DEFAULTS,
        events_url=limited_pd.url,
        routing_key="${PD_KEY}",
        state=tmp_path / "state.json",
    )
    path = write_config(tmp_path, document)
    report = tmp_path / "report.json"
    outcome = run_cli("run", str(path), "--json", str(report), env={"PD_KEY": ROUTING_KEY})
    assert outcome.exit_code == 1, outcome.output  # failed checks, nothing undelivered
    assert limited_pd.throttled == 0
    assert len(limited_pd.events) <= 100
    assert _named(limited_pd.events) == set(names)
    storm = [e for e in limited_pd.events if e["dedup_key"].startswith("e2echeck-storm-")]
    assert len(storm) == 1
    details = storm[0]["payload"]["custom_details"]
    assert details["storm_count"] == len(details["storm_checks"]) == 201
    assert "201 failing checks" in storm[0]["payload"]["summary"]
    alerts = {c["name"]: c["alert"] for c in json.loads(report.read_text())["checks"]}
    in_storm = [n for n, a in alerts.items() if a["delivery"].startswith("in storm alert")]
    assert sorted(in_storm) == sorted(details["storm_checks"])
    assert ROUTING_KEY not in (tmp_path / "state.json").read_text()

    again = run_cli("run", str(path), env={"PD_KEY": ROUTING_KEY})
    assert again.exit_code == 1, again.output
    assert limited_pd.throttled == 0 and len(limited_pd.events) <= 100


def _run(config: Config, outcomes: dict[str, str]) -> RunResult:
    return run_of(*(result(config, name, outcome) for name, outcome in outcomes.items()))


def _a_minute_later(path: Path) -> None:
    """Age the budget's sent-at instants by a minute (the state's own clock)."""
    state = json.loads(path.read_text())
    state["budget"] = {k: [t - 61 for t in v] for k, v in state["budget"].items()}
    path.write_text(json.dumps(state))


def test_storm_members_leave_without_a_resolve_and_the_storm_resolves_with_the_last(
    fake_pd: FakePagerDuty, tmp_path: Path
) -> None:
    names = [f"c{i}" for i in range(8)]
    path = tmp_path / "state.json"
    config = make_config(
        fake_pd.url,
        [service(n, flapping=False) for n in names],
        pagerduty={"max_events_per_minute": 5},
        state=str(path),
    )
    failing = dict.fromkeys(names, "failed")
    first = send_alerts(config, _run(config, failing), dry_run=False, policy=FAST)
    assert len(fake_pd.events) == 5  # 4 triggers of their own, then the storm of the other 4
    (storm,) = [e for e in fake_pd.events if e["dedup_key"].startswith("e2echeck-storm-")]
    members = storm["payload"]["custom_details"]["storm_checks"]
    assert len(members) == 4
    own = sorted(set(names) - set(members))
    assert sorted(n for n, a in first.checks.items() if a.delivery.startswith("in storm")) == (
        sorted(members)
    )

    fake_pd.reset()
    _a_minute_later(path)
    send_alerts(config, _run(config, {**failing, members[0]: "ok"}), dry_run=False, policy=FAST)
    assert fake_pd.events == []  # a member recovers: no resolve of its own, the storm stays

    _a_minute_later(path)
    send_alerts(config, _run(config, dict.fromkeys(names, "ok")), dry_run=False, policy=FAST)
    resolved = sorted(e["dedup_key"] for e in fake_pd.events if e["event_action"] == "resolve")
    assert resolved == sorted([*own, storm["dedup_key"]])
    assert (
        "storms" not in json.loads(path.read_text()) or not json.loads(path.read_text())["storms"]
    )


def test_resolves_over_the_budget_wait_for_the_next_run(
    fake_pd: FakePagerDuty, tmp_path: Path
) -> None:
    names = [f"c{i}" for i in range(4)]
    path = tmp_path / "state.json"
    config = make_config(
        fake_pd.url,
        [service(n, flapping=False) for n in names],
        pagerduty={"max_events_per_minute": 2},
        state=str(path),
    )
    report = send_alerts(config, _run(config, dict.fromkeys(names, "ok")), dry_run=False)
    assert len(fake_pd.events) == 2
    deferred = [n for n, a in report.checks.items() if a.delivery.startswith("deferred")]
    assert len(deferred) == 2 and report.undelivered == 0
    _a_minute_later(path)
    send_alerts(config, _run(config, dict.fromkeys(names, "ok")), dry_run=False)
    assert sorted(e["dedup_key"] for e in fake_pd.events) == names
