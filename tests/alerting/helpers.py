"""Configs (through tests/support/configs.py) and run results for the alerting
tests: plain data, no mocks. `FAST` is the suite's fast delivery policy."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from e2echeck.config import Config
from e2echeck.engine.results import CheckResult, Outcome, RunResult
from e2echeck.kinds.http import HttpDetails
from tests.support.configs import config_document, load_config
from tests.support.delivery import FAST_POLICY

ROUTING_KEY = "0123456789abcdef0123456789abcdef"
OTHER_ROUTING_KEY = "fedcba9876543210fedcba9876543210"
API_TOKEN = "tok-4f9a1c2e7b3d5a6f"
SESSION_COOKIE = "sid=cookie-9d8c7b6a5f4e"
ENV_VALUE = "env-only-value-31337"

FAST = FAST_POLICY  # retries in milliseconds

ENV = {
    "PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
    "OTHER_SERVICE_KEY": OTHER_ROUTING_KEY,
    "API_TOKEN": API_TOKEN,
    "SESSION_COOKIE": SESSION_COOKIE,
    "TENANT_SECRET": ENV_VALUE,
}
SECRETS = (ROUTING_KEY, OTHER_ROUTING_KEY, API_TOKEN, SESSION_COOKIE, ENV_VALUE)

STARTED = datetime(2026, 11, 27, 10, 0, 0, tzinfo=UTC)


def make_config(
    events_url: str,
    checks: list[dict[str, Any]] | None = None,
    *,
    pagerduty: dict[str, Any] | None = None,
    defaults: dict[str, Any] | None = None,
    state: str | None = None,
    heartbeat: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
) -> Config:
    """A config loaded the real way (YAML text, ${VAR} from `env`), so its secrets
    are exactly what the loader collects."""
    document = config_document(
        checks or [service("blog-home")],
        defaults=defaults or None,
        events_url=events_url,
        pagerduty=pagerduty,
        state=state or None,
        heartbeat=heartbeat or None,
    )
    return load_config(document, env={**ENV, **(env or {})})


def service(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "url": f"https://{name}.example.com/health", **fields}


def control(name: str = "internet") -> dict[str, Any]:
    return {"name": name, "role": "control", "url": "https://www.google.com/generate_204"}


def result(
    config: Config, name: str, outcome: Outcome | str = Outcome.OK, **fields: Any
) -> CheckResult:
    check = next(c for c in config.checks if c.name == name)
    outcome = Outcome(outcome)
    defaults: dict[str, Any] = {
        "status_code": 200 if outcome is Outcome.OK else None,
        "duration_ms": 123.4,
        "attempts": 1,
        "url": check.first_url,
        "started_at": STARTED,
    }
    if outcome is Outcome.FAILED:
        defaults.update(
            status_code=503,
            attempts=3,
            failures=["status 503, expected 200", "body does not contain 'ok'"],
            body_excerpt="<h1>Service Unavailable</h1>",
        )
    given = {**defaults, **fields}
    http = {key: given.pop(key) for key in _HTTP_FIELDS if key in given}
    return CheckResult(check=check, outcome=outcome, kind_details=HttpDetails(**http), **given)


_HTTP_FIELDS = ("url", "method", "status_code", "failed_step", "body_excerpt")


def run_of(*results: CheckResult, connectivity_lost: bool = False) -> RunResult:
    return RunResult(
        results=list(results),
        started_at=STARTED,
        finished_at=STARTED,
        connectivity_lost=connectivity_lost,
    )


def without_routing_key(event: dict[str, Any]) -> str:
    """The event as JSON text, minus the one field that must carry the key."""
    return json.dumps({k: v for k, v in event.items() if k != "routing_key"})


def by_key(events: list[dict[str, Any]]) -> dict[str, str]:
    """dedup_key -> event_action of the received events."""
    return {e["dedup_key"]: e["event_action"] for e in events}
