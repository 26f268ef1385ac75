"""Flap detection and `failure_rate`: an endpoint failing every other run pages
once and says it flaps, and a check failing 1 run in 3 pages at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from e2echeck.config import Config
from e2echeck.engine.results import RunResult
from tests.alerting.helpers import FAST, make_config, result, run_of, service
from tests.support.alerting import send_alerts
from tests.support.cli import run_cli
from tests.support.pagerduty import FakePagerDuty


def _run(config: Config, outcome: str) -> RunResult:
    return run_of(result(config, "lb", outcome))


def _runs(fake: FakePagerDuty, config: Config, outcomes: list[str]) -> list[list[dict[str, Any]]]:
    """The events each run sent, run by run."""
    sent = []
    for outcome in outcomes:
        before = len(fake.events)
        send_alerts(config, _run(config, outcome), dry_run=False, policy=FAST)
        sent.append(fake.events[before:])
    return sent


ALTERNATING = ["failed", "ok"] * 10  # a bad backend behind a load balancer, 20 runs


@pytest.mark.parametrize("threshold", [1, 2, 3])
def test_an_alternating_endpoint_pages_at_most_three_times_and_goes_quiet(
    fake_pd: FakePagerDuty, tmp_path: Path, threshold: int
) -> None:
    config = make_config(
        fake_pd.url,
        [service("lb", failure_threshold=threshold)],
        state=str(tmp_path / "state.json"),
    )
    sent = _runs(fake_pd, config, ALTERNATING)
    triggers = [e for run in sent for e in run if e["event_action"] == "trigger"]
    assert 1 <= len(triggers) <= 3, [len(run) for run in sent]
    assert all(run == [] for run in sent[8:]), [len(run) for run in sent]
    last = triggers[-1]["payload"]
    assert last["summary"].startswith("lb flapping: ")
    assert last["summary"].endswith(" changes in the last 4 runs")
    assert last["custom_details"]["flapping"] == last["summary"].removeprefix("lb ")


def test_flapping_false_keeps_the_thresholds_alone(fake_pd: FakePagerDuty, tmp_path: Path) -> None:
    config = make_config(
        fake_pd.url, [service("lb", flapping=False)], state=str(tmp_path / "state.json")
    )
    sent = _runs(fake_pd, config, ALTERNATING)
    actions = [e["event_action"] for run in sent for e in run]
    assert actions.count("trigger") == 10 and actions.count("resolve") == 10


def test_a_flapping_check_resolves_once_it_stopped_flapping_and_passed(
    fake_pd: FakePagerDuty, tmp_path: Path
) -> None:
    config = make_config(
        fake_pd.url,
        [service("lb", success_threshold=2, flapping={"window": 8, "high": 50, "low": 25})],
        state=str(tmp_path / "state.json"),
    )
    _runs(fake_pd, config, ["failed", "ok"] * 4)
    fake_pd.reset()
    # Passing from now on: 8 runs back there are 1 change (12.5%) after 7 passes.
    sent = _runs(fake_pd, config, ["ok"] * 8)
    actions = [[e["event_action"] for e in run] for run in sent]
    resolved_at = next(i for i, run in enumerate(actions) if run)
    assert actions[resolved_at] == ["resolve"]
    assert sum(len(run) for run in actions) == 1
    assert resolved_at >= 4  # not while the last 8 runs still flapped


def test_failure_rate_pages_a_check_failing_one_run_in_three(
    fake_pd: FakePagerDuty, tmp_path: Path
) -> None:
    outcomes = ["failed", "ok", "ok"] * 4
    config = make_config(
        fake_pd.url,
        [service("lb", flapping=False, failure_threshold=2)],
        state=str(tmp_path / "without.json"),
    )
    sent = _runs(fake_pd, config, outcomes)
    assert not [e for run in sent for e in run if e["event_action"] == "trigger"]

    fake_pd.reset()
    config = make_config(
        fake_pd.url,
        [service("lb", flapping=False, failure_threshold=2)],
        defaults={"failure_rate": {"failures": 3, "of": 9}},
        state=str(tmp_path / "with.json"),
    )
    sent = _runs(fake_pd, config, outcomes)
    triggered = [
        i for i, run in enumerate(sent) if any(e["event_action"] == "trigger" for e in run)
    ]
    assert triggered[0] == 6  # the third failure among the last 9 runs


def test_bad_settings_are_errors_with_positions(tmp_path: Path) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text(
        "version: 1\n"
        "defaults:\n"
        "  flapping: {high: 20, low: 30}\n"
        "checks:\n"
        "  - name: lb\n"
        "    url: https://lb.example.com/\n"
        "    failure_rate: {failures: 4, of: 3}\n"
        "    flapping: {window: 2}\n"
    )
    outcome = run_cli("validate", str(path))
    assert outcome.exit_code == 2, outcome.output
    assert f"{path}:3:29: defaults.flapping.low: low (30) must not be above high (20)" in (
        outcome.output
    )
    assert f"{path}:7:30: checks[0].failure_rate.failures: failures (4) must not be" in (
        outcome.output
    )
    assert f"{path}:8:24: checks[0].flapping.window: expected 4 or more; got 2" in outcome.output
