"""Three locations, quorum 2, through the real CLI and the fake Events API: the
shared state is a local file or an S3 object on moto's server (real boto3 over
HTTP). The locations' clock is injected, and S3's (the `Date` of moto's answers,
through a proxy) follows it: max_age passes without sleeping."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2echeck.alerting.locations import LocationsDoc
from e2echeck.alerting.migration import migrate_v1_event
from e2echeck.alerting.state import open_store
from tests.alerting.locations_helpers import (
    AP,
    EU,
    ROUTING_KEY,
    START,
    US,
    Clock,
    Locations,
    clock,
    json_report,
    keys,
    locations_config,
    s3_on_test_time,
    triggers,
)
from tests.support.aws import MotoServer
from tests.support.cli import run_cli
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import TestServer

__all__ = ["clock", "s3_on_test_time"]  # the fixtures, used by name
BUCKET = "shared-state"


@pytest.fixture(params=["file", "s3"])
def shared_state(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "file":
        return str(tmp_path / "shared" / "state.json")
    request.getfixturevalue("s3_on_test_time")
    moto: MotoServer = request.getfixturevalue("moto_server")
    moto.client("s3").create_bucket(Bucket=BUCKET)
    return f"s3://{BUCKET}/e2echeck/state.json"


@pytest.fixture
def places(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty, shared_state: str
) -> Locations:
    return Locations(locations_config(tmp_path, http_server, fake_pd, shared_state), fake_pd)


def all_report(places: Locations, clock: Clock) -> None:
    """Every location reports every check passing (first-time resolves go out)."""
    for where in (US, EU, AP):
        places.run(where)
    places.take()


def test_quorum_pages_once_and_resolves(places: Locations, clock: Clock) -> None:
    all_report(places, clock)

    clock.advance(minutes=1)
    one = places.run(US, api=503)
    assert one.exit_code == 1
    assert places.take() == []  # failing in 1 of 3: no event
    assert "1/3 locations" in one.stdout

    clock.advance(minutes=1)
    two = places.run(EU, api=503, extra=("--format", "json"))
    sent = places.take()
    assert keys(sent) == [("trigger", "api-health")]  # exactly one incident
    payload = sent[0]["payload"]
    assert payload["summary"] == (
        "api-health failed in 2 of 3 locations (us-east-1, eu-west-1): expected status 2xx, got 503"
    )
    details = payload["custom_details"]["locations"]
    assert details[US]["outcome"] == details[EU]["outcome"] == "failed"
    assert details[AP]["outcome"] == "ok"
    assert "503" in (details[US]["reason"] or "")
    report = json_report(two)
    assert report["summary"]["location"] == EU
    api = next(c for c in report["checks"] if c["name"] == "api-health")
    assert api["decision"]["decision"] == "fail"
    assert api["decision"]["label"] == "2/3 locations"
    assert set(api["locations"]) == {US, EU, AP}

    for where in (AP, US):  # still failing in 2: never sent again, by anyone
        clock.advance(minutes=1)
        places.run(where, api=503 if where == US else 200)
        assert places.take() == []

    clock.advance(minutes=1)
    places.run(US)  # now failing in 1 only: the failure can no longer reach 2
    assert keys(places.take()) == [("resolve", "api-health")]
    clock.advance(minutes=1)
    places.run(EU)
    assert places.take() == []


def test_a_stale_location_does_not_count_and_is_reported_silent(
    places: Locations, clock: Clock
) -> None:
    all_report(places, clock)
    clock.advance(minutes=10)
    places.run(EU)
    assert places.take() == []

    clock.advance(minutes=6)  # ap-southeast-2: 16 minutes since its last report
    failing = places.run(US, api=503, extra=("--format", "json"))
    sent = places.take()
    assert keys(sent) == [("trigger", f"e2echeck-location-{AP}")]
    assert sent[0]["payload"]["severity"] == "warning"
    assert sent[0]["payload"]["summary"] == (
        f"e2echeck location {AP} has not reported since {START.isoformat()}"
    )
    api = next(c for c in json_report(failing)["checks"] if c["name"] == "api-health")
    assert api["decision"]["decision"] == "undecided"  # 1 failing + 1 silent: no quorum
    assert api["decision"]["why"] == (
        "failing in 1 of 3 locations; 1 has not reported in 15m (quorum 2)"
    )
    assert api["alert"]["action"] == "none"

    clock.advance(minutes=1)
    places.run(EU)  # the same silence, seen from another location: not sent again
    assert places.take() == []

    clock.advance(minutes=1)
    places.run(AP)  # it reports again
    clock.advance(minutes=1)
    text = places.run(US)
    assert keys(places.take()) == [("resolve", f"e2echeck-location-{AP}")]
    assert f"location alert e2echeck-location-{AP}: resolve, delivered" in text.stdout


def test_a_rollout_region_by_region_pages_nobody_until_max_age(
    places: Locations, clock: Clock
) -> None:
    places.run(US)
    places.take()
    clock.advance(minutes=10)
    places.run(US)
    assert triggers(places.take()) == []  # the others never reported: not yet silent
    clock.advance(minutes=6)
    places.run(US)
    assert keys(triggers(places.take())) == [
        ("trigger", f"e2echeck-location-{AP}"),
        ("trigger", f"e2echeck-location-{EU}"),
    ]


def test_a_cut_off_location_counts_as_unknown(places: Locations, clock: Clock) -> None:
    all_report(places, clock)
    clock.advance(minutes=1)
    places.run(US, api=503)
    clock.advance(minutes=1)
    cut_off = places.run(EU, api=503, ctl=500, extra=("--format", "json"))
    sent = places.take()
    assert keys(sent) == [("trigger", f"e2echeck-control-{EU}")]  # its own, per location
    assert sent[0]["payload"]["summary"].startswith(f"[{EU}] e2echeck: checker lost")
    api = next(c for c in json_report(cut_off)["checks"] if c["name"] == "api-health")
    assert api["locations"][EU]["outcome"] == "unknown"
    assert api["decision"]["decision"] == "undecided"  # unknown never counts as failed

    clock.advance(minutes=1)
    places.run(AP, api=503)  # a second real failure reaches the quorum
    assert keys(places.take()) == [("trigger", "api-health")]


@pytest.mark.parametrize("shared_state", ["file"], indirect=True)
def test_a_location_not_expected_is_a_usage_error(places: Locations) -> None:
    env = {"PAGERDUTY_ROUTING_KEY": ROUTING_KEY, "E2ECHECK_LOCATION": None, "AWS_REGION": None}
    unknown = run_cli("run", str(places.config), "--location", "mars-1", env=env)
    assert unknown.exit_code == 2
    assert "location 'mars-1' is not in locations.expected" in unknown.stderr
    assert "Traceback" not in unknown.output
    missing = run_cli("run", str(places.config), env=env)
    assert missing.exit_code == 2
    assert "no location name" in missing.stderr
    from_region = run_cli("run", str(places.config), env={**env, "AWS_REGION": EU})
    assert from_region.exit_code == 0, from_region.output
    from_env = run_cli(
        "run", str(places.config), env={**env, "E2ECHECK_LOCATION": AP, "AWS_REGION": "x"}
    )
    assert from_env.exit_code == 0, from_env.output
    assert places.take()  # both ran and decided (first-time resolves)


def test_locations_in_junit(places: Locations, clock: Clock, tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    places.run(US, api=503, extra=("--junit", str(junit)))
    text = junit.read_text(encoding="utf-8")
    assert "\nlocations: 1/3 locations\n" in text
    assert "\nlocation_decision: undecided\n" in text
    assert f"\nlocation.{US}: failed at " in text


@pytest.mark.parametrize("shared_state", ["file"], indirect=True)
def test_a_maintenance_window_holds_the_quorum(places: Locations, clock: Clock) -> None:
    import yaml

    document = yaml.safe_load(places.config.read_text(encoding="utf-8"))
    document["maintenance"] = [
        {
            "name": "migration",
            "from": "2000-01-01T00:00:00Z",
            "to": "2100-01-01T00:00:00Z",
            "checks": ["api-health"],
        }
    ]
    places.config.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    all_report(places, clock)
    for where in (US, EU):
        clock.advance(minutes=1)
        held = places.run(where, api=503, extra=("--format", "json"))
        assert triggers(places.take()) == []  # failing in 2 of 3, but in maintenance
    api = next(c for c in json_report(held)["checks"] if c["name"] == "api-health")
    assert api["outcome"] == "maintenance"
    assert api["locations"][US]["outcome"] == api["locations"][EU]["outcome"] == "failed"
    assert "maintenance" in api["alert"]["delivery"]
    assert api["decision"]["decision"] == "held"


@pytest.mark.parametrize("shared_state", ["file"], indirect=True)
def test_no_secret_reaches_the_shared_state_or_the_trigger(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty, shared_state: str, clock: Clock
) -> None:
    import yaml

    secret = "s3cr3t-body-token-0123456789"
    config = locations_config(tmp_path, http_server, fake_pd, shared_state)
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    api = next(c for c in document["checks"] if c["name"] == "api-health")
    api["expect"] = {"body_contains": "${BODY_TOKEN}"}
    config.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    env = {"PAGERDUTY_ROUTING_KEY": ROUTING_KEY, "BODY_TOKEN": secret, "API_STATUS": "200"}
    for where in (US, EU):
        result = run_cli("run", str(config), "--location", where, env=env)
        assert result.exit_code == 1, result.output
        assert secret not in result.output
    sent = triggers(fake_pd.events)
    assert keys(sent) == [("trigger", "api-health")]
    assert "body does not contain" in sent[0]["payload"]["summary"]
    assert secret not in str(fake_pd.events)
    assert secret not in Path(shared_state).read_text(encoding="utf-8")


@pytest.mark.parametrize("shared_state", ["file"], indirect=True)
def test_an_event_claimed_by_a_run_that_died_is_sent_again_after_max_age(
    places: Locations, clock: Clock, shared_state: str
) -> None:
    """A run recorded a trigger and died before delivering it: while its claim is
    fresh nobody else sends it; once the claim is max_age old, the next run does."""
    all_report(places, clock)
    clock.advance(minutes=1)
    places.run(US, api=503)
    clock.advance(minutes=1)
    places.run(EU, api=503)
    sent = places.take()
    assert keys(sent) == [("trigger", "api-health")]

    store = open_store(shared_state)  # as a run that died after its first write leaves it
    state = store.load()
    body = {k: v for k, v in sent[0].items() if k != "routing_key"}
    lost = migrate_v1_event(  # the trigger as sent, back to the transition it came from
        {
            "action": "trigger",
            "dedup_key": "api-health",
            "check": "api-health",
            "created_at": clock.now.isoformat(),
            "body": body,
        }
    )
    state.alerts["api-health"].undelivered = [lost]
    doc = LocationsDoc.from_state(state)
    doc.claim([lost], "dead-run", EU, clock.now.isoformat())
    doc.store(state)
    store.save(state)

    clock.advance(minutes=1)
    places.run(AP, api=503)
    assert places.take() == []  # its run may still be delivering it
    clock.advance(minutes=15)
    places.run(AP, api=503)
    again = [e for e in places.take() if e["dedup_key"] == "api-health"]
    assert again == sent  # the claim expired: the same trigger, sent once more
    assert LocationsDoc.from_state(store.load()).sending == []
