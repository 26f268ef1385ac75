"""Runs through the real CLI (CliRunner, the clock passed in) against a real check
target and the fake Events API: a window or silence pages nobody, and nothing is
forgotten when it ends."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import CliResult, run_cli
from tests.support.configs import QUICK_DEFAULTS, config_document, write_config
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import Reply, TestServer

ROUTING_KEY = "0123456789abcdef0123456789abcdef"
ENV = {"PAGERDUTY_ROUTING_KEY": ROUTING_KEY}
WINDOW_FROM = datetime(2026, 12, 5, 21, 0, tzinfo=UTC)
WINDOW_TO = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)
BEFORE = WINDOW_FROM - timedelta(minutes=10)
INSIDE = WINDOW_FROM + timedelta(minutes=10)
AFTER = WINDOW_TO + timedelta(minutes=1)


class Target:
    """A check target whose status the test sets between runs."""

    def __init__(self, server: TestServer) -> None:
        self.status = 503
        self.path = "/" + server.unique("toggle")
        self.url = server.url(self.path)
        server.add_route("GET", self.path, lambda request: Reply(self.status, b"x"))


@pytest.fixture
def target(http_server: TestServer) -> Target:
    return Target(http_server)


def write(
    tmp_path: Path,
    target: Target,
    fake_pd: FakePagerDuty,
    *,
    windows: list[dict[str, Any]] | None = None,
    check: dict[str, Any] | None = None,
    stateful: bool = True,
) -> Path:
    document = config_document(
        [{"name": "payments-api", "url": target.url, "tags": ["api"], **(check or {})}],
        defaults=QUICK_DEFAULTS,
        events_url=fake_pd.url,
        state=tmp_path / "state.json" if stateful else None,
    )
    if windows is None:
        windows = [
            {
                "name": "db-migration",
                "from": WINDOW_FROM.isoformat(),
                "to": WINDOW_TO.isoformat(),
                "checks": ["payments-*"],
            }
        ]
    document["maintenance"] = windows
    return write_config(tmp_path, document)


def run(config: Path, now: datetime, *args: str) -> CliResult:
    return run_cli("run", str(config), *args, env=ENV, now=now)


def actions(fake_pd: FakePagerDuty) -> list[str]:
    return [e["event_action"] for e in fake_pd.events]


def test_failing_check_in_window_pages_nobody_then_triggers_after_it(
    tmp_path: Path, target: Target, fake_pd: FakePagerDuty
) -> None:
    config = write(tmp_path, target, fake_pd)
    junit = tmp_path / "junit.xml"

    inside = run(config, INSIDE, "--junit", str(junit))
    assert inside.exit_code == 0, inside.output  # a planned failure is not a failed run
    assert fake_pd.events == []
    assert "MAINT payments-api" in inside.stdout
    assert "not sent (maintenance: window db-migration)" in inside.stdout
    assert "1 maintenance" in inside.stdout
    skipped = ET.parse(junit).getroot().find(".//testcase/skipped")
    assert skipped is not None
    assert skipped.get("message") == "maintenance: window db-migration"

    again = run(config, INSIDE + timedelta(minutes=5), "--format", "json")
    document = json.loads(again.stdout)
    assert document["checks"][0]["outcome"] == "maintenance"
    assert document["checks"][0]["maintenance"] == "window db-migration"
    assert document["summary"]["maintenance"] == 1
    assert fake_pd.events == []

    after = run(config, AFTER)
    assert after.exit_code == 1
    assert actions(fake_pd) == ["trigger"]
    assert fake_pd.events[0]["dedup_key"] == "payments-api"


def test_failures_in_a_window_do_not_count_towards_the_threshold(
    tmp_path: Path, target: Target, fake_pd: FakePagerDuty
) -> None:
    config = write(tmp_path, target, fake_pd, check={"failure_threshold": 3})
    assert "held (threshold 1/3)" in run(config, BEFORE).stdout
    for minutes in (10, 20, 30):  # three failures that would have reached 3/3
        run(config, WINDOW_FROM + timedelta(minutes=minutes))
    assert fake_pd.events == []
    assert "held (threshold 2/3)" in run(config, AFTER).stdout
    assert fake_pd.events == []
    run(config, AFTER + timedelta(minutes=5))
    assert actions(fake_pd) == ["trigger"]  # the normal threshold, nothing forgotten


def test_alert_open_before_the_window_is_triggered_again_after_it(
    tmp_path: Path, target: Target, fake_pd: FakePagerDuty
) -> None:
    config = write(tmp_path, target, fake_pd)
    run(config, BEFORE)
    assert actions(fake_pd) == ["trigger"]
    run(config, INSIDE)
    assert actions(fake_pd) == ["trigger"]  # nothing during the window
    # Someone may have resolved the incident in PagerDuty during the window: the
    # first run after it says again that the check fails (PagerDuty folds the
    # trigger into the incident if it is still open).
    run(config, AFTER)
    assert actions(fake_pd) == ["trigger", "trigger"]
    run(config, AFTER + timedelta(minutes=5))
    assert actions(fake_pd) == ["trigger", "trigger"]  # then change-only again
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["alerts"]["payments-api"]["state"] == "open"
    assert state["maintenance"] == {}


def test_recovery_during_the_window_still_resolves(
    tmp_path: Path, target: Target, fake_pd: FakePagerDuty
) -> None:
    config = write(tmp_path, target, fake_pd)
    run(config, BEFORE)
    target.status = 200
    result = run(config, INSIDE)
    assert result.exit_code == 0
    assert "PASS  payments-api" in result.stdout
    assert actions(fake_pd) == ["trigger", "resolve"]
    target.status = 503
    run(config, AFTER)
    assert actions(fake_pd) == ["trigger", "resolve", "trigger"]


def test_undelivered_trigger_waits_for_the_window_to_end(
    tmp_path: Path, target: Target, fake_pd: FakePagerDuty
) -> None:
    from tests.support.pagerduty import Reply as PagerDutyReply

    config = write(tmp_path, target, fake_pd)
    fake_pd.always(PagerDutyReply(500))
    assert run(config, BEFORE).exit_code == 3  # kept in the state for the next run
    fake_pd.always(None)
    fake_pd.reset()
    run(config, INSIDE)
    assert fake_pd.events == []  # it would page during planned work
    run(config, AFTER)
    assert actions(fake_pd) == ["trigger"]


def test_ignore_maintenance_runs_as_if_no_window(
    tmp_path: Path, target: Target, fake_pd: FakePagerDuty
) -> None:
    config = write(tmp_path, target, fake_pd)
    result = run(config, INSIDE, "--ignore-maintenance")
    assert result.exit_code == 1
    assert "FAIL  payments-api" in result.stdout
    assert actions(fake_pd) == ["trigger"]


def test_window_by_tag_in_its_time_zone_without_state(
    tmp_path: Path, target: Target, fake_pd: FakePagerDuty
) -> None:
    window = {
        "name": "weekly-deploy",
        "every": ["sat"],
        "start": "22:00",
        "duration": "1h",
        "timezone": "Europe/Berlin",
        "tags": ["api"],
    }
    config = write(tmp_path, target, fake_pd, windows=[window], stateful=False)
    saturday_2230_cet = datetime(2026, 12, 5, 21, 30, tzinfo=UTC)
    assert run(config, saturday_2230_cet).exit_code == 0
    assert fake_pd.events == []
    assert run(config, saturday_2230_cet + timedelta(hours=1)).exit_code == 1
    assert actions(fake_pd) == ["trigger"]
