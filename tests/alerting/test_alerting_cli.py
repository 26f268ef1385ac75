"""`e2echeck run` end to end: real check targets, the fake Events API, the real CLI.

Asserts on what the fake PagerDuty received and what the user saw, for the
alert lifecycle, exit codes 0/1/2/3, state redelivery and secrets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import CliResult, run_cli
from tests.support.configs import QUICK_DEFAULTS, config_document, write_config
from tests.support.pagerduty import FakePagerDuty, HeartbeatServer, Reply
from tests.support.servers import TestServer

ROUTING_KEY = "R0UTINGKEY0123456789abcdefabcdef"
OTHER_KEY = "OTHERKEY0123456789abcdefabcdef00"
API_TOKEN = "tok-7f3a9c2e5b1d4e6f"


def write(tmp_path: Path, document: dict[str, Any]) -> str:
    return str(write_config(tmp_path, document))


def config(
    fake: FakePagerDuty,
    checks: list[dict[str, Any]],
    *,
    state: Path | None = None,
    heartbeat: str | None = None,
    **defaults: Any,
) -> dict[str, Any]:
    return config_document(
        checks,
        defaults={**QUICK_DEFAULTS, "timeout": "2s", **defaults},
        events_url=fake.url,
        routing_key="${PD_KEY}",
        state=state,
        heartbeat=None if heartbeat is None else {"url": heartbeat, "timeout": "2s"},
    )


def run(path: str, *args: str, env: dict[str, str] | None = None) -> CliResult:
    return run_cli(
        "run", path, *args, env={"PD_KEY": ROUTING_KEY, "API_TOKEN": API_TOKEN, **(env or {})}
    )


def by_key(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["dedup_key"]: e for e in events}


def test_failed_check_triggers_and_passed_check_resolves(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    path = write(
        tmp_path,
        config(
            fake_pd,
            [
                {"name": "up", "url": http_server.url("/status/200"), "tags": ["web"]},
                {
                    "name": "down",
                    "url": http_server.url("/status/503"),
                    "expect": {"status": 200},
                    "severity": "error",
                    "tags": ["api", "edge"],
                },
            ],
        ),
    )
    result = run(path)
    assert result.exit_code == 1, result.output
    events = by_key(fake_pd.events)
    assert set(events) == {"up", "down"}
    trigger, resolve = events["down"], events["up"]
    assert trigger["event_action"] == "trigger"
    assert trigger["routing_key"] == ROUTING_KEY
    payload = trigger["payload"]
    assert payload["summary"] == "down failed: expected status 200, got 503"
    assert payload["source"] == "127.0.0.1"
    assert payload["severity"] == "error"
    assert payload["component"] == "down"
    assert payload["group"] == "api"
    assert payload["class"] == "e2e check"
    assert payload["custom_details"]["status_code"] == 503
    assert trigger["links"][0]["href"] == http_server.url("/status/503")
    assert resolve == {"routing_key": ROUTING_KEY, "event_action": "resolve", "dedup_key": "up"}
    assert "2 sent" in result.output and "2 delivered" in result.output


def test_all_passing_exits_zero(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    path = write(tmp_path, config(fake_pd, [{"name": "up", "url": http_server.url("/")}]))
    result = run(path)
    assert result.exit_code == 0, result.output
    assert [e["event_action"] for e in fake_pd.events] == ["resolve"]


def test_per_check_routing_key(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    checks = [
        {"name": "mine", "url": http_server.url("/status/500")},
        {"name": "theirs", "url": http_server.url("/status/500"), "routing_key": "${OTHER}"},
    ]
    result = run(write(tmp_path, config(fake_pd, checks)), env={"OTHER": OTHER_KEY})
    assert result.exit_code == 1, result.output
    keys = {e["dedup_key"]: e["routing_key"] for e in fake_pd.events}
    assert keys == {"mine": ROUTING_KEY, "theirs": OTHER_KEY}
    assert OTHER_KEY not in result.output


def test_secrets_never_reach_events_or_output(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    # The server echoes the request (headers included) in its body: the body
    # excerpt of the failing check would carry the token if it were not redacted.
    checks = [
        {
            "name": "echo",
            "url": http_server.url("/anything/secret"),
            "headers": {"Authorization": "Bearer ${API_TOKEN}", "Cookie": "session=${API_TOKEN}"},
            "expect": {"status": 201, "body_contains": ["never there"]},
        }
    ]
    path = write(tmp_path, config(fake_pd, checks))
    junit, report = tmp_path / "junit.xml", tmp_path / "report.json"
    result = run(path, "-vv", "--junit", str(junit), "--json", str(report))
    assert result.exit_code == 1, result.output
    (event,) = fake_pd.events
    assert event["routing_key"] == ROUTING_KEY  # PagerDuty needs it; nothing else may carry it
    rest = json.dumps({k: v for k, v in event.items() if k != "routing_key"})
    assert "custom_details" in rest and "***" in rest
    for text in (rest, result.output, junit.read_text(), report.read_text()):
        assert API_TOKEN not in text
        assert ROUTING_KEY not in text


def test_pagerduty_down_exits_3_and_the_next_run_delivers_the_kept_event(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    state = tmp_path / "state.json"
    path = write(
        tmp_path,
        config(fake_pd, [{"name": "down", "url": http_server.url("/status/500")}], state=state),
    )
    fake_pd.always(Reply(500))
    first = run(path, "--deadline", "1s")
    assert first.exit_code == 3, first.output
    assert "NOT DELIVERED trigger down" in first.output
    assert fake_pd.events == []
    assert state.exists()

    fake_pd.always(None)
    second = run(path)
    assert second.exit_code == 1, second.output
    assert [(e["event_action"], e["dedup_key"]) for e in fake_pd.events] == [("trigger", "down")]

    third = run(path)  # no change: nothing more is sent
    assert third.exit_code == 1, third.output
    assert len(fake_pd.events) == 1


def test_rate_limited_twice_then_delivered(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    fake_pd.script(Reply(429), Reply(429))
    path = write(
        tmp_path, config(fake_pd, [{"name": "down", "url": http_server.url("/status/502")}])
    )
    result = run(path)
    assert result.exit_code == 1, result.output
    assert len(fake_pd.received) == 3
    assert [e["dedup_key"] for e in fake_pd.events] == ["down"]


def test_failure_threshold_with_state(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    state = tmp_path / "state.json"
    checks = [{"name": "flappy", "url": http_server.url("/status/500"), "failure_threshold": 2}]
    path = write(tmp_path, config(fake_pd, checks, state=state))
    first = run(path)
    assert first.exit_code == 1, first.output
    assert fake_pd.events == []
    assert "held" in first.output
    second = run(path)
    assert second.exit_code == 1, second.output
    assert [(e["event_action"], e["dedup_key"]) for e in fake_pd.events] == [("trigger", "flappy")]


def test_missing_routing_key_is_a_config_error_unless_no_alert(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    path = write(
        tmp_path, config(fake_pd, [{"name": "down", "url": http_server.url("/status/500")}])
    )
    refused = run_cli("run", path, env={"PD_KEY": None})
    assert refused.exit_code == 2
    assert "PD_KEY" in refused.output and "checks.yaml:" in refused.output
    assert fake_pd.received == []

    dry = run_cli("run", path, "--no-alert", env={"PD_KEY": None})
    assert dry.exit_code == 1, dry.output
    assert "would send 1 event" in dry.output
    assert "trigger" in dry.output and "down failed: expected status 2xx, got 500" in dry.output
    assert fake_pd.received == []


def test_no_alert_json_report_carries_the_events(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    path = write(
        tmp_path, config(fake_pd, [{"name": "down", "url": http_server.url("/status/500")}])
    )
    result = run(path, "--no-alert", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    (check,) = document["checks"]
    assert check["alert"]["action"] == "trigger"
    assert check["alert"]["delivery"] == "not sent (--no-alert)"
    (event,) = document["alerting"]["events"]
    assert event["routing_key"] == "***"
    assert fake_pd.received == []


def test_heartbeat_is_pinged_once_per_run(
    tmp_path: Path,
    http_server: TestServer,
    fake_pd: FakePagerDuty,
    heartbeat_server: HeartbeatServer,
) -> None:
    path = write(
        tmp_path,
        config(
            fake_pd, [{"name": "up", "url": http_server.url("/")}], heartbeat=heartbeat_server.url
        ),
    )
    assert run(path).exit_code == 0
    assert run(path).exit_code == 0
    assert heartbeat_server.hits == 2
    assert run(path, "--no-alert").exit_code == 0
    assert heartbeat_server.hits == 2  # a dry run from a laptop must not hide a dead scheduler


def test_heartbeat_failure_is_a_warning_not_an_error(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty, refused_url: str
) -> None:
    path = write(
        tmp_path,
        config(fake_pd, [{"name": "up", "url": http_server.url("/")}], heartbeat=refused_url),
    )
    result = run(path)
    assert result.exit_code == 0, result.output
    assert "warning" in result.output and "heartbeat" in result.output


def test_control_checks_failing_send_one_warning_and_nothing_else(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty, refused_url: str
) -> None:
    checks = [
        {"name": "service-a", "url": http_server.url("/status/500")},
        {"name": "service-b", "url": http_server.url("/status/200")},
        {"name": "internet", "role": "control", "url": refused_url},
    ]
    path = write(tmp_path, config(fake_pd, checks))
    result = run(path)
    assert result.exit_code == 1, result.output
    (event,) = fake_pd.events
    assert event["dedup_key"] == "e2echeck-control"
    assert event["event_action"] == "trigger"
    assert event["payload"]["severity"] == "warning"
    assert "UNKN" in result.output

    fake_pd.reset()
    checks[2]["url"] = http_server.url("/status/204")
    path = write(tmp_path, config(fake_pd, checks))
    result = run(path)
    assert result.exit_code == 1, result.output
    events = by_key(fake_pd.events)
    assert events["e2echeck-control"]["event_action"] == "resolve"
    assert events["service-a"]["event_action"] == "trigger"


@pytest.mark.parametrize("deadline", ["2s"])
def test_many_failing_checks_deliver_concurrently(
    tmp_path: Path, http_server: TestServer, deadline: str
) -> None:
    with FakePagerDuty(delay=0.05) as fake:
        checks = [{"name": f"c{i}", "url": http_server.url("/status/500")} for i in range(200)]
        document = config(fake, checks)
        document["pagerduty"]["max_events_per_minute"] = 200  # above the default budget
        path = write(tmp_path, document)
        result = run(path, "-q")
        assert result.exit_code == 1, result.output[-2000:]
        assert len(fake.events) == 200
        assert {e["dedup_key"] for e in fake.events} == {f"c{i}" for i in range(200)}
        arrivals = sorted(r.at for r in fake.requests)
        # One at a time would take 200 x 50 ms = 10 s; a generous bound.
        assert arrivals[-1] - arrivals[0] < 8.0
