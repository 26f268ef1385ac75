"""Clock skew between locations, with an injected clock per run: one location an
hour ahead or behind causes no false trigger and no false silent-location page,
and a warning names it; a location that really stops is still reported silent."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from e2echeck.alerting.clocks import Freshness
from tests.alerting.locations_helpers import (
    AP,
    EU,
    US,
    Clock,
    Locations,
    clock,
    keys,
    locations_config,
)
from tests.support.cli import CliResult
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import TestServer

__all__ = ["clock"]
HOUR = timedelta(hours=1)


@pytest.fixture
def places(tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty) -> Locations:
    state = tmp_path / "shared" / "state.json"
    return Locations(locations_config(tmp_path, http_server, fake_pd, state), fake_pd)


def _run(places: Locations, clock: Clock, where: str, skew: timedelta, api: int = 200) -> CliResult:
    """`where` runs with its clock `skew` off the real (test) one."""
    real = clock.now
    clock.now = real + skew
    try:
        return places.run(where, api=api)
    finally:
        clock.now = real


def _cycle(places: Locations, clock: Clock, skewed: str, skew: timedelta, **api: int) -> str:
    """Every location runs once, a minute apart; their stderr together."""
    said = ""
    for where in (US, EU, AP):
        clock.advance(minutes=1)
        result = _run(
            places, clock, where, skew if where == skewed else timedelta(), api.get(where, 200)
        )
        said += result.stderr
    return said


@pytest.mark.parametrize("skew", [HOUR, -HOUR], ids=["ahead", "behind"])
def test_one_location_off_by_an_hour_pages_nobody_falsely(
    skew: timedelta, places: Locations, clock: Clock
) -> None:
    said = ""
    for _ in range(25):  # past max_age (15m) several times over
        said += _cycle(places, clock, AP, skew)
    assert [k for k in keys(places.take()) if k[0] == "trigger"] == []
    assert "location ap-southeast-2's clock seems" in said

    # A real outage seen by two locations still pages once.
    said = _cycle(places, clock, AP, skew, **{US: 503, EU: 503})
    assert keys(places.take()) == [("trigger", "api-health")]


def test_a_stale_failure_from_a_clock_ahead_is_not_counted(places: Locations, clock: Clock) -> None:
    _cycle(places, clock, AP, timedelta())
    places.take()
    clock.advance(minutes=1)
    _run(places, clock, AP, HOUR, api=503)  # then ap-southeast-2 stops running
    sent = []
    for _ in range(3):
        clock.advance(minutes=6)
        _run(places, clock, US, timedelta())
        sent += places.take()
    clock.advance(minutes=1)
    _run(places, clock, EU, timedelta(), api=503)  # 1 real failure + 1 stale one
    sent += places.take()
    assert ("trigger", "api-health") not in keys(sent)
    assert ("trigger", "e2echeck-location-ap-southeast-2") in keys(sent)  # it did stop


def test_freshness_needs_no_clock_for_a_report_written_since() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, tzinfo=UTC)
    fresh = Freshness(now, 900.0, since_seq=10)
    assert fresh.fresh("2025-12-31T22:00:00+00:00", 11)  # 2h old by this clock, written since
    assert not fresh.fresh("2025-12-31T22:00:00+00:00", 9)
    assert not fresh.fresh("2026-01-01T01:00:00+00:00", 9)  # an hour in the future
    assert fresh.fresh("2026-01-01T00:00:30+00:00", 9)  # within the tolerance
