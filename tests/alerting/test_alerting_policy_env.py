"""`E2ECHECK_DELIVERY_POLICY`: the one way to change the delivery policy from
outside the process (the suite sets it so that no test sleeps through the
production backoff). Read by `default_policy`, used whenever no policy is passed."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from e2echeck.alerting import DeliveryPolicy
from e2echeck.alerting.delivery import POLICY_ENV, default_policy
from tests.alerting.helpers import make_config, result, run_of, service
from tests.support.alerting import send_alerts
from tests.support.cli import run_cli
from tests.support.configs import QUICK_DEFAULTS, config_document, write_config
from tests.support.delivery import FAST_POLICY_ENV
from tests.support.pagerduty import FakePagerDuty, Reply
from tests.support.servers import TestServer

ROUTING_KEY = "P0L1CYKEY0123456789abcdefabcdef0"


def test_without_the_variable_the_defaults_apply() -> None:
    assert default_policy({}) == DeliveryPolicy()
    assert default_policy({POLICY_ENV: "  "}) == DeliveryPolicy()
    assert DeliveryPolicy().base_delay == 1.0  # what production waits, for the record


def test_the_variable_overrides_named_fields_only() -> None:
    policy = default_policy({POLICY_ENV: "max_attempts=3, base_delay=0.01,timeout=2.5"})
    assert policy == DeliveryPolicy(max_attempts=3, base_delay=0.01, timeout=2.5)
    assert default_policy(FAST_POLICY_ENV).max_attempts == DeliveryPolicy().max_attempts


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("retries=3", "the field one of max_attempts, base_delay"),
        ("base_delay", "expected field=value"),
        ("base_delay=soon", "base_delay must be a number, got 'soon'"),
        ("max_attempts=2.5", "max_attempts must be a whole number"),
        ("max_attempts=0", "max_attempts is out of range"),
        ("max_delay=-1", "max_delay is out of range"),
    ],
)
def test_a_malformed_variable_is_named_in_the_error(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=POLICY_ENV) as caught:
        default_policy({POLICY_ENV: text})
    assert message in str(caught.value)


def test_a_malformed_variable_sends_nothing_and_says_why(
    fake_pd: FakePagerDuty, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(POLICY_ENV, "base_delay=soon")
    config = make_config(fake_pd.url, [service("a")])
    report = send_alerts(config, run_of(result(config, "a", "failed")), dry_run=False)
    assert fake_pd.received == []
    assert report.undelivered == 1
    assert POLICY_ENV in report.checks["a"].delivery


@pytest.mark.parametrize("attempts", [2, 3])
def test_the_cli_uses_the_variable(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty, attempts: int
) -> None:
    fake_pd.always(Reply(503))
    checks = [{"name": "down", "url": http_server.url("/status/500")}]
    document = config_document(checks, defaults=QUICK_DEFAULTS, events_url=fake_pd.url)
    path = str(write_config(tmp_path, document))
    env = {
        "PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
        POLICY_ENV: f"max_attempts={attempts},base_delay=0.01,max_delay=0.02",
    }
    outcome = run_cli("run", path, env=env)
    assert outcome.exit_code == 3, outcome.output
    assert [r.status for r in fake_pd.requests] == [503] * attempts
    assert f"after {attempts} attempts" in outcome.output
    arrivals = [r.at for r in fake_pd.requests]
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert max(gaps) < 0.9  # the production backoff sleeps at least 1 s
