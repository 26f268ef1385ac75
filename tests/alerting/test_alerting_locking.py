"""The shared state's read-decide-write: a writer that lost the race on S3
(moto's server, real boto3) reads again and decides again; the retries are
bounded and their waits injected (nothing sleeps). An old state file, without
the newer top-level keys, still loads; unknown keys survive a save."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from e2echeck.alerting.locking import ConflictPolicy, transact
from e2echeck.alerting.state import AlertState, S3StateStore, State, StateError, open_store
from tests.support.aws import MotoServer

URL = "s3://locks/state.json"


@pytest.fixture
def s3(aws_env: dict[str, str], moto_server: MotoServer) -> Any:
    client = moto_server.client("s3")
    client.create_bucket(Bucket="locks")
    return client


def no_wait(waits: list[float]) -> ConflictPolicy:
    return ConflictPolicy(attempts=4, sleep=waits.append, random=lambda: 1.0)


def test_a_lost_race_reads_again_and_decides_again(s3: Any) -> None:
    waits: list[float] = []
    seen: list[set[str]] = []

    def update(state: State) -> None:
        seen.append(set(state.alerts))
        if len(seen) == 1:  # another location writes between our read and our write
            other = open_store(URL)
            theirs = other.load()
            theirs.alerts["theirs"] = AlertState(state="open")
            other.save(theirs)
        state.alerts["ours"] = AlertState(state="resolved")

    transact(open_store(URL), update, no_wait(waits))
    assert seen == [set(), {"theirs"}]  # the second decision saw the other write
    assert len(waits) == 1 and waits[0] == pytest.approx(0.05)
    stored = json.loads(s3.get_object(Bucket="locks", Key="state.json")["Body"].read())
    assert set(stored["alerts"]) == {"ours", "theirs"}  # nothing lost


def test_conflicts_are_bounded(s3: Any) -> None:
    waits: list[float] = []

    def always_overtaken(state: State) -> None:
        other = open_store(URL)
        theirs = other.load()
        theirs.alerts[f"k{len(theirs.alerts)}"] = AlertState()
        other.save(theirs)  # someone always writes something first

    with pytest.raises(StateError, match="4 conditional writes in a row lost"):
        transact(open_store(URL), always_overtaken, no_wait(waits))
    assert waits == [0.05, 0.1, 0.2]  # full jitter, capped exponential (random = 1)


def test_the_first_write_creates_the_object_only_once(s3: Any) -> None:
    """Two first runs: If-None-Match makes the second one read the first's."""
    calls: list[int] = []

    def update(state: State) -> None:
        calls.append(len(state.alerts))
        if len(calls) == 1:
            S3StateStore(URL).save(State({"first": AlertState(state="open")}))
        state.alerts[f"run{len(calls)}"] = AlertState()

    transact(open_store(URL), update, no_wait([]))
    assert calls == [0, 1]


def test_an_old_state_file_loads_and_unknown_keys_survive(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    old = {
        "version": 1,
        "updated_at": None,
        "alerts": {"api": {"check": "api", "state": "open", "consecutive_failures": 2}},
    }
    path.write_text(json.dumps(old), encoding="utf-8")
    store = open_store(str(path))
    state = transact(store, lambda s: s)
    assert state.alerts["api"].state == "open"
    assert "locations" not in json.loads(path.read_text(encoding="utf-8"))

    newer = {**old, "locations": {"seen": {}}, "future_section": [{"check": "api"}]}
    path.write_text(json.dumps(newer), encoding="utf-8")
    transact(store, lambda s: s.alerts.pop("api"))
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["alerts"] == {}
    assert saved["locations"] == {"seen": {}} and saved["future_section"] == [{"check": "api"}]
    assert (tmp_path / "state.json.lock").exists()  # the lock is a sibling, never replaced
