"""The Lambda handler, called in-process with a fake context, against local
servers and a fake PagerDuty Events API (the real engine and alerting)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from e2echeck import lambda_handler
from e2echeck.config import ConfigError
from e2echeck.lambda_handler import handler, run_deadline
from e2echeck.runner import PreparedRun, RunOptions
from e2echeck.runner import prepare as real_prepare
from tests.support.aws import MotoServer
from tests.support.lambda_runtime import CONFIG, ROUTING_KEY, FakeContext, Servers


def _log_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def _by_name(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["name"]: check for check in summary["checks"]}


def test_passing_check_resolves_and_returns_summary(
    servers: Servers,
    lambda_env: dict[str, str],
    config_file: Path,
    context: FakeContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    summary = handler({"config": str(config_file), "only": ["up"]}, context)

    checks = _by_name(summary)
    assert checks["up"]["ok"] is True
    assert checks["up"]["status_code"] == 200
    assert summary["summary"]["exit_code"] == 0
    assert summary["summary"]["failed"] == 0
    assert servers.actions() == {"up": "resolve"}
    json.dumps(summary)  # the return value is JSON

    lines = _log_lines(capsys.readouterr().out)
    check_lines = [line for line in lines if line["type"] == "check"]
    assert [line["name"] for line in check_lines] == ["up"]
    assert lines[-1]["type"] == "summary"


def test_failing_check_triggers(
    servers: Servers,
    lambda_env: dict[str, str],
    config_file: Path,
    context: FakeContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    summary = handler({"config": str(config_file)}, context)

    checks = _by_name(summary)
    assert checks["up"]["ok"] is True
    assert checks["down"]["ok"] is False
    assert checks["down"]["status_code"] == 500
    assert checks["down"]["failures"]
    assert summary["summary"] | {"exit_code": 1, "failed": 1, "passed": 1} == summary["summary"]
    assert servers.actions() == {"up": "resolve", "down-key": "trigger"}
    trigger = next(e for e in servers.events if e["event_action"] == "trigger")
    assert trigger["routing_key"] == ROUTING_KEY
    assert trigger["payload"]["summary"].startswith("down failed")

    out = capsys.readouterr().out
    assert ROUTING_KEY not in out
    assert ROUTING_KEY not in json.dumps(summary)
    names = [line["name"] for line in _log_lines(out) if line["type"] == "check"]
    assert sorted(names) == ["down", "up"]  # one JSON line per check


def test_config_from_environment_then_bundled(
    servers: Servers,
    lambda_env: dict[str, str],
    config_file: Path,
    context: FakeContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("E2ECHECK_CONFIG", str(config_file))
    summary = handler({"source": "aws.events", "detail": {}}, context)  # a scheduled event
    assert summary["config"] == str(config_file)
    assert sorted(_by_name(summary)) == ["down", "up"]

    monkeypatch.delenv("E2ECHECK_CONFIG")
    assert lambda_handler.config_source({}) == str(lambda_handler.BUNDLED_CONFIG)
    assert lambda_handler.BUNDLED_CONFIG.parent == Path(lambda_handler.__file__).parent.parent


@pytest.mark.parametrize(
    ("event", "ran"),
    [
        ({"only": "up"}, {"up"}),
        ({"only": ["down"]}, {"down"}),
        ({"tags": ["api"]}, {"down"}),
        ({"tags": "web"}, {"up"}),
    ],
)
def test_event_selects_checks(
    servers: Servers,
    lambda_env: dict[str, str],
    config_file: Path,
    context: FakeContext,
    event: dict[str, Any],
    ran: set[str],
) -> None:
    summary = handler({"config": str(config_file), **event}, context)

    started = {c["name"] for c in summary["checks"] if c["outcome"] in ("ok", "failed")}
    assert started == ran
    assert {path.split("?")[0].strip("/") for path in servers.requests} == {
        {"up": "ok", "down": "fail"}[name] for name in ran
    }


def test_deadline_comes_from_the_context(
    servers: Servers,
    lambda_env: dict[str, str],
    config_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[RunOptions] = []

    def spy(config: Any, options: RunOptions) -> PreparedRun:
        seen.append(options)
        return real_prepare(config, options)

    monkeypatch.setattr(lambda_handler, "prepare", spy)
    handler({"config": str(config_file)}, FakeContext(remaining_ms=120_000))
    assert seen[0].deadline is not None
    # 120 s left: 20 % (24 s) is kept to deliver the events, which must be
    # delivered 5 s before the end.
    assert 95.0 <= seen[0].deadline <= 96.0
    assert seen[0].delivery_deadline is not None
    assert 114.0 <= seen[0].delivery_deadline <= 115.0

    handler({"config": str(config_file)}, FakeContext(remaining_ms=15_000))
    assert seen[1].deadline is not None
    assert 7.0 <= seen[1].deadline <= 7.5  # 10 s would be too much: half is kept

    handler({"config": str(config_file)}, None)  # invoked without a context
    assert seen[2].deadline is None
    assert seen[2].delivery_deadline is None


def test_deadline_margin_arithmetic() -> None:
    assert run_deadline(FakeContext(remaining_ms=900_000)) == pytest.approx(840, abs=0.5)
    assert run_deadline(FakeContext(remaining_ms=60_000)) == pytest.approx(48, abs=0.5)
    assert run_deadline(FakeContext(remaining_ms=30_000)) == pytest.approx(20, abs=0.5)
    assert run_deadline(FakeContext(remaining_ms=8_000)) == pytest.approx(4, abs=0.5)
    assert run_deadline(FakeContext(remaining_ms=0)) == 0.0


def test_checks_past_the_deadline_are_skipped_and_send_nothing(
    servers: Servers,
    lambda_env: dict[str, str],
    config_file: Path,
) -> None:
    summary = handler({"config": str(config_file)}, FakeContext(remaining_ms=0))

    assert {c["outcome"] for c in summary["checks"]} == {"skipped"}
    assert servers.events == []


def test_invalid_config_raises_with_every_problem(
    lambda_env: dict[str, str], tmp_path: Path, context: FakeContext
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "version: 1\nchecks:\n  - name: x\n    url: http://127.0.0.1:1/\n"
        "    expcet: {status: 200}\n"
    )
    with pytest.raises(ConfigError) as caught:
        handler({"config": str(broken)}, context)
    message = str(caught.value)
    assert "broken.yaml:5" in message
    assert "expcet" in message
    assert "expect" in message  # the suggestion


def test_missing_config_raises(lambda_env: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        handler({"config": str(tmp_path / "nope.yaml")}, FakeContext())


def test_a_config_without_any_routing_key_raises_before_running(
    lambda_env: dict[str, str], tmp_path: Path, servers: Servers
) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text(CONFIG.replace("  routing_key: ${PAGERDUTY_ROUTING_KEY}\n", ""))
    with pytest.raises(ConfigError, match="no routing key for up, down"):
        handler({"config": str(path)}, FakeContext())
    assert servers.requests == []  # no check ran
    assert servers.events == []


def test_unset_routing_key_raises(
    lambda_env: dict[str, str],
    config_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PAGERDUTY_ROUTING_KEY")
    with pytest.raises(ConfigError, match="PAGERDUTY_ROUTING_KEY"):
        handler({"config": str(config_file)}, FakeContext())


@pytest.mark.parametrize("event", [{"only": 3}, {"tags": [1]}, {"config": ["a"]}])
def test_malformed_event_raises(
    lambda_env: dict[str, str], config_file: Path, event: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match="event"):
        handler({"config": str(config_file), **event}, FakeContext())


def test_warm_invocation_reuses_the_config(
    servers: Servers,
    lambda_env: dict[str, str],
    config_file: Path,
) -> None:
    first = handler({"config": str(config_file)}, FakeContext())
    # A warm container does not read the file again: remove it, break it...
    config_file.unlink()
    second = handler({"config": str(config_file)}, FakeContext())
    assert _by_name(second).keys() == _by_name(first).keys()

    # ... until the container is recycled.
    lambda_handler.reset_cache()
    with pytest.raises(ConfigError):
        handler({"config": str(config_file)}, FakeContext())


def test_undelivered_event_fails_the_invocation(
    servers: Servers,
    lambda_env: dict[str, str],
    config_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    servers.refuse_events(400)  # PagerDuty refuses: not retried, not delivered
    with pytest.raises(lambda_handler.UndeliveredEventsError):
        handler({"config": str(config_file), "only": ["down"]}, FakeContext(remaining_ms=30_000))
    summary_line = _log_lines(capsys.readouterr().out)[-1]
    assert summary_line["type"] == "summary"
    assert summary_line["exit_code"] == 3


def test_relative_state_path_goes_to_the_temporary_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from e2echeck.config import load_config_text

    monkeypatch.delenv("E2ECHECK_STATE", raising=False)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    text = "version: 1\nstate: {path: .e2echeck/state.json}\nchecks: [{name: a, url: 'http://x/'}]"
    config = load_config_text(text)
    assert lambda_handler.state_path_for(config) == str(tmp_path / ".e2echeck/state.json")
    monkeypatch.setenv("E2ECHECK_STATE", "s3://bucket/state.json")
    assert lambda_handler.state_path_for(config) == "s3://bucket/state.json"


def test_config_from_s3(
    servers: Servers,
    lambda_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    aws_env: dict[str, str],
    moto_server: MotoServer,
) -> None:
    s3: Any = moto_server.client("s3")
    s3.create_bucket(Bucket="probe-bucket")
    s3.put_object(Bucket="probe-bucket", Key="e2e/checks.yaml", Body=CONFIG.encode())
    monkeypatch.setenv("E2ECHECK_CONFIG", "s3://probe-bucket/e2e/checks.yaml")

    summary = handler({"only": "up"}, FakeContext())
    assert summary["config"] == "s3://probe-bucket/e2e/checks.yaml"
    assert [c["outcome"] for c in summary["checks"]] == ["ok"]

    # Warm: the object is not fetched again.
    s3.delete_object(Bucket="probe-bucket", Key="e2e/checks.yaml")
    assert handler({"only": "up"}, FakeContext())["summary"]["passed"] == 1

    with pytest.raises(ValueError, match="s3://bucket/key"):
        handler({"config": "s3://just-a-bucket"}, FakeContext())
