"""State on S3 that cannot be saved fails the run with exit 3 and names the
events delivered but not recorded, and the next run reconciles: a check that
passes sends its resolve, even though the state saved before says resolved.
Real boto3 against moto, through a fault proxy that answers 500 to the writes
the test picks: after the first one (the state saved before delivery lands,
the save after it fails), or every write of the state object (only the marker
beside it lands), or every write."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.alerting.locations_helpers import (
    AP,
    EU,
    ROUTING_KEY,
    US,
    Clock,
    Locations,
    clock,
    keys,
    locations_config,
)
from tests.support.aws import MotoServer
from tests.support.cli import CliResult, run_cli
from tests.support.configs import QUICK_DEFAULTS, config_document, write_config
from tests.support.faults import FaultProxy
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import TestServer

__all__ = ["clock"]
BUCKET = "unsaved-state"
KEY = "e2echeck/state.json"
STATE = f"s3://{BUCKET}/{KEY}"
PD_KEY = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def proxy(
    aws_env: dict[str, str], moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FaultProxy]:
    moto_server.client("s3").create_bucket(Bucket=BUCKET)
    with FaultProxy(moto_server.endpoint) as faults:
        monkeypatch.setenv("AWS_ENDPOINT_URL", faults.base_url)
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
        yield faults


def _single(tmp_path: Path, server: TestServer, fake: FakePagerDuty, status: int) -> str:
    checks = [{"name": "api", "url": server.url(f"/status/{status}")}]
    document = config_document(checks, defaults=QUICK_DEFAULTS, events_url=fake.url, state=STATE)
    return str(write_config(tmp_path, document, name=f"checks-{status}.yaml"))


def _run(config: str) -> CliResult:
    return run_cli("run", config, env={"PAGERDUTY_ROUTING_KEY": PD_KEY, "AWS_REGION": None})


def _sent(fake: FakePagerDuty) -> list[tuple[str, str]]:
    events = [(e["event_action"], e["dedup_key"]) for e in fake.events]
    fake.reset()
    return events


@pytest.mark.parametrize(
    ("after", "path"),
    [(1, None), (0, KEY)],
    ids=["save-after-delivery-fails", "every-state-write-fails"],
)
def test_s3_a_trigger_not_recorded_is_resolved_by_the_next_run(
    after: int,
    path: str | None,
    proxy: FaultProxy,
    tmp_path: Path,
    http_server: TestServer,
    fake_pd: FakePagerDuty,
) -> None:
    passing = _single(tmp_path, http_server, fake_pd, 200)
    failing = _single(tmp_path, http_server, fake_pd, 500)
    assert _run(passing).exit_code == 0  # the state says resolved
    _sent(fake_pd)

    proxy.fail("error", after=after, method="PUT", path=path)
    down = _run(failing)
    assert down.exit_code == 3, down.output
    assert _sent(fake_pd) == [("trigger", "api")]
    assert "delivered but not recorded: trigger api (pagerduty)" in down.stderr, down.stderr
    assert "next run reconciles" in down.stderr
    assert proxy.faults > 0

    proxy.fail("pass")
    up = _run(passing)
    assert up.exit_code == 0, up.output
    assert _sent(fake_pd) == [("resolve", "api")]

    proxy.fail("error", after=100, method="PUT")  # counts the writes, fails none
    again = _run(passing)  # reconciled and saved: back to changes only
    assert again.exit_code == 0, again.output
    assert _sent(fake_pd) == []
    assert proxy.seen == 1  # a run with nothing to send writes once


def test_s3_when_nothing_can_be_written_the_warning_names_the_events(
    proxy: FaultProxy, tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    assert _run(_single(tmp_path, http_server, fake_pd, 200)).exit_code == 0
    _sent(fake_pd)
    proxy.fail("error", method="PUT")  # the state and the marker beside it
    down = _run(_single(tmp_path, http_server, fake_pd, 500))
    assert down.exit_code == 3, down.output
    assert _sent(fake_pd) == [("trigger", "api")]
    assert "delivered but not recorded: trigger api (pagerduty)" in down.stderr, down.stderr
    assert "resolve what this run triggered by hand" in down.stderr


def _located(places: Locations, where: str, api: int) -> CliResult:
    env = {
        "PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
        "API_STATUS": str(api),
        "CTL_STATUS": "200",
        "E2ECHECK_LOCATION": None,
        "AWS_REGION": None,
    }
    return run_cli("run", str(places.config), "--location", where, env=env)


@pytest.mark.parametrize(
    ("after", "path"),
    [(1, None), (0, KEY)],
    ids=["save-after-delivery-fails", "shared-state-unwritable"],
)
def test_s3_locations_a_trigger_not_recorded_is_resolved_by_the_next_runs(
    after: int,
    path: str | None,
    proxy: FaultProxy,
    clock: Clock,
    tmp_path: Path,
    http_server: TestServer,
    fake_pd: FakePagerDuty,
) -> None:
    places = Locations(locations_config(tmp_path, http_server, fake_pd, STATE), fake_pd)
    for where in (US, EU, AP):
        assert _located(places, where, 200).exit_code == 0
    places.take()
    clock.advance(minutes=1)
    assert _located(places, US, 503).exit_code == 1  # one location of two: held
    assert places.take() == []

    clock.advance(minutes=1)
    proxy.fail("error", after=after, method="PUT", path=path)
    down = _located(places, EU, 503)  # the second failing location triggers
    assert down.exit_code == 3, down.output
    assert keys(places.take()) == [("trigger", "api-health")]
    assert "delivered but not recorded: trigger api-health (pagerduty)" in down.stderr
    assert "next run reconciles" in down.stderr
    assert proxy.faults > 0

    proxy.fail("pass")
    sent = []
    for where in (US, EU, AP):
        clock.advance(minutes=1)
        up = _located(places, where, 200)
        assert up.exit_code == 0, up.output
        sent.extend(keys(places.take()))
    assert ("resolve", "api-health") in sent, sent
    assert ("trigger", "api-health") not in sent, sent
