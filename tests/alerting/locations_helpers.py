"""Three locations running one checks.yaml, for the locations tests: the same
file everywhere; what each location sees comes from its environment
(`API_STATUS`, `CTL_STATUS` pick the test server's answer)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from e2echeck.alerting import locations
from tests.support.aws import MotoServer
from tests.support.cli import CliResult, run_cli
from tests.support.configs import QUICK_DEFAULTS, config_document, write_config
from tests.support.faults import FaultProxy
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import TestServer

ROUTING_KEY = "LOCATIONSKEY0123456789abcdefabcd"
EXPECTED = ["us-east-1", "eu-west-1", "ap-southeast-2"]
US, EU, AP = EXPECTED
START = datetime(2026, 11, 27, 10, 0, 0, tzinfo=UTC)


class Clock:
    """The clock of the locations' ages: moved by the test, never slept through."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    fake = Clock()
    monkeypatch.setattr(locations, "clock", fake)
    yield fake


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


@pytest.fixture
def s3_on_test_time(
    clock: Clock, aws_env: dict[str, str], moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FaultProxy]:
    """moto behind a proxy whose answers' `Date` is the test's clock: S3's time,
    which the locations go by, moves as the test moves it (nothing sleeps)."""
    with FaultProxy(moto_server.endpoint) as proxy:
        proxy.date = lambda: http_date(clock.now)
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.base_url)
        yield proxy


def locations_config(
    tmp_path: Path,
    server: TestServer,
    fake: FakePagerDuty,
    state: str | Path,
    **section: Any,
) -> Path:
    checks = [
        {"name": "ctl", "url": server.url("/status/${CTL_STATUS:-200}"), "role": "control"},
        {"name": "api-health", "url": server.url("/status/${API_STATUS:-200}")},
        {"name": "web", "url": server.url("/status/200")},
    ]
    document = config_document(checks, defaults=QUICK_DEFAULTS, events_url=fake.url, state=state)
    document["locations"] = {"expected": EXPECTED, "quorum": 2, **section}
    document["checks"] = document.pop("checks")
    return write_config(tmp_path, document)


@dataclass
class Locations:
    config: Path
    fake: FakePagerDuty

    def run(
        self, location: str, api: int = 200, ctl: int = 200, extra: tuple[str, ...] = ()
    ) -> CliResult:
        env = {
            "PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
            "API_STATUS": str(api),
            "CTL_STATUS": str(ctl),
            "E2ECHECK_LOCATION": None,
            "AWS_REGION": None,
        }
        result = run_cli("run", str(self.config), "--location", location, *extra, env=env)
        assert result.exit_code in (0, 1), result.output
        return result

    def sent(self) -> list[tuple[str, str]]:
        events = [(e["event_action"], e["dedup_key"]) for e in self.fake.events]
        return events

    def take(self) -> list[dict[str, Any]]:
        events = list(self.fake.events)
        self.fake.reset()
        return events


def triggers(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["event_action"] == "trigger"]


def keys(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((e["event_action"], e["dedup_key"]) for e in events)


def json_report(result: CliResult) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(result.stdout)
    return document
