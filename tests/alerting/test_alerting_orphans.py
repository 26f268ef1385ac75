"""A check removed from the file while its alert is open gets one resolve that
says why; unselected, disabled and other files' checks are never resolved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.cli import CliResult, run_cli
from tests.support.configs import QUICK_DEFAULTS, config_document, write_config
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import TestServer

ROUTING_KEY = "R0UTINGKEY0123456789abcdefabcdef"


def _write(where: Path, fake: FakePagerDuty, state: Path, checks: list[dict[str, Any]]) -> str:
    document = config_document(
        checks,
        defaults=QUICK_DEFAULTS,
        events_url=fake.url,
        routing_key="${PD_KEY}",
        state=state,
    )
    where.mkdir(exist_ok=True)
    return str(write_config(where, document))


def _run(path: str, *args: str) -> CliResult:
    return run_cli("run", path, *args, env={"PD_KEY": ROUTING_KEY})


def _checks(server: TestServer, **failing: bool) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "url": server.url("/status/503" if fails else "/status/200"),
            "expect": {"status": 200},
        }
        for name, fails in failing.items()
    ]


def test_a_removed_checks_open_alert_gets_one_resolve_saying_why(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    state = tmp_path / "state.json"
    path = _write(tmp_path, fake_pd, state, _checks(http_server, api=False, orders=True))
    assert _run(path).exit_code == 1
    # Delivered concurrently: compare without their order.
    assert sorted((e["dedup_key"], e["event_action"]) for e in fake_pd.events) == [
        ("api", "resolve"),
        ("orders", "trigger"),
    ]
    fake_pd.reset()

    _write(tmp_path, fake_pd, state, _checks(http_server, api=False))
    report = tmp_path / "report.json"
    outcome = _run(path, "--json", str(report))
    assert outcome.exit_code == 0, outcome.output
    assert len(fake_pd.events) == 1
    event = fake_pd.events[0]
    assert (event["dedup_key"], event["event_action"]) == ("orders", "resolve")
    assert event["payload"]["custom_details"] == {"reason": "check removed from checks.yaml"}
    assert "removed check orders: resolve orders, delivered" in outcome.output
    removed = json.loads(report.read_text())["alerting"]["removed_checks"]
    assert removed == {
        "orders": {"dedup_key": "orders", "action": "resolve", "delivery": "delivered"}
    }
    assert "orders" not in json.loads(state.read_text())["alerts"]

    fake_pd.reset()
    assert _run(path).exit_code == 0
    assert fake_pd.events == []  # once


def test_unselected_and_disabled_checks_are_not_resolved(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    state = tmp_path / "state.json"
    path = _write(tmp_path, fake_pd, state, _checks(http_server, api=False, orders=True))
    _run(path)
    fake_pd.reset()

    assert _run(path, "--only", "api").exit_code == 0
    assert fake_pd.events == []
    checks = _checks(http_server, api=False, orders=True)
    checks[1]["enabled"] = False
    _write(tmp_path, fake_pd, state, checks)
    assert _run(path).exit_code == 0
    assert fake_pd.events == []
    assert json.loads(state.read_text())["alerts"]["orders"]["state"] == "open"


def test_another_file_on_the_same_state_resolves_nothing_of_the_first(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    state = tmp_path / "state.json"
    first = _write(tmp_path / "one", fake_pd, state, _checks(http_server, orders=True))
    _run(first)
    assert [e["event_action"] for e in fake_pd.events] == ["trigger"]
    fake_pd.reset()

    second = _write(tmp_path / "two", fake_pd, state, _checks(http_server, search=False))
    outcome = _run(second)
    assert outcome.exit_code == 0, outcome.output
    assert [(e["dedup_key"], e["event_action"]) for e in fake_pd.events] == [("search", "resolve")]
    assert "the state belongs to" in outcome.output
    assert json.loads(state.read_text())["alerts"]["orders"]["state"] == "open"
