"""20 overlapping runs from 3 locations on one shared state, as threads of this
process running the real engine and alerting: no observation and no transition
is lost, and none is sent twice. Each run observes one check of its own
(`--only chk-N`), so a lost update would show as a missing observation; all of
them also see `api-health` fail, which must page exactly once. The same on an
S3 object (conditional writes, moto) and on a local file (flock)."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from e2echeck.alerting.state import open_store
from e2echeck.runner import RunOptions, execute
from tests.alerting.locations_helpers import EXPECTED, ROUTING_KEY
from tests.support.aws import MotoServer
from tests.support.configs import QUICK_DEFAULTS, config_document, load_config
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import TestServer

RUNS = 20


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["file", "s3"])
def test_overlapping_runs_lose_nothing_and_send_each_transition_once(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    http_server: TestServer,
    fake_pd: FakePagerDuty,
) -> None:
    if backend == "s3":
        request.getfixturevalue("aws_env")
        moto: MotoServer = request.getfixturevalue("moto_server")
        moto.client("s3").create_bucket(Bucket="shared")
        state = "s3://shared/state.json"
    else:
        state = str(tmp_path / "state.json")
    checks: list[dict[str, Any]] = [
        {"name": "ctl", "url": http_server.url("/status/200"), "role": "control"},
        {"name": "api-health", "url": http_server.url("/status/503")},
        *({"name": f"chk-{n:02}", "url": http_server.url("/status/200")} for n in range(RUNS)),
    ]
    document = config_document(checks, defaults=QUICK_DEFAULTS, events_url=fake_pd.url, state=state)
    document["locations"] = {"expected": EXPECTED, "quorum": 2}
    config = load_config(document, env={"PAGERDUTY_ROUTING_KEY": ROUTING_KEY})

    def one(n: int) -> int:
        options = RunOptions(only=(f"chk-{n:02}", "api-health"), location=EXPECTED[n % 3])
        outcome = execute(config, options)
        assert not outcome.alert_report or not outcome.alert_report.warnings, (
            outcome.alert_report.warnings
        )
        return outcome.exit_code

    with ThreadPoolExecutor(max_workers=RUNS) as pool:
        codes = list(pool.map(one, range(RUNS)))
    assert codes == [1] * RUNS  # api-health fails everywhere

    sent = Counter((e["event_action"], e["dedup_key"]) for e in fake_pd.events)
    assert sent == Counter(
        {
            ("trigger", "api-health"): 1,
            **{("resolve", f"e2echeck-control-{w}"): 1 for w in EXPECTED},
        }
    )
    document = open_store(state).load().to_json()
    seen = document["locations"]["seen"]
    for n in range(RUNS):
        assert seen[EXPECTED[n % 3]]["checks"][f"chk-{n:02}"]["outcome"] == "ok", n
    assert all(seen[w]["checks"]["api-health"]["outcome"] == "failed" for w in EXPECTED)
    assert document["locations"]["sending"] == []  # every claim released
    alerts = document["alerts"]
    assert alerts["api-health"]["state"] == "open"
    assert all(alert["undelivered"] == [] for alert in alerts.values()), json.dumps(alerts)
