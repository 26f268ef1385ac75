"""Edges: routing keys of the wrong shape, durations and silences past their
bounds, time zones that are not IANA names, and a Retry-After past what a run
may wait: each a clear error or a kept event, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2echeck.config.types import MAX_DURATION_SECONDS, parse_duration
from tests.support.cli import run_cli
from tests.support.configs import QUICK_DEFAULTS, config_document, write_config
from tests.support.pagerduty import FakePagerDuty, Reply
from tests.support.servers import TestServer

ROUTING_KEY = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    "key", ["x", "0123456789abcdef0123456789abcdef0", "0123456789abcdef 123456789abcdef"]
)
def test_a_routing_key_of_the_wrong_shape_is_a_config_error(
    key: str, tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    checks = [{"name": "down", "url": http_server.url("/status/500")}]
    document = config_document(checks, defaults=QUICK_DEFAULTS, events_url=fake_pd.url)
    config = write_config(tmp_path, document)

    result = run_cli("run", str(config), env={"PAGERDUTY_ROUTING_KEY": key})

    assert result.exit_code == 2, result.output
    assert "pagerduty.routing_key" in result.output and "32" in result.output
    assert key not in result.output
    assert fake_pd.requests == []
    # At the line and column where the key is written.
    lines = config.read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "routing_key:" in text)
    column = lines[line - 1].index("routing_key:") + len("routing_key: ") + 1
    assert f"{config}:{line}:{column}: pagerduty.routing_key: a PagerDuty" in result.stderr


def test_validate_warns_of_a_known_routing_key_of_the_wrong_shape(tmp_path: Path) -> None:
    config = tmp_path / "checks.yaml"
    config.write_text(
        "version: 1\n"
        'pagerduty: {routing_key: "${PD_KEY}"}\n'
        "checks:\n"
        "  - name: a\n    url: https://a.example.com/\n"
        "  - name: b\n    url: https://b.example.com/\n    routing_key: short-key\n",
        encoding="utf-8",
    )
    result = run_cli("validate", str(config), env={"PD_KEY": ROUTING_KEY})
    assert result.exit_code == 0, result.output  # a placeholder key is fine for --no-alert
    assert result.stdout.splitlines()[0] == (
        f"{config}:8:18: checks[1].routing_key: warning: a PagerDuty routing key is 32 "
        "letters and digits; this one is 9 characters, not all letters and digits (check "
        "the integration key the variable or secret holds); PagerDuty would refuse every event"
    )
    assert "pagerduty.routing_key" not in result.stdout  # its ${PD_KEY} has the right shape
    run = run_cli("run", str(config), env={"PD_KEY": ROUTING_KEY})
    assert run.exit_code == 2
    assert f"{config}:8:18: checks[1].routing_key: a PagerDuty routing key" in run.stderr


def test_durations_have_an_upper_bound() -> None:
    assert parse_duration("8784h") == MAX_DURATION_SECONDS
    with pytest.raises(ValueError, match="at most 366 days"):
        parse_duration("87600000h")
    with pytest.raises(ValueError, match="at most 366 days"):
        parse_duration(10**30)


def test_a_silence_past_the_bound_is_a_usage_error(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    result = run_cli("silence", "--state", str(state), "api", "--for", "87600000h")
    assert result.exit_code == 2, result.output
    assert "at most 366 days" in result.output and "Traceback" not in result.output
    assert not state.exists()


def test_a_duration_past_the_bound_is_a_config_error_with_its_position(tmp_path: Path) -> None:
    document = {
        "version": 1,
        "checks": [{"name": "a", "url": "https://a.example.com/", "timeout": "87600000h"}],
    }
    result = run_cli("validate", str(write_config(tmp_path, document)))
    assert result.exit_code == 2, result.output
    assert "checks[0].timeout" in result.output and "at most 366 days" in result.output


def test_a_time_zone_is_checked_against_the_iana_names(tmp_path: Path) -> None:
    document = {
        "version": 1,
        "maintenance": [
            {"name": "w", "checks": ["a"], "every": "sun", "at": "02:00", "duration": "1h",
             "timezone": "Europe/" + "x" * 300},
        ],
        "checks": [{"name": "a", "url": "https://a.example.com/"}],
    }  # fmt: skip
    result = run_cli("validate", str(write_config(tmp_path, document)))
    assert result.exit_code == 2, result.output
    assert "maintenance[0].timezone" in result.output and "unknown time zone" in result.output
    assert "Traceback" not in result.output


def test_a_retry_after_past_the_wait_keeps_the_event_for_the_next_run(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    checks = [{"name": "down", "url": http_server.url("/status/500")}]
    state = tmp_path / "state.json"
    document = config_document(
        checks, defaults=QUICK_DEFAULTS, events_url=fake_pd.url, state=str(state)
    )
    config = write_config(tmp_path, document)
    fake_pd.script(Reply(429, headers={"Retry-After": "3600"}))

    result = run_cli("run", str(config), env={"PAGERDUTY_ROUTING_KEY": ROUTING_KEY})

    assert result.exit_code == 3, result.output
    assert len(fake_pd.requests) == 1  # not retried early, not slept through
    assert "retry in 3600s: kept for the next run" in result.output
    again = run_cli("run", str(config), env={"PAGERDUTY_ROUTING_KEY": ROUTING_KEY})
    assert again.exit_code == 1, again.output
    assert [e["event_action"] for e in fake_pd.events] == ["trigger"]
