"""Corrupt or hostile state of any shape, depth and size: a warning, never a
traceback, in `run`, `silence` and on S3; the failure still pages."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest

from e2echeck.alerting.state import MAX_STATE_BYTES, MAX_STATE_DEPTH, State, StateError
from tests.support.aws import MotoServer
from tests.support.cli import run_cli
from tests.support.configs import QUICK_DEFAULTS, config_document, write_config
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import TestServer

ROUTING_KEY = "0123456789abcdef0123456789abcdef"
DEEP = b"[" * 100_000 + b"]" * 100_000
HOSTILE_DOCUMENTS = [
    DEEP,
    b'{"version": 2, "alerts": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_001,
    b'{"version": 2, "alerts": {"x": [1, 2]}}',
    b'{"version": 2, "alerts": {"x": {"status": {"a": []}, "undelivered": 7}}}',
    b'{"version": 2, "alerts": {}, "silences": [{"pattern": []}]}',
    b'{"version": 2, "alerts": {}, "locations": {"seen": {"a": {"at": 5}}}}',
    b'{"version": 1, "alerts": {"x": {"undelivered": [{"payload": 3}]}}}',
    b"\xff\xfe",
    b"null",
]


@pytest.mark.parametrize("raw", HOSTILE_DOCUMENTS, ids=range(len(HOSTILE_DOCUMENTS)))
def test_decode_refuses_any_hostile_document_with_a_state_error(raw: bytes) -> None:
    with contextlib.suppress(StateError):  # or a state that takes what it understands
        assert isinstance(State.decode(raw), State)


def test_decode_caps_depth_and_size() -> None:
    with pytest.raises(StateError, match="deeper"):
        State.decode(b'{"version": 2, "alerts": {}, "x": ' + b"[" * 70 + b"]" * 70 + b"}")
    with pytest.raises(StateError, match="MiB"):
        State.decode(b" " * (MAX_STATE_BYTES + 1))
    assert MAX_STATE_DEPTH >= 16


def _config(tmp_path: Path, server: TestServer, events_url: str, state: str) -> Path:
    checks = [{"name": "down", "url": server.url("/status/500")}]
    document = config_document(checks, defaults=QUICK_DEFAULTS, events_url=events_url, state=state)
    return write_config(tmp_path, document)


@pytest.mark.parametrize("raw", [DEEP, HOSTILE_DOCUMENTS[1]], ids=["array", "object"])
def test_a_deep_local_state_warns_and_still_pages(
    raw: bytes, tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    state = tmp_path / "state.json"
    state.write_bytes(raw)
    config = _config(tmp_path, http_server, fake_pd.url, str(state))

    result = run_cli("run", str(config), env={"PAGERDUTY_ROUTING_KEY": ROUTING_KEY})

    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 1, result.output
    assert "deeper" in result.stderr and "Traceback" not in result.output
    assert [(e["event_action"], e["dedup_key"]) for e in fake_pd.events] == [("trigger", "down")]

    silenced = run_cli("silence", "--config", str(config), "down", "--for", "1h")
    assert silenced.exit_code == 2, silenced.output
    assert "deeper" in silenced.output and "Traceback" not in silenced.output


def test_a_deep_shared_state_on_s3_warns_and_still_pages(
    tmp_path: Path,
    http_server: TestServer,
    fake_pd: FakePagerDuty,
    aws_env: dict[str, str],
    moto_server: MotoServer,
) -> None:
    s3: Any = moto_server.client("s3")
    s3.create_bucket(Bucket="e2e-state")
    s3.put_object(Bucket="e2e-state", Key="state.json", Body=DEEP)
    config = _config(tmp_path, http_server, fake_pd.url, "s3://e2e-state/state.json")

    result = run_cli("run", str(config), env={"PAGERDUTY_ROUTING_KEY": ROUTING_KEY})

    assert result.exit_code == 1, result.output
    assert "deeper" in result.stderr and "Traceback" not in result.output
    assert [(e["event_action"], e["dedup_key"]) for e in fake_pd.events] == [("trigger", "down")]
