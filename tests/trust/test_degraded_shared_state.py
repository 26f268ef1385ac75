"""While a location cannot read or write the shared state (S3 answering 500s or
resetting connections, through a fault proxy in front of moto), it never
resolves an alert another location may hold open, still triggers what it sees
failing, and fails the run with a clear message."""

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
from tests.support.faults import FaultProxy
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import TestServer

__all__ = ["clock"]
BUCKET = "shared-state"


@pytest.fixture
def proxy(
    aws_env: dict[str, str], moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FaultProxy]:
    moto_server.client("s3").create_bucket(Bucket=BUCKET)
    with FaultProxy(moto_server.endpoint) as faults:
        monkeypatch.setenv("AWS_ENDPOINT_URL", faults.base_url)
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
        yield faults


def _run(places: Locations, where: str, api: int = 200) -> CliResult:
    env = {
        "PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
        "API_STATUS": str(api),
        "CTL_STATUS": "200",
        "E2ECHECK_LOCATION": None,
        "AWS_REGION": None,
    }
    return run_cli("run", str(places.config), "--location", where, env=env)


@pytest.mark.parametrize(
    ("mode", "after"),
    [("error", 0), ("reset", 0), ("reset", 1)],
    ids=["500s", "resets", "reset-mid-run"],
)
def test_a_location_cut_off_from_the_shared_state_never_resolves(
    mode: str,
    after: int,
    proxy: FaultProxy,
    clock: Clock,
    tmp_path: Path,
    http_server: TestServer,
    fake_pd: FakePagerDuty,
) -> None:
    state = f"s3://{BUCKET}/e2echeck/state.json"
    places = Locations(locations_config(tmp_path, http_server, fake_pd, state), fake_pd)
    for where in (US, EU, AP):
        assert _run(places, where).exit_code == 0
    places.take()
    clock.advance(minutes=1)
    _run(places, US, api=503)
    clock.advance(minutes=1)
    _run(places, EU, api=503)
    assert keys(places.take()) == [("trigger", "api-health")]

    proxy.fail("error" if mode == "error" else "reset", after=after)
    for _ in range(2):  # on every cycle
        clock.advance(minutes=1)
        proxy.fail("error" if mode == "error" else "reset", after=after)
        healthy = _run(places, AP)
        assert healthy.exit_code == 3, healthy.output
        assert places.take() == []  # the incident the others hold stays open
        assert "shared state is unavailable" in healthy.stderr
        assert "no alert is resolved" in healthy.stderr
        assert "Traceback" not in healthy.output

    clock.advance(minutes=1)
    failing = _run(places, AP, api=503)  # what it sees failing still pages
    assert failing.exit_code == 3, failing.output
    assert keys(places.take()) == [("trigger", "api-health")]
    assert proxy.faults > 0

    proxy.fail("pass")
    clock.advance(minutes=1)
    assert _run(places, US).exit_code in (0, 1)
