"""The webhook sink, against a real local receiver: a failing check posts its
trigger (signed), the recovery posts the resolve, a receiver that is down or
answers 500 is retried and its post kept for the next run, and no secret
reaches a post, a report, the state file or the CLI's output."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2echeck.config import Config
from tests.alerting.helpers import (
    ENV,
    FAST,
    ROUTING_KEY,
    SECRETS,
    result,
    run_of,
    service,
)
from tests.support.alerting import send_alerts
from tests.support.cli import run_cli
from tests.support.configs import QUICK_DEFAULTS, config_document, load_config, write_config
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import Reply, Request, TestServer, unused_port

HOOK_SECRET = "whsec-5b7e2d9c1a3f4e6b"
HOOK_TOKEN = "T0123/B4567/hooktoken89abcdef"  # a Slack-style secret path


class Receiver:
    """A webhook endpoint: records every POST, answers what the test says."""

    def __init__(self, server: TestServer) -> None:
        self.server = server
        self.status = 200
        self.posts: list[Request] = []
        server.add_route("POST", r"/hooks/.*", self._receive)

    def _receive(self, request: Request) -> Reply:
        self.posts.append(request)
        return Reply(self.status, b"ok")

    @property
    def url(self) -> str:
        return self.server.url("/hooks/" + HOOK_TOKEN)

    def take(self) -> list[Request]:
        posts, self.posts = self.posts, []
        return posts


@pytest.fixture
def receiver(http_server: TestServer) -> Iterator[Receiver]:
    yield Receiver(http_server)


def _config(
    fake_pd: FakePagerDuty,
    url: str,
    *,
    state: Path | None = None,
    notify: list[str] | None = None,
    hook: dict[str, Any] | None = None,
) -> Config:
    document = config_document(
        [service("api", description="tenant ${TENANT_SECRET}"), service("web")],
        defaults={**QUICK_DEFAULTS, "notify": notify or ["pagerduty", "audit"]},
        events_url=fake_pd.url,
        state=state,
    )
    document["webhooks"] = {
        "audit": {"url": "${AUDIT_HOOK_URL}", "secret": "${AUDIT_HOOK_SECRET}", **(hook or {})}
    }
    return load_config(
        document, env={**ENV, "AUDIT_HOOK_URL": url, "AUDIT_HOOK_SECRET": HOOK_SECRET}
    )


def _verified(post: Request) -> dict[str, Any]:
    """The post's JSON, after checking its signature the way a receiver would."""
    expected = hmac.new(HOOK_SECRET.encode(), post.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(post.headers["x-e2echeck-signature"], f"sha256={expected}")
    document: dict[str, Any] = json.loads(post.body)
    return document


def _leaks(text: str, url: str) -> list[str]:
    return [s for s in (*SECRETS, HOOK_SECRET, HOOK_TOKEN, url) if s in text]


def test_a_failure_posts_a_signed_trigger_and_the_recovery_its_resolve(
    fake_pd: FakePagerDuty, receiver: Receiver, tmp_path: Path
) -> None:
    config = _config(fake_pd, receiver.url, state=tmp_path / "state.json")
    send_alerts(config, run_of(result(config, "api"), result(config, "web")), dry_run=False)
    receiver.take()
    fake_pd.reset()

    failing = run_of(result(config, "api", "failed"), result(config, "web"))
    report = send_alerts(config, failing, dry_run=False, policy=FAST)
    assert report.undelivered == 0
    assert report.checks["api"].delivery == "delivered"
    [post] = receiver.take()
    trigger = _verified(post)
    assert post.headers["content-type"] == "application/json"
    assert trigger["action"] == "trigger" and trigger["dedup_key"] == "api"
    assert trigger["summary"] == "api failed: status 503, expected 200"
    assert trigger["severity"] == "critical" and trigger["source"] == "api.example.com"
    # The same facts PagerDuty receives as custom_details.
    [event] = fake_pd.events
    assert trigger["details"] == event["payload"]["custom_details"]
    assert trigger["links"] == event["links"]

    recovered = run_of(result(config, "api"), result(config, "web"))
    send_alerts(config, recovered, dry_run=False, policy=FAST)
    [post] = receiver.take()
    resolve = _verified(post)
    assert (resolve["action"], resolve["dedup_key"], resolve["check"]) == ("resolve", "api", "api")
    assert [e["event_action"] for e in fake_pd.events] == ["trigger", "resolve"]


@pytest.mark.parametrize("down", ["refused", "500"])
def test_an_undelivered_post_is_retried_kept_and_sent_by_the_next_run(
    down: str, fake_pd: FakePagerDuty, receiver: Receiver, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    refused = f"http://127.0.0.1:{unused_port()}/hooks/{HOOK_TOKEN}"
    url = refused if down == "refused" else receiver.url
    config = _config(fake_pd, url, state=state, notify=["audit"])
    receiver.status = 500
    failing = run_of(result(config, "api", "failed"), result(config, "web"))
    report = send_alerts(config, failing, dry_run=False, policy=FAST)

    failed = sorted((d.sink, d.dedup_key, d.action, d.attempts) for d in report.deliveries)
    attempts = FAST.max_attempts
    assert failed == [("audit", "api", "trigger", attempts), ("audit", "web", "resolve", attempts)]
    assert report.undelivered == 2
    assert report.checks["api"].delivery.endswith("; kept for the next run")
    if down == "500":
        assert len(receiver.take()) == 2 * attempts
    saved = json.loads(state.read_text())
    assert [p["sink"] for p in saved["alerts"]["api"]["undelivered"]] == ["audit"]
    assert not _leaks(state.read_text(), url)

    receiver.status = 200
    config = _config(fake_pd, receiver.url, state=state, notify=["audit"])
    again = send_alerts(config, failing, dry_run=False, policy=FAST)
    assert again.undelivered == 0
    assert again.checks["api"].delivery == "delivered (kept from an earlier run)"
    posts = sorted((_verified(p)["dedup_key"], _verified(p)["action"]) for p in receiver.take())
    assert posts == [("api", "trigger"), ("web", "resolve")]
    assert json.loads(state.read_text())["alerts"]["api"]["undelivered"] == []
    assert fake_pd.events == []  # notify: [audit] only


def test_slack_format_posts_text(fake_pd: FakePagerDuty, receiver: Receiver) -> None:
    config = _config(fake_pd, receiver.url, notify=["audit"], hook={"format": "slack"})
    run = run_of(result(config, "api", "failed"), result(config, "web"))
    send_alerts(config, run, dry_run=False, policy=FAST)
    posts = {json.loads(p.body)["text"] for p in receiver.take()}
    assert posts == {
        ":rotating_light: [critical] api failed: status 503, expected 200\n"
        "<https://api.example.com/health|api: checked URL>",
        ":white_check_mark: Resolved: web recovered",
    }


def test_no_secret_reaches_a_post_a_report_or_the_output(
    fake_pd: FakePagerDuty, receiver: Receiver, http_server: TestServer, tmp_path: Path
) -> None:
    """Through the real CLI: the webhook's URL and secret, the routing key and the
    sensitive environment are in no post, no report, no log line."""
    document = config_document(
        [
            {
                "name": "api",
                "url": http_server.url("/status/503?token=${API_TOKEN}"),
                "description": "tenant ${TENANT_SECRET}",
            }
        ],
        defaults={**QUICK_DEFAULTS, "notify": ["pagerduty", "audit", "chat"]},
        events_url=fake_pd.url,
        state=tmp_path / "state.json",
    )
    document["webhooks"] = {
        "audit": {"url": "${AUDIT_HOOK_URL}", "secret": "${AUDIT_HOOK_SECRET}"},
        "chat": {"url": "${AUDIT_HOOK_URL}", "format": "slack"},
    }
    path = write_config(tmp_path, document)
    env = {**ENV, "AUDIT_HOOK_URL": receiver.url, "AUDIT_HOOK_SECRET": HOOK_SECRET}
    outputs = []
    for extra in ([], ["--format", "json"], ["--no-alert", "-vv"]):
        cli = run_cli("run", str(path), *extra, env=env)
        assert cli.exit_code == 1, cli.output
        outputs.append(cli.output)
    posts = receiver.take()
    assert len(posts) == 2  # a trigger each for audit and chat; then no change
    everything = "\n".join(
        [*outputs, *(p.body.decode() for p in posts), json.dumps(fake_pd.events)]
    )
    everything += (tmp_path / "state.json").read_text()
    assert "***" in outputs[1]
    assert not _leaks(everything.replace(ROUTING_KEY, ""), receiver.url)
    assert all(ROUTING_KEY not in p.body.decode() for p in posts)


def test_notify_names_are_checked_with_their_position(tmp_path: Path) -> None:
    document = config_document(
        [{"name": "api", "url": "https://api.example.com/", "notify": ["pagerduty", "audti"]}],
    )
    document["webhooks"] = {"audit": {"url": "https://hooks.example.com/e2e"}}
    path = write_config(tmp_path, document)
    cli = run_cli("validate", str(path))
    assert cli.exit_code == 2, cli.output
    assert "checks[0].notify[1]" in cli.output
    assert "unknown sink 'audti' in notify; did you mean \"audit\"?" in cli.output


def test_pagerduty_is_optional_when_no_check_notifies_it(
    receiver: Receiver, http_server: TestServer, tmp_path: Path
) -> None:
    document = config_document(
        [{"name": "api", "url": http_server.url("/status/503")}],
        defaults={**QUICK_DEFAULTS, "notify": ["audit"]},
    )
    document["webhooks"] = {"audit": {"url": "${AUDIT_HOOK_URL}"}}
    path = write_config(tmp_path, document)
    cli = run_cli("run", str(path), env={"AUDIT_HOOK_URL": receiver.url})
    assert cli.exit_code == 1, cli.output
    [post] = receiver.take()
    assert json.loads(post.body)["dedup_key"] == "api"
    assert "x-e2echeck-signature" not in post.headers

    document["defaults"]["notify"] = ["audit", "pagerduty"]  # now a routing key is needed
    write_config(tmp_path, document)
    cli = run_cli("run", str(path), env={"AUDIT_HOOK_URL": receiver.url})
    assert cli.exit_code == 2, cli.output
    assert "routing key" in cli.output


def test_each_sink_owes_its_own_transition(
    fake_pd: FakePagerDuty, receiver: Receiver, tmp_path: Path
) -> None:
    """PagerDuty takes the trigger while the webhook answers 500: only the
    webhook's copy is kept, and the next run sends it there alone."""
    state = tmp_path / "state.json"
    config = _config(fake_pd, receiver.url, state=state)
    send_alerts(config, run_of(result(config, "api"), result(config, "web")), dry_run=False)
    receiver.take()
    fake_pd.reset()

    receiver.status = 500
    failing = run_of(result(config, "api", "failed"), result(config, "web"))
    report = send_alerts(config, failing, dry_run=False, policy=FAST)
    assert [e["event_action"] for e in fake_pd.events] == ["trigger"]
    assert report.undelivered == 1
    assert report.checks["api"].delivery.startswith("failed: audit: webhook audit: HTTP 500")
    kept = json.loads(state.read_text())["alerts"]["api"]["undelivered"]
    assert [p["sink"] for p in kept] == ["audit"]

    receiver.status = 200
    receiver.take()
    fake_pd.reset()
    again = send_alerts(config, failing, dry_run=False, policy=FAST)
    assert again.undelivered == 0
    assert fake_pd.events == []  # PagerDuty already has it
    assert [_verified(p)["action"] for p in receiver.take()] == ["trigger"]


def test_locations_send_each_transition_once_to_every_sink(
    fake_pd: FakePagerDuty, receiver: Receiver, tmp_path: Path
) -> None:
    state = tmp_path / "shared.json"
    document = config_document(
        [service("api"), service("web")],
        defaults={**QUICK_DEFAULTS, "notify": ["pagerduty", "audit"]},
        events_url=fake_pd.url,
        state=state,
    )
    document["webhooks"] = {"audit": {"url": "${AUDIT_HOOK_URL}", "secret": HOOK_SECRET}}
    document["locations"] = {"expected": ["us", "eu", "ap"], "quorum": 2}
    config = load_config(document, env={**ENV, "AUDIT_HOOK_URL": receiver.url})
    failing = run_of(result(config, "api", "failed"), result(config, "web"))
    for where in ("us", "eu", "ap"):  # the quorum is reached at eu; ap sees no change
        send_alerts(config, failing, dry_run=False, policy=FAST, location=where)
    triggers = [e for e in fake_pd.events if e["event_action"] == "trigger"]
    assert [e["dedup_key"] for e in triggers] == ["api"]
    posts = [_verified(p) for p in receiver.take()]
    [trigger] = [p for p in posts if p["action"] == "trigger"]
    assert trigger["summary"] == triggers[0]["payload"]["summary"]
    assert trigger["summary"].startswith("api failed in 2 of 3 locations (us, eu)")
    assert trigger["details"]["quorum"] == "2 of 3 failing, 2 needed"
    saved = json.loads(state.read_text())
    assert all(alert["undelivered"] == [] for alert in saved["alerts"].values())
    assert saved["locations"]["sending"] == []
