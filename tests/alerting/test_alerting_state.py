"""State between runs: thresholds, change-only events, redelivery, the file itself."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from e2echeck.alerting.state import (
    FileStateStore,
    S3StateStore,
    State,
    StateError,
    open_store,
)
from e2echeck.config import Config
from e2echeck.engine.results import RunResult
from tests.alerting.helpers import FAST, by_key, make_config, result, run_of, service
from tests.support.alerting import send_alerts
from tests.support.aws import MotoServer
from tests.support.pagerduty import FakePagerDuty, Reply


def _run(config: Config, **outcomes: str) -> RunResult:
    return run_of(*(result(config, name, outcome) for name, outcome in outcomes.items()))


def _saved(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def test_failure_threshold_2_first_failing_run_sends_nothing_second_triggers(
    fake_pd: FakePagerDuty, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    config = make_config(
        fake_pd.url, [service("a")], defaults={"failure_threshold": 2}, state=str(state)
    )

    first = send_alerts(config, _run(config, a="failed"), dry_run=False, policy=FAST)
    assert fake_pd.received == []
    assert first.checks["a"].action == "none"
    assert first.checks["a"].delivery == "held (threshold 1/2)"
    assert first.stateful

    second = send_alerts(config, _run(config, a="failed"), dry_run=False, policy=FAST)
    assert by_key(fake_pd.events) == {"a": "trigger"}
    assert second.checks["a"].action == "trigger"
    assert second.checks["a"].delivery == "delivered"

    third = send_alerts(config, _run(config, a="failed"), dry_run=False, policy=FAST)
    assert len(fake_pd.events) == 1  # still failing: no new event
    assert third.checks["a"].delivery == "no change (alert open)"
    assert _saved(state)["alerts"]["a"]["consecutive_failures"] == 3


def test_a_pass_between_failures_restarts_the_count(fake_pd: FakePagerDuty, tmp_path: Path) -> None:
    config = make_config(
        fake_pd.url,
        [service("a")],
        defaults={"failure_threshold": 2},
        state=str(tmp_path / "s.json"),
    )
    for outcome in ("failed", "ok", "failed"):
        send_alerts(config, _run(config, a=outcome), dry_run=False, policy=FAST)
    assert [e["event_action"] for e in fake_pd.events] == ["resolve"]  # first sighting, passing


def test_success_threshold_holds_the_resolve(fake_pd: FakePagerDuty, tmp_path: Path) -> None:
    config = make_config(
        fake_pd.url,
        [service("a", success_threshold=2)],
        state=str(tmp_path / "s.json"),
    )
    send_alerts(config, _run(config, a="failed"), dry_run=False, policy=FAST)
    held = send_alerts(config, _run(config, a="ok"), dry_run=False, policy=FAST)
    assert held.checks["a"].delivery == "held (threshold 1/2)"
    assert [e["event_action"] for e in fake_pd.events] == ["trigger"]
    done = send_alerts(config, _run(config, a="ok"), dry_run=False, policy=FAST)
    assert done.checks["a"].action == "resolve"
    assert [e["event_action"] for e in fake_pd.events] == ["trigger", "resolve"]


def test_with_state_only_changes_are_sent(fake_pd: FakePagerDuty, tmp_path: Path) -> None:
    config = make_config(fake_pd.url, [service("a"), service("b")], state=str(tmp_path / "s"))
    timeline = [
        {"a": "ok", "b": "ok"},  # first sighting: both resolved once
        {"a": "ok", "b": "ok"},  # nothing
        {"a": "failed", "b": "ok"},  # a triggers
        {"a": "failed", "b": "ok"},  # nothing
        {"a": "ok", "b": "ok"},  # a resolves
        {"a": "ok", "b": "skipped"},  # nothing
    ]
    sent_per_run = []
    for outcomes in timeline:
        before = len(fake_pd.events)
        send_alerts(config, _run(config, **outcomes), dry_run=False, policy=FAST)
        arrived = fake_pd.events[before:]
        sent_per_run.append(sorted((e["dedup_key"], e["event_action"]) for e in arrived))
    assert sent_per_run == [
        [("a", "resolve"), ("b", "resolve")],
        [],
        [("a", "trigger")],
        [],
        [("a", "resolve")],
        [],
    ]


def test_without_state_every_run_sends_every_event(fake_pd: FakePagerDuty) -> None:
    config = make_config(fake_pd.url, [service("a")], defaults={"failure_threshold": 3})
    for _ in range(2):
        report = send_alerts(config, _run(config, a="failed"), dry_run=False, policy=FAST)
    assert [e["event_action"] for e in fake_pd.events] == ["trigger", "trigger"]
    assert any("need state" in w for w in report.warnings)


def test_pagerduty_down_keeps_the_event_and_the_next_run_delivers_it(
    fake_pd: FakePagerDuty, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    config = make_config(fake_pd.url, [service("a"), service("b")], state=str(state))
    send_alerts(config, _run(config, a="ok", b="ok"), dry_run=False, policy=FAST)
    fake_pd.reset()

    fake_pd.always(Reply(500))
    down = send_alerts(config, _run(config, a="failed", b="ok"), dry_run=False, policy=FAST)
    assert down.undelivered == 1
    assert down.checks["a"].delivery.endswith("; kept for the next run")
    kept = _saved(state)["alerts"]["a"]["undelivered"]
    assert [(p["sink"], p["transition"]["action"]) for p in kept] == [("pagerduty", "trigger")]
    assert "routing_key" not in json.dumps(kept)

    fake_pd.always(None)
    fake_pd.reset()
    # Still failing, so no state change and no new event: the kept one goes out.
    again = send_alerts(config, _run(config, a="failed", b="ok"), dry_run=False, policy=FAST)
    assert again.undelivered == 0
    assert by_key(fake_pd.events) == {"a": "trigger"}
    assert fake_pd.events[0]["payload"]["summary"] == "a failed: status 503, expected 200"
    assert again.checks["a"].action == "trigger"
    assert again.checks["a"].delivery == "delivered (kept from an earlier run)"
    assert _saved(state)["alerts"]["a"]["undelivered"] == []


def test_kept_events_go_out_before_new_ones(fake_pd: FakePagerDuty, tmp_path: Path) -> None:
    config = make_config(fake_pd.url, [service("a"), service("b")], state=str(tmp_path / "s"))
    send_alerts(config, _run(config, a="ok", b="ok"), dry_run=False, policy=FAST)
    fake_pd.always(Reply(503))
    send_alerts(config, _run(config, a="failed", b="ok"), dry_run=False, policy=FAST)
    fake_pd.always(None)
    fake_pd.reset()
    report = send_alerts(
        config,
        _run(config, a="failed", b="failed"),
        dry_run=False,
        policy=FAST.__class__(max_workers=1, max_attempts=1),
    )
    assert [(e["dedup_key"], e["event_action"]) for e in fake_pd.events] == [
        ("a", "trigger"),
        ("b", "trigger"),
    ]
    assert [d.redelivery for d in report.deliveries] == [True, False]


def test_a_newer_event_supersedes_an_undelivered_one(
    fake_pd: FakePagerDuty, tmp_path: Path
) -> None:
    config = make_config(fake_pd.url, [service("a")], state=str(tmp_path / "s"))
    send_alerts(config, _run(config, a="ok"), dry_run=False, policy=FAST)
    fake_pd.always(Reply(503))
    send_alerts(config, _run(config, a="failed"), dry_run=False, policy=FAST)  # trigger kept
    fake_pd.always(None)
    fake_pd.reset()

    report = send_alerts(config, _run(config, a="ok"), dry_run=False, policy=FAST)

    assert [e["event_action"] for e in fake_pd.events] == ["resolve"]  # no stale trigger
    assert report.checks["a"].action == "resolve"


def test_dry_run_leaves_state_untouched(fake_pd: FakePagerDuty, tmp_path: Path) -> None:
    state = tmp_path / "s.json"
    config = make_config(fake_pd.url, [service("a")], state=str(state))
    send_alerts(config, _run(config, a="ok"), dry_run=False, policy=FAST)
    before = state.read_bytes()

    report = send_alerts(config, _run(config, a="failed"), dry_run=True)

    assert state.read_bytes() == before
    assert report.checks["a"].action == "trigger"
    assert report.checks["a"].delivery == "not sent (--no-alert)"
    assert len(fake_pd.received) == 1


def test_state_path_argument_overrides_the_config(fake_pd: FakePagerDuty, tmp_path: Path) -> None:
    config = make_config(fake_pd.url, [service("a")], state=str(tmp_path / "from-config.json"))
    override = tmp_path / "sub" / "dir" / "override.json"
    send_alerts(config, _run(config, a="ok"), dry_run=False, state_path=str(override), policy=FAST)
    assert override.exists()
    assert not (tmp_path / "from-config.json").exists()


def test_corrupt_state_warns_and_falls_back_to_stateless(
    fake_pd: FakePagerDuty, tmp_path: Path
) -> None:
    state = tmp_path / "s.json"
    state.write_text('{"version": 1, "alerts": {"a": ')
    config = make_config(
        fake_pd.url, [service("a")], defaults={"failure_threshold": 2}, state=str(state)
    )

    report = send_alerts(config, _run(config, a="failed"), dry_run=False, policy=FAST)

    assert not report.stateful
    assert any("not valid JSON" in w and "without state" in w for w in report.warnings)
    assert by_key(fake_pd.events) == {"a": "trigger"}  # stateless: no threshold
    assert state.read_text() == '{"version": 1, "alerts": {"a": '  # left for a human


@pytest.mark.parametrize(
    "content",
    [
        "[]",
        '{"version": 99, "alerts": {}}',
        '{"version": 1, "alerts": {"a": {"state": "maybe"}}}',
        '{"version": 1, "alerts": {"a": {"consecutive_failures": -1}}}',
        '{"version": 1, "alerts": {"a": {"undelivered": [{"action": "explode"}]}}}',
        "\x00\xff",
    ],
)
def test_malformed_state_documents_are_errors(tmp_path: Path, content: str) -> None:
    path = tmp_path / "s.json"
    path.write_bytes(content.encode("latin-1"))
    with pytest.raises(StateError):
        FileStateStore(path).load()


def test_unreadable_state_is_reported(tmp_path: Path, fake_pd: FakePagerDuty) -> None:
    config = make_config(fake_pd.url, [service("a")], state=str(tmp_path))  # a directory
    report = send_alerts(config, _run(config, a="ok"), dry_run=False, policy=FAST)
    assert not report.stateful
    assert any("cannot read" in w for w in report.warnings)
    assert any("cannot write" in w for w in report.warnings) is False


def test_state_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "state.json"
    store = FileStateStore(path)
    store.save(State())
    good = path.read_bytes()

    def crash(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    changed = State()
    changed.alerts["a"] = State.from_json(
        {"version": 1, "alerts": {"a": {"state": "open"}}}
    ).alerts["a"]
    with pytest.raises(StateError, match="No space left"):
        store.save(changed)

    assert path.read_bytes() == good  # the old file, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]  # no temp left


def test_leftovers_of_killed_writes_are_cleaned_up_when_old(tmp_path: Path) -> None:
    store = FileStateStore(tmp_path / "state.json")
    stale = tmp_path / ".state.json.abc123.tmp"
    fresh = tmp_path / ".state.json.def456.tmp"  # maybe another run writing right now
    other = tmp_path / ".other.json.abc123.tmp"
    for leftover in (stale, fresh, other):
        leftover.write_text("{half a docu")
    an_hour_ago = stale.stat().st_mtime - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    os.utime(other, (an_hour_ago, an_hour_ago))
    store.save(State())
    assert not stale.exists()
    assert fresh.exists() and other.exists()
    assert store.load().to_json() == State().to_json()


def test_state_round_trips_through_the_file(tmp_path: Path) -> None:
    store = FileStateStore(tmp_path / "s.json")
    state = State.from_json(
        {
            "version": 1,
            "alerts": {
                "a": {
                    "check": "a",
                    "state": "open",
                    "consecutive_failures": 2,
                    "undelivered": [
                        {
                            "action": "resolve",
                            "dedup_key": "a",
                            "check": "a",
                            "created_at": "2026-11-27T10:05:00+00:00",
                            "body": {"event_action": "resolve", "dedup_key": "a"},
                        }
                    ],
                }
            },
        }
    )
    store.save(state)
    again = store.load()
    assert again.to_json() == state.to_json()
    assert oct((tmp_path / "s.json").stat().st_mode & 0o777) == "0o600"


def test_removed_checks_are_forgotten_and_an_open_alert_of_one_resolved(
    fake_pd: FakePagerDuty, tmp_path: Path
) -> None:
    path = tmp_path / "s.json"
    old = make_config(fake_pd.url, [service("a"), service("b"), service("c")], state=str(path))
    send_alerts(old, _run(old, a="ok", b="failed", c="ok"), dry_run=False, policy=FAST)
    fake_pd.reset()
    new = make_config(fake_pd.url, [service("a")], state=str(path))
    report = send_alerts(new, _run(new, a="ok"), dry_run=False, policy=FAST)
    assert by_key(fake_pd.events) == {"b": "resolve"}
    assert report.removed["b"].delivery == "delivered"
    assert set(_saved(path)["alerts"]) == {"a"}
    assert report.warnings == []


def test_s3_state_store(aws_env: dict[str, str], moto_server: MotoServer) -> None:
    """Against moto's S3 server with real boto3."""
    s3 = moto_server.client("s3")
    s3.create_bucket(Bucket="my-bucket")
    store = S3StateStore("s3://my-bucket/e2e/state.json")
    assert store.load().alerts == {}
    state = State.from_json({"version": 1, "alerts": {"a": {"state": "resolved"}}})
    store.save(state)
    assert s3.get_object(Bucket="my-bucket", Key="e2e/state.json")["Body"].read() == state.encode()
    assert store.load().to_json() == state.to_json()
    assert isinstance(open_store("s3://b/k"), S3StateStore)
    with pytest.raises(StateError, match="s3://bucket/key"):
        S3StateStore("s3://bucket-only")


def test_s3_errors_and_a_missing_boto3_are_state_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Broken:
        def get_object(self, **_: Any) -> Any:
            raise RuntimeError("ExpiredToken")

    with pytest.raises(StateError, match="ExpiredToken"):
        S3StateStore("s3://b/k", client=Broken()).load()
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(
        StateError, match="install e2echeck with its aws extra, or pip install boto3"
    ):
        S3StateStore("s3://b/k").load()
