"""On S3 every location takes the time from S3 (the `Date` of moto's answers,
through a proxy that moves it with the test's clock), not from its own clock:
one location an hour ahead or behind, or jumping an hour mid-life, causes no
false trigger and no false silent-location page, and a warning names it, in the
CLI and in the Lambda's log. Without a usable `Date` the write count judges."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from e2echeck import lambda_handler
from e2echeck.alerting import locations
from e2echeck.alerting.clocks import clock_of
from e2echeck.alerting.locations import LocationsDoc
from e2echeck.alerting.state import open_store
from tests.alerting.locations_helpers import (
    AP,
    EU,
    EXPECTED,
    ROUTING_KEY,
    START,
    US,
    Clock,
    Locations,
    clock,
    keys,
    locations_config,
    s3_on_test_time,
)
from tests.support.aws import MotoServer
from tests.support.cli import run_cli
from tests.support.faults import FaultProxy
from tests.support.lambda_runtime import FakeContext
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import TestServer

__all__ = ["clock", "s3_on_test_time"]  # the fixtures, used by name
HOUR = timedelta(hours=1)
STATE = "s3://shared-state/e2echeck/state.json"


class OwnClock:
    """The clock of the location that runs next: the test's (S3's) plus `skew`."""

    def __init__(self, true: Clock) -> None:
        self.true, self.skew = true, timedelta()

    def __call__(self) -> datetime:
        return self.true.now + self.skew


@pytest.fixture
def own(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> OwnClock:
    skewed = OwnClock(clock)
    monkeypatch.setattr(locations, "clock", skewed)
    return skewed


@pytest.fixture
def places(
    tmp_path: Path,
    http_server: TestServer,
    fake_pd: FakePagerDuty,
    s3_on_test_time: FaultProxy,
    moto_server: MotoServer,
) -> Locations:
    moto_server.client("s3").create_bucket(Bucket="shared-state")
    return Locations(locations_config(tmp_path, http_server, fake_pd, STATE), fake_pd)


def _cycle(
    places: Locations, clock: Clock, own: OwnClock, skews: dict[str, timedelta], **api: int
) -> dict[str, str]:
    """Every location runs once, a minute apart; what each said on stderr."""
    said = {}
    for where in (US, EU, AP):
        clock.advance(minutes=1)
        own.skew = skews.get(where, timedelta())
        said[where] = places.run(where, api=api.get(where, 200)).stderr
    own.skew = timedelta()
    return said


def _stamps() -> dict[str, str]:
    doc = LocationsDoc.from_state(open_store(STATE).load())
    return {name: seen.at for name, seen in doc.seen.items()}


def _named(said: str, where: str) -> bool:
    return f"location {where}'s clock" in said


@pytest.mark.parametrize("skew", [HOUR, -HOUR], ids=["ahead", "behind"])
def test_on_s3_a_location_an_hour_off_pages_nobody_falsely_and_is_named(
    skew: timedelta, places: Locations, clock: Clock, own: OwnClock
) -> None:
    way = "ahead of" if skew > timedelta() else "behind"
    for cycle in range(12):  # 36 minutes: past max_age (15m) twice over
        said = _cycle(places, clock, own, {AP: skew})
        assert _stamps()[AP] == clock.now.isoformat()  # S3's time, not its own
        for where in EXPECTED if cycle else [AP]:  # every location names it, and only it
            assert f"location {AP}'s clock is about 1.0h {way} S3's" in said[where]
            assert not _named(said[where], US) and not _named(said[where], EU)
    assert [k for k in keys(places.take()) if k[0] == "trigger"] == []

    # A real outage seen by two locations still pages once.
    _cycle(places, clock, own, {AP: skew}, **{US: 503, EU: 503})
    assert keys(places.take()) == [("trigger", "api-health")]

    # A failure it saw before it stopped counts only while it is fresh by S3's clock.
    clock.advance(minutes=1)
    own.skew = skew
    places.run(AP, api=503)
    own.skew = timedelta()
    for _ in range(3):
        clock.advance(minutes=6)
        places.run(US)
        places.run(EU)
    sent = places.take()
    assert keys(sent) == [("resolve", "api-health"), ("trigger", f"e2echeck-location-{AP}")]


@pytest.mark.parametrize("jump", [HOUR, -HOUR], ids=["forward", "back"])
def test_on_s3_a_clock_that_jumps_mid_life_pages_nobody_falsely(
    jump: timedelta, places: Locations, clock: Clock, own: OwnClock
) -> None:
    for _ in range(2):
        _cycle(places, clock, own, {})
    places.take()
    said = _cycle(places, clock, own, {AP: jump})  # between two of its runs
    said.update(_cycle(places, clock, own, {AP: jump}))
    assert [k for k in keys(places.take()) if k[0] == "trigger"] == []
    assert _named(said[AP], AP) and not _named(said[AP], US) and not _named(said[AP], EU)
    assert _stamps()[AP] == clock.now.isoformat()


def test_a_maintenance_window_is_judged_by_s3s_clock(
    places: Locations, clock: Clock, own: OwnClock
) -> None:
    """The window is open by S3's time; each location's own clock (the machine's,
    days later here) has left it: still nothing pages."""
    document = yaml.safe_load(places.config.read_text(encoding="utf-8"))
    document["maintenance"] = [
        {
            "name": "migration",
            "from": (START - HOUR).isoformat(),
            "to": (START + HOUR).isoformat(),
            "checks": ["api-health"],
        }
    ]
    places.config.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    _cycle(places, clock, own, {})
    places.take()
    _cycle(places, clock, own, {}, **{US: 503, EU: 503, AP: 503})
    assert [k for k in keys(places.take()) if k[0] == "trigger"] == []


def test_without_a_usable_date_the_write_count_judges(
    places: Locations, clock: Clock, own: OwnClock, s3_on_test_time: FaultProxy
) -> None:
    """ap-southeast-2, an hour ahead, gets no usable `Date` (as a version that
    stamped by its own clock): its reports carry its clock and are judged by the
    shared document's write count. us-east-1, an hour behind, goes by S3's."""
    proxy, moved = s3_on_test_time, s3_on_test_time.date
    skews = {US: -HOUR, AP: HOUR}
    said: dict[str, str] = {}
    for _ in range(12):  # 36 minutes: past max_age (15m) twice over
        for where in (US, EU, AP):
            clock.advance(minutes=1)
            own.skew = skews.get(where, timedelta())
            proxy.date = (lambda: "not a date") if where == AP else moved
            said[where] = places.run(where).stderr
    own.skew = timedelta()
    stamps = _stamps()
    assert stamps[AP] == (clock.now + HOUR).isoformat()  # its own clock
    assert stamps[US] == (clock.now - timedelta(minutes=2)).isoformat()  # S3's
    assert [k for k in keys(places.take()) if k[0] == "trigger"] == []
    assert f"location {AP}'s clock seems ahead of S3's by about" in said[EU]
    assert f"location {US}'s clock is about 1.0h behind S3's" in said[EU]
    assert not _named(said[EU], EU)


def test_a_location_s3_refuses_is_told_its_clock_is_off(
    places: Locations,
    clock: Clock,
    own: OwnClock,
    s3_on_test_time: FaultProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """AWS refuses requests signed more than 15 minutes off S3's time: the
    location cannot read the shared state, and its warning says why."""
    _cycle(places, clock, own, {})
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    s3_on_test_time.fail("error")  # S3's refusal, with S3's Date
    own.skew = HOUR
    env = {"PAGERDUTY_ROUTING_KEY": ROUTING_KEY, "E2ECHECK_LOCATION": None, "AWS_REGION": None}
    result = run_cli("run", str(places.config), "--location", AP, env=env)
    assert result.exit_code == 3, result.output
    assert "shared state is unavailable" in result.stderr
    assert (
        f"location {AP}'s clock is about 1.0h ahead of S3's: fix its time (NTP); S3 refuses "
        "requests signed more than 15 minutes off its time"
    ) in result.stderr


@pytest.fixture
def region_config(
    tmp_path: Path,
    http_server: TestServer,
    fake_pd: FakePagerDuty,
    s3_on_test_time: FaultProxy,
    moto_server: MotoServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Path]:
    moto_server.client("s3").create_bucket(Bucket="shared-state")
    monkeypatch.setenv("PAGERDUTY_ROUTING_KEY", ROUTING_KEY)
    monkeypatch.delenv("E2ECHECK_LOCATION", raising=False)
    monkeypatch.delenv("E2ECHECK_STATE", raising=False)
    lambda_handler.reset_cache()
    yield locations_config(tmp_path, http_server, fake_pd, STATE)
    lambda_handler.reset_cache()


def test_the_lambda_logs_the_location_whose_clock_is_off(
    region_config: Path,
    clock: Clock,
    own: OwnClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def invoke(region: str) -> list[dict[str, Any]]:
        lambda_handler.reset_cache()  # another region: another container
        monkeypatch.setenv("AWS_REGION", region)
        monkeypatch.setenv("API_STATUS", "200")
        clock.advance(minutes=1)
        own.skew = -HOUR if region == AP else timedelta()
        lambda_handler.handler({"config": str(region_config)}, FakeContext(60_000))
        lines = capsys.readouterr().out.splitlines()
        return [json.loads(x) for x in lines if x.startswith("{")]

    for region in EXPECTED:
        invoke(region)
    logged = invoke(AP)
    (summary,) = [line for line in logged if line.get("type") == "summary"]
    assert summary["location"] == AP
    assert summary["warnings"] == [
        f"location {AP}'s clock is about 1.0h behind S3's: fix its time (NTP); its "
        "reports are stamped and ages judged by S3's clock meanwhile"
    ]
    (summary,) = [line for line in invoke(US) if line.get("type") == "summary"]
    assert any(f"location {AP}'s clock" in w for w in summary["warnings"])


def test_the_date_of_an_answer() -> None:
    def answer(date: Any) -> dict[str, Any]:
        return {"ResponseMetadata": {"HTTPHeaders": {"date": date}}}

    found = clock_of(answer("Wed, 02 Dec 2026 00:26:41 GMT"))
    assert found is not None and found.at == datetime(2026, 12, 2, 0, 26, 41, tzinfo=UTC)
    assert found.now() >= found.at
    for unusable in ("not a date", "", None, 17):
        assert clock_of(answer(unusable)) is None
    assert clock_of({"ResponseMetadata": {}}) is None
    assert clock_of(None) is None
