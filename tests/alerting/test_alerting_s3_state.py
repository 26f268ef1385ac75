"""`state: {path: s3://bucket/key}` through the real CLI: boto3 talks to moto's
server on 127.0.0.1 over HTTP, events go to the fake Events API. The threshold
and the change-only rule hold across runs because the state lives in S3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.aws import MotoServer
from tests.support.cli import CliResult, run_cli, run_cli_process
from tests.support.configs import QUICK_DEFAULTS, config_document, write_config
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import TestServer

ROUTING_KEY = "S3STATEKEY0123456789abcdefabcdef"
BUCKET, KEY = "e2e-state", "prod/e2echeck-state.json"
STATE_URL = f"s3://{BUCKET}/{KEY}"


def write(tmp_path: Path, fake: FakePagerDuty, server: TestServer, flappy_status: int) -> str:
    checks = [
        {"name": "up", "url": server.url("/status/200")},
        {
            "name": "flappy",
            "url": server.url(f"/status/{flappy_status}"),
            "failure_threshold": 2,
            "success_threshold": 2,
        },
    ]
    document = config_document(
        checks, defaults=QUICK_DEFAULTS, events_url=fake.url, state=STATE_URL
    )
    return str(write_config(tmp_path, document))


def run(path: str) -> CliResult:
    return run_cli("run", path, env={"PAGERDUTY_ROUTING_KEY": ROUTING_KEY})


def sent(fake: FakePagerDuty) -> list[tuple[str, str]]:
    events = [(e["event_action"], e["dedup_key"]) for e in fake.events]
    fake.reset()
    return events


def stored(s3: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read())
    return document


def test_s3_state_carries_thresholds_and_sends_changes_only(
    tmp_path: Path,
    monkeypatch: Any,
    http_server: TestServer,
    fake_pd: FakePagerDuty,
    aws_env: dict[str, str],
    moto_server: MotoServer,
) -> None:
    monkeypatch.chdir(tmp_path)  # a local state file would land here: none may
    s3: Any = moto_server.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    failing = write(tmp_path, fake_pd, http_server, 500)

    first = run(failing)
    assert first.exit_code == 1, first.output
    assert sent(fake_pd) == [("resolve", "up")]  # flappy: 1 failure of 2, held
    assert "held" in first.output
    assert set(stored(s3)["alerts"]) >= {"flappy", "up"}

    second = run(failing)
    assert second.exit_code == 1, second.output
    assert sent(fake_pd) == [("trigger", "flappy")]

    third = run(failing)  # nothing changed: nothing is sent
    assert third.exit_code == 1, third.output
    assert sent(fake_pd) == []

    passing = write(tmp_path, fake_pd, http_server, 200)
    assert run(passing).exit_code == 0
    assert sent(fake_pd) == []  # 1 success of 2: still triggered
    assert run(passing).exit_code == 0
    assert sent(fake_pd) == [("resolve", "flappy")]

    assert [p.name for p in tmp_path.iterdir()] == ["checks.yaml"]
    assert ROUTING_KEY not in json.dumps(stored(s3))


def test_s3_state_from_a_child_process_with_only_the_env(
    tmp_path: Path,
    http_server: TestServer,
    fake_pd: FakePagerDuty,
    aws_env: dict[str, str],
    moto_server: MotoServer,
) -> None:
    # `aws_env` is all a separate process needs to reach moto (nothing inherited
    # from boto3 in this process): the run reads and writes the state in S3.
    s3: Any = moto_server.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    path = write(tmp_path, fake_pd, http_server, 500)
    env = {**aws_env, "PAGERDUTY_ROUTING_KEY": ROUTING_KEY}
    for _ in range(2):
        result = run_cli_process("run", path, "-q", env=env)
        assert result.exit_code == 1, result.output
    assert sent(fake_pd) == [("resolve", "up"), ("trigger", "flappy")]
    assert stored(s3)["alerts"]["flappy"]["state"] == "open"
