"""The same function deployed to three regions, one shared state object in S3
(moto's server, real boto3): each invocation's location is its $AWS_REGION,
the quorum decides, and every log line says where it ran. Each region is its
own container: the config cache is reset between them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2echeck import lambda_handler
from e2echeck.alerting import locations
from e2echeck.errors import LocationError
from tests.alerting.locations_helpers import EXPECTED, ROUTING_KEY, Clock, locations_config
from tests.support.aws import MotoServer
from tests.support.lambda_runtime import FakeContext
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import TestServer

US, EU, AP = EXPECTED


@pytest.fixture
def region_config(
    tmp_path: Path,
    http_server: TestServer,
    fake_pd: FakePagerDuty,
    aws_env: dict[str, str],
    moto_server: MotoServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Path]:
    moto_server.client("s3").create_bucket(Bucket="ops-state")
    path = locations_config(tmp_path, http_server, fake_pd, "s3://ops-state/e2echeck/state.json")
    clock = Clock()
    monkeypatch.setattr(locations, "clock", clock)
    monkeypatch.setenv("PAGERDUTY_ROUTING_KEY", ROUTING_KEY)
    monkeypatch.delenv("E2ECHECK_LOCATION", raising=False)
    monkeypatch.delenv("E2ECHECK_STATE", raising=False)
    lambda_handler.reset_cache()
    yield path
    lambda_handler.reset_cache()


def invoke(
    monkeypatch: pytest.MonkeyPatch, path: Path, region: str, api: int, **event: Any
) -> dict[str, Any]:
    lambda_handler.reset_cache()  # another region: another container
    monkeypatch.setenv("AWS_REGION", region)
    monkeypatch.setenv("API_STATUS", str(api))
    summary: dict[str, Any] = lambda_handler.handler(
        {"config": str(path), **event}, FakeContext(60_000)
    )
    return summary


def test_three_regions_page_once_on_a_quorum(
    region_config: Path,
    fake_pd: FakePagerDuty,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for region in EXPECTED:
        invoke(monkeypatch, region_config, region, 200)
    fake_pd.reset()
    capsys.readouterr()

    first = invoke(monkeypatch, region_config, US, 503)
    assert [e for e in fake_pd.events if e["event_action"] == "trigger"] == []
    assert first["summary"]["location"] == US
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    logged = [line for line in lines if line.get("type") in ("check", "summary")]
    assert logged and all(line["location"] == US for line in logged)
    metrics = [line for line in lines if line.get("type") == "metrics"]
    per_check = [m for m in metrics if "check" in m]
    assert per_check and all(m["location"] == US for m in metrics)
    for document in per_check:  # by check, and by check in this location
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Dimensions"] == [["check"], ["check", "location"]]
    (run_document,) = [m for m in metrics if "check" not in m]
    assert run_document["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [[], ["location"]]

    second = invoke(monkeypatch, region_config, EU, 503)
    assert [(e["event_action"], e["dedup_key"]) for e in fake_pd.events] == [
        ("trigger", "api-health")
    ]
    api = next(c for c in second["checks"] if c["name"] == "api-health")
    assert api["decision"]["decision"] == "fail"
    assert api["alert"]["action"] == "trigger"

    fake_pd.reset()
    third = invoke(monkeypatch, region_config, "somewhere", 503, location=AP)  # the event's
    assert third["summary"]["location"] == AP
    assert fake_pd.events == []  # already open: not sent again


def test_a_region_not_expected_fails_the_invocation(
    region_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(LocationError, match=r"'sa-east-1' is not in locations\.expected"):
        invoke(monkeypatch, region_config, "sa-east-1", 200)
