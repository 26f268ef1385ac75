"""`depends_on`: one cause, one page. A failing dependency suppresses its failing
dependents' triggers and names them in its own; resolves are never suppressed,
and a dependent still failing when its dependency recovers pages that run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2echeck.config import Config
from e2echeck.engine.results import RunResult
from e2echeck.runner import select_checks
from tests.alerting.helpers import FAST, by_key, make_config, result, run_of, service
from tests.support.alerting import send_alerts
from tests.support.cli import run_cli
from tests.support.configs import QUICK_DEFAULTS, config_document, write_config
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import TestServer

ROUTING_KEY = "R0UTINGKEY0123456789abcdefabcdef"
PAGERDUTY_LIMIT = 120  # events a minute per routing key


@pytest.fixture
def limited_pd() -> Iterator[FakePagerDuty]:
    """The fake Events API with PagerDuty's rate limit."""
    with FakePagerDuty(rate_limit=PAGERDUTY_LIMIT) as fake:
        yield fake


def _run(config: Config, outcomes: dict[str, str]) -> RunResult:
    return run_of(*(result(config, name, outcome) for name, outcome in outcomes.items()))


def _dependents(count: int) -> list[str]:
    return [f"svc-{i:03d}" for i in range(count)]


def test_300_checks_behind_a_failing_gateway_page_once_naming_them(
    tmp_path: Path, http_server: TestServer, limited_pd: FakePagerDuty
) -> None:
    names = _dependents(300)
    checks: list[dict[str, Any]] = [
        {"name": "gateway", "url": http_server.url("/status/503"), "expect": {"status": 200}}
    ]
    checks += [
        {
            "name": name,
            "url": http_server.url("/status/503"),
            "expect": {"status": 200},
            "depends_on": ["gateway"],
        }
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
    report_path = tmp_path / "report.json"
    outcome = run_cli("run", str(path), "--json", str(report_path), env={"PD_KEY": ROUTING_KEY})
    assert outcome.exit_code == 1, outcome.output
    assert limited_pd.throttled == 0
    assert len(limited_pd.events) == 1, [e["dedup_key"] for e in limited_pd.events]
    page = limited_pd.events[0]
    assert page["event_action"] == "trigger"
    assert page["dedup_key"] == "gateway"
    details = page["payload"]["custom_details"]
    assert details["suppressed_count"] == 300
    assert details["suppressed_checks"] == names
    assert "+300 dependent checks suppressed" in page["payload"]["summary"]
    assert "suppressed (depends on gateway, which failed)" in outcome.output
    report = json.loads(report_path.read_text())
    alerts = {c["name"]: c["alert"] for c in report["checks"]}
    assert alerts["svc-000"]["action"] == "none"
    assert alerts["svc-000"]["delivery"] == "suppressed (depends on gateway, which failed)"

    again = run_cli("run", str(path), env={"PD_KEY": ROUTING_KEY})
    assert again.exit_code == 1, again.output
    assert len(limited_pd.events) == 1  # still one cause: nothing new


def test_gateway_recovers_while_two_dependents_still_fail_they_page_that_run(
    fake_pd: FakePagerDuty, tmp_path: Path
) -> None:
    names = _dependents(300)
    config = make_config(
        fake_pd.url,
        [service("gateway"), *(service(n, depends_on=["gateway"]) for n in names)],
        state=str(tmp_path / "state.json"),
    )
    first = {"gateway": "failed", **dict.fromkeys(names, "failed")}
    send_alerts(config, _run(config, first), dry_run=False, policy=FAST)
    assert by_key(fake_pd.events) == {"gateway": "trigger"}

    fake_pd.reset()
    second = {"gateway": "ok", **dict.fromkeys(names, "ok"), "svc-007": "failed"}
    second["svc-123"] = "failed"
    report = send_alerts(config, _run(config, second), dry_run=False, policy=FAST)
    assert by_key(fake_pd.events) == {
        "gateway": "resolve",
        "svc-007": "trigger",
        "svc-123": "trigger",
    }
    assert report.checks["svc-007"].action == "trigger"
    assert report.checks["svc-000"].delivery == "no change (alert resolved)"


def test_a_dependent_failing_with_its_threshold_pages_as_soon_as_the_gateway_recovers(
    fake_pd: FakePagerDuty, tmp_path: Path
) -> None:
    config = make_config(
        fake_pd.url,
        [service("gateway"), service("api", depends_on=["gateway"], failure_threshold=3)],
        state=str(tmp_path / "state.json"),
    )
    for _ in range(3):
        send_alerts(config, _run(config, {"gateway": "failed", "api": "failed"}), dry_run=False)
    assert by_key(fake_pd.events) == {"gateway": "trigger"}
    fake_pd.reset()
    send_alerts(config, _run(config, {"gateway": "ok", "api": "failed"}), dry_run=False)
    assert by_key(fake_pd.events) == {"gateway": "resolve", "api": "trigger"}


def test_an_open_dependent_still_resolves_while_its_dependency_fails(
    fake_pd: FakePagerDuty, tmp_path: Path
) -> None:
    config = make_config(
        fake_pd.url,
        [service("gateway"), service("api", depends_on=["gateway"])],
        state=str(tmp_path / "state.json"),
    )
    send_alerts(config, _run(config, {"gateway": "ok", "api": "failed"}), dry_run=False)
    assert by_key(fake_pd.events) == {"gateway": "resolve", "api": "trigger"}
    fake_pd.reset()
    send_alerts(config, _run(config, {"gateway": "failed", "api": "ok"}), dry_run=False)
    assert by_key(fake_pd.events) == {"gateway": "trigger", "api": "resolve"}


def test_a_held_dependency_suppresses_nothing(fake_pd: FakePagerDuty, tmp_path: Path) -> None:
    """The dependency counts as failed after its own threshold, not before."""
    config = make_config(
        fake_pd.url,
        [service("gateway", failure_threshold=2), service("api", depends_on=["gateway"])],
        state=str(tmp_path / "state.json"),
    )
    send_alerts(config, _run(config, {"gateway": "failed", "api": "failed"}), dry_run=False)
    assert by_key(fake_pd.events) == {"api": "trigger"}


def test_without_state_dependents_are_suppressed_and_a_chain_pages_its_root(
    fake_pd: FakePagerDuty,
) -> None:
    config = make_config(
        fake_pd.url,
        [
            service("gateway"),
            service("api", depends_on=["gateway"]),
            service("orders", depends_on=["api"]),
            service("search", depends_on=["gateway"]),
        ],
    )
    outcomes = {"gateway": "failed", "api": "failed", "orders": "failed", "search": "ok"}
    report = send_alerts(config, _run(config, outcomes), dry_run=False, policy=FAST)
    assert by_key(fake_pd.events) == {"gateway": "trigger", "search": "resolve"}
    page = next(e for e in fake_pd.events if e["event_action"] == "trigger")
    details = page["payload"]["custom_details"]
    assert details["suppressed_checks"] == ["api", "orders"]
    assert report.checks["orders"].delivery == "suppressed (depends on api, which failed)"


def test_only_keeps_a_selected_checks_dependencies() -> None:
    config = make_config(
        "http://127.0.0.1:9/v2/enqueue",
        [
            service("gateway"),
            service("auth"),
            service("api", depends_on=["auth"]),
            service("orders", depends_on=["api"]),
            service("other"),
        ],
    )
    chosen = [c.name for c in select_checks(config, only=["orders"])]
    assert chosen == ["auth", "api", "orders"]


def test_unknown_names_and_cycles_are_errors_with_positions(tmp_path: Path) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text(
        "version: 1\n"
        "checks:\n"
        "  - name: gateway\n"
        "    url: https://gateway.example.com/\n"
        "    depends_on: [orders]\n"
        "  - name: api\n"
        "    url: https://api.example.com/\n"
        "    depends_on: [gateway, gatway, api]\n"
        "  - name: orders\n"
        "    url: https://orders.example.com/\n"
        "    depends_on: [api]\n"
    )
    outcome = run_cli("validate", str(path))
    assert outcome.exit_code == 2, outcome.output
    lines = outcome.output.splitlines()
    assert (
        f"{path}:8:18: checks[1].depends_on[0]: depends_on makes a cycle: "
        "gateway -> orders -> api -> gateway; remove one of them"
    ) in lines
    assert (
        f"{path}:8:27: checks[1].depends_on[1]: depends_on names 'gatway', which is no "
        'check of this file; did you mean "gateway"?'
    ) in lines
    assert f"{path}:8:35: checks[1].depends_on[2]: check 'api' depends on itself" in lines
    assert "Traceback" not in outcome.output
