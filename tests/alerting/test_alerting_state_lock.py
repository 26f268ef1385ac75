"""Two overlapping runs without `locations` on one local state file: the second
waits for the first's lock (held from reading to saving) instead of
overwriting what the first saved. Each run observes a different check, so a
lost update would show as a missing alert."""

from __future__ import annotations

import threading
from pathlib import Path

from e2echeck.alerting.state import open_store
from e2echeck.runner import RunOptions, execute
from tests.support.configs import QUICK_DEFAULTS, config_document, load_config
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import TestServer

ROUTING_KEY = "LOCKKEY0123456789abcdefabcdef012"


def test_overlapping_runs_keep_both_updates(tmp_path: Path, http_server: TestServer) -> None:
    state = tmp_path / "state.json"
    checks = [{"name": name, "url": http_server.url("/status/503")} for name in ("a", "b")]
    with FakePagerDuty(delay=0.3) as slow:  # delivery keeps each run inside its lock
        document = config_document(
            checks, defaults=QUICK_DEFAULTS, events_url=slow.url, state=state
        )
        config = load_config(document, env={"PAGERDUTY_ROUTING_KEY": ROUTING_KEY})
        start = threading.Barrier(2)

        def run(name: str) -> None:
            start.wait()
            execute(config, RunOptions(only=(name,)))

        threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        sent = sorted((e["event_action"], e["dedup_key"]) for e in slow.events)
    saved = open_store(str(state)).load()
    assert sorted(saved.alerts) == ["a", "b"]  # neither run overwrote the other
    assert all(alert.state == "open" and not alert.undelivered for alert in saved.alerts.values())
    assert sent == [("trigger", "a"), ("trigger", "b")]
