"""`runbook_url` becomes a link titled "Runbook" in every trigger."""

from __future__ import annotations

from e2echeck.engine.results import Outcome
from tests.alerting.helpers import FAST, make_config, result, run_of, service
from tests.support.alerting import send_alerts
from tests.support.pagerduty import FakePagerDuty


def test_runbook_url_is_a_link_in_every_trigger(fake_pd: FakePagerDuty) -> None:
    config = make_config(
        fake_pd.url,
        [
            service("api"),
            service("orders", runbook_url="https://wiki.example.com/runbooks/orders"),
            service("search", flapping=False),
        ],
        defaults={"runbook_url": "https://wiki.example.com/runbooks/default"},
    )
    run = run_of(
        result(config, "api", Outcome.FAILED),
        result(config, "orders", Outcome.FAILED),
        result(config, "search", Outcome.OK),
    )
    send_alerts(config, run, dry_run=False, policy=FAST)
    links = {e["dedup_key"]: e.get("links") for e in fake_pd.events}
    assert links["api"][-1] == {
        "href": "https://wiki.example.com/runbooks/default",
        "text": "Runbook",
    }
    assert links["orders"][-1] == {
        "href": "https://wiki.example.com/runbooks/orders",
        "text": "Runbook",
    }
    assert links["orders"][0]["text"] == "orders: checked URL"
    assert links["search"] is None  # a resolve carries no links
