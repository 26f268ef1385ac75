"""500 consecutive runs with state against a PagerDuty that fails 30% of the
time (429, 500, answers too slow to wait for, refused connections) lose no
event: PagerDuty ends up with every alert's latest state, and what it receives
per dedup key is in the order the changes were decided.

An undelivered event is superseded by a newer one for the same key (state.py):
PagerDuty need not see every intermediate change, only never a stale one after
a newer one, and always, eventually, the newest.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from e2echeck.alerting import DeliveryPolicy
from e2echeck.config import Config
from e2echeck.engine.results import CheckResult, Outcome, RunResult
from e2echeck.kinds.http import HttpDetails
from tests.support.alerting import send_alerts
from tests.support.configs import config_document, load_config
from tests.support.pagerduty import FakePagerDuty, Reply, _canned
from tests.support.servers import unused_port

ROUTING_KEY = "0123456789abcdef0123456789abcdef"
NAMES = [f"svc-{i}" for i in range(5)]
RUNS = 500
FAILURE_RATE = 0.30
REFUSED_SHARE = 0.25  # of the failures: the whole run finds PagerDuty unreachable
POLICY = DeliveryPolicy(
    max_attempts=2, base_delay=0.002, max_delay=0.01, jitter=0.5, timeout=0.1, max_workers=4
)


class ChaoticPagerDuty(FakePagerDuty):
    """Fails a share of requests at random: 429, 500, or accepts the event but
    answers after the client's timeout (so the client cannot know)."""

    def __init__(self, rng: random.Random, rate: float) -> None:
        super().__init__()
        self.rng = rng
        self.rate = rate
        self.healthy = False

    def _process(self, path: str, body: Any) -> Reply:
        roll = self.rng.random()
        if self.healthy or roll >= self.rate:
            return super()._process(path, body)
        if roll < self.rate / 3:
            return Reply(429, _canned(429))
        if roll < 2 * self.rate / 3:
            return Reply(500, _canned(500))
        accepted = super()._process(path, body)
        return Reply(accepted.status, accepted.body, delay=POLICY.timeout * 2.5)


def config_for(events_url: str, state: Path) -> Config:
    checks = [{"name": n, "url": f"https://{n}.example.com/health"} for n in NAMES]
    return load_config(
        config_document(
            checks,
            events_url=events_url,
            routing_key=ROUTING_KEY,
            state=state,
            defaults={"flapping": False},  # every random change is a change to deliver
            pagerduty={"max_events_per_minute": 10000},  # 500 runs in seconds: no budget
        )
    )


def run_of(config: Config, failing: set[str]) -> RunResult:
    now = datetime.now(UTC)
    results = []
    for check in config.checks:
        failed = check.name in failing
        results.append(
            CheckResult(
                check=check,
                outcome=Outcome.FAILED if failed else Outcome.OK,
                kind_details=HttpDetails(url=check.first_url, status_code=503 if failed else 200),
                attempts=1,
                failures=["expected status 2xx, got 503"] if failed else [],
                started_at=now,
            )
        )
    return RunResult(results=results, started_at=now, finished_at=now)


def closed_port_url() -> str:
    return f"http://127.0.0.1:{unused_port()}/v2/enqueue"


def collapse(actions: list[str]) -> list[str]:
    """Repeats of the same action in a row are one change (a retried event)."""
    return [a for i, a in enumerate(actions) if i == 0 or actions[i - 1] != a]


def is_subsequence(part: list[str], whole: list[str]) -> bool:
    items = iter(whole)
    return all(any(x == y for y in items) for x in part)


@pytest.mark.slow
def test_500_chaotic_runs_lose_no_event(tmp_path: Path) -> None:
    rng = random.Random(2026)
    fake = ChaoticPagerDuty(random.Random(6), FAILURE_RATE * (1 - REFUSED_SHARE))
    with fake:
        state = tmp_path / "state.json"
        reachable = config_for(fake.url, state)
        unreachable = config_for(closed_port_url(), state)
        failing: set[str] = set()
        decided: dict[str, list[str]] = {name: [] for name in NAMES}
        seen: dict[str, bool] = {}
        undelivered_runs = 0
        for _ in range(RUNS):
            for name in NAMES:  # each check flips with probability 0.3
                if rng.random() < 0.3:
                    failing ^= {name}
            for name in NAMES:  # the state changes this run decides
                failed = name in failing
                if seen.get(name) is None or seen[name] != failed:
                    decided[name].append("trigger" if failed else "resolve")
                seen[name] = failed
            refused = rng.random() < FAILURE_RATE * REFUSED_SHARE
            config = unreachable if refused else reachable
            report = send_alerts(config, run_of(config, failing), dry_run=False, policy=POLICY)
            assert report.stateful, report.warnings
            undelivered_runs += report.undelivered > 0

        # PagerDuty recovers: a few calm runs deliver whatever is still kept.
        fake.healthy = True
        for _ in range(5):
            report = send_alerts(
                reachable, run_of(reachable, failing), dry_run=False, policy=POLICY
            )
            if report.undelivered == 0:
                break
        assert report.undelivered == 0

    received: dict[str, list[str]] = {name: [] for name in NAMES}
    statuses = [r.status for r in fake.requests]
    for request in fake.requests:
        if request.status == 202:
            received[request.body["dedup_key"]].append(request.body["event_action"])
    assert 400 not in statuses  # every event PagerDuty saw was valid
    assert undelivered_runs > 50  # the chaos did bite
    assert statuses.count(429) > 20 and statuses.count(500) > 20
    for name in NAMES:
        got, expected = collapse(received[name]), decided[name]
        assert got, name
        assert got[-1] == expected[-1], f"{name}: PagerDuty's last is not the latest state"
        assert is_subsequence(got, expected), f"{name}: out of order\n{got}\n{expected}"
        print(f"{name}: {len(expected)} changes decided, {len(got)} reached PagerDuty")
