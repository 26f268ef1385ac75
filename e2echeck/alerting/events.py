"""What a run means for PagerDuty: one observation per alert, and the events.

Pure data: nothing here sends, stores or imports an HTTP client. Every string that
goes into an event has passed through the run's Redactor; the routing key is not
part of an `Event` at all (delivery adds it at the last moment, and the state file
never sees it).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from e2echeck.config.models import Check, Config
from e2echeck.engine.results import CheckResult, Outcome, RunResult
from e2echeck.redaction import Redactor

CONTROL_DEDUP_KEY = "e2echeck-control"
MAX_SUMMARY = 1024
MAX_BODY_EXCERPT_BYTES = 2048
EVENT_CLASS = "e2e check"

Action = Literal["trigger", "resolve"]
Signal = Literal["fail", "pass"]


@dataclass
class Event:
    """One Events API v2 event, without its routing key.

    `body` is the JSON PagerDuty receives minus `routing_key`: event_action,
    dedup_key and, for a trigger, payload/links/client/client_url.
    """

    action: Action
    dedup_key: str
    check: str | None  # None: the control alert
    body: dict[str, Any]
    created_at: str = field(default_factory=lambda: _now_iso())

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "dedup_key": self.dedup_key,
            "check": self.check,
            "created_at": self.created_at,
            "body": self.body,
        }

    @classmethod
    def from_json(cls, data: Any) -> Event:
        """The inverse of `to_json`; ValueError when `data` is not one."""
        if not isinstance(data, dict):
            raise ValueError("an event must be an object")
        action, key, check = data.get("action"), data.get("dedup_key"), data.get("check")
        body, created = data.get("body"), data.get("created_at")
        if action not in ("trigger", "resolve"):
            raise ValueError(f"unknown event action {action!r}")
        if not isinstance(key, str) or not key:
            raise ValueError("an event needs a dedup_key")
        if check is not None and not isinstance(check, str):
            raise ValueError("an event's check must be a name")
        if not isinstance(body, dict) or body.get("event_action") != action:
            raise ValueError("an event needs a body with its event_action")
        if not isinstance(created, str):
            raise ValueError("an event needs created_at")
        return cls(action=action, dedup_key=key, check=check, body=body, created_at=created)


@dataclass(frozen=True)
class Observation:
    """What one run says about one alert: a check's, or the control alert.

    `signal` is None when the run says nothing about it (unknown, skipped, a
    control check's own result); `note` then says why. `trigger` is the event a
    failure sends; it is built for every failing observation.
    """

    name: str
    dedup_key: str
    check: Check | None
    signal: Signal | None
    note: str = ""
    trigger: Event | None = None


NOTE_UNKNOWN = "not sent (unknown: the checker lost connectivity)"
NOTE_SKIPPED = "not sent (skipped)"
NOTE_CONTROL = f"not sent (control check; see {CONTROL_DEDUP_KEY})"


def observe(config: Config, run: RunResult, redactor: Redactor) -> list[Observation]:
    """One observation per check of the run, in its order, then the control alert's."""
    found: list[Observation] = []
    for result in run.results:
        check = result.check
        key = check.effective_dedup_key
        if check.is_control:
            found.append(Observation(check.name, key, check, None, NOTE_CONTROL))
        elif result.outcome is Outcome.FAILED and not run.connectivity_lost:
            event = trigger_event(config, result, redactor)
            found.append(Observation(check.name, key, check, "fail", trigger=event))
        elif result.outcome is Outcome.OK and not run.connectivity_lost:
            found.append(Observation(check.name, key, check, "pass"))
        elif result.outcome is Outcome.SKIPPED:
            found.append(Observation(check.name, key, check, None, NOTE_SKIPPED))
        elif result.outcome is Outcome.MAINTENANCE:  # a failure that pages nobody
            note = f"not sent (maintenance: {result.maintenance})"
            found.append(Observation(check.name, key, check, None, note))
        else:  # unknown, or anything while the checker is cut off
            found.append(Observation(check.name, key, check, None, NOTE_UNKNOWN))
    control = _control_observation(config, run, redactor)
    if control is not None:
        found.append(control)
    return found


def _control_observation(config: Config, run: RunResult, redactor: Redactor) -> Observation | None:
    controls = [r for r in run.results if r.check.is_control]
    if run.connectivity_lost:
        event = control_trigger_event(config, run, controls, redactor)
        return Observation(CONTROL_DEDUP_KEY, CONTROL_DEDUP_KEY, None, "fail", trigger=event)
    if any(r.outcome is Outcome.OK for r in controls):
        return Observation(CONTROL_DEDUP_KEY, CONTROL_DEDUP_KEY, None, "pass")
    return None  # no control checks ran: the run says nothing about connectivity


def trigger_event(config: Config, result: CheckResult, redactor: Redactor) -> Event:
    """The trigger of a failed check, redacted: summary, source, severity, links."""
    check = result.check
    url = result.target
    facts = result.details
    reason = result.reason or "failed"
    details: dict[str, Any] = {
        "check": check.name,
        "url": url,
        "method": facts.get("method"),
        "status_code": facts.get("status_code"),
        "latency_ms": round(result.duration_ms, 1),
        "attempts": result.attempts,
        "failures": list(result.failures),
    }
    if facts.get("step"):
        details["step"] = facts["step"]
    if facts.get("body_excerpt") and (config.pagerduty is None or config.pagerduty.body_excerpt):
        details["body_excerpt"] = facts["body_excerpt"]
    if check.description:
        details["description"] = check.description
    if check.tags:
        details["tags"] = list(check.tags)
    summary = f"{check.name} failed: {reason}"
    body = trigger_body(config, check, url, _iso(result.started_at), summary, details)
    return Event("trigger", check.effective_dedup_key, check.name, _finish(body, redactor))


def trigger_body(
    config: Config,
    check: Check,
    url: str,
    timestamp: str,
    summary: str,
    details: dict[str, Any],
) -> dict[str, Any]:
    """A check's trigger as PagerDuty receives it (before redaction): the payload
    keyed by the check, a link to the checked URL, and the client fields."""
    payload: dict[str, Any] = {
        "summary": summary,
        "source": urlsplit(url).hostname or check.name,
        "severity": config.settings_for(check).severity,
        "timestamp": timestamp,
        "component": check.name,
        "class": EVENT_CLASS,
        "custom_details": details,
    }
    if check.tags:
        payload["group"] = check.tags[0]
    return {
        "event_action": "trigger",
        "dedup_key": check.effective_dedup_key,
        "payload": payload,
        "links": [{"href": url, "text": f"{check.name}: checked URL"}],
        **_client_fields(config),
    }


def control_trigger_event(
    config: Config, run: RunResult, controls: list[CheckResult], redactor: Redactor
) -> Event:
    """The single `warning` that replaces every page while the checker is cut off."""
    names = ", ".join(r.name for r in controls) or "none"
    first = next((r for r in controls if r.failures), None)
    why = f"{first.name}: {first.reason}" if first else "every control check failed"
    details = {
        "control_checks": [
            {
                "check": r.name,
                "url": r.target,
                "outcome": str(r.outcome),
                "status_code": r.details.get("status_code"),
                "failures": list(r.failures),
            }
            for r in controls
        ],
        "service_checks_unknown": run.count(Outcome.UNKNOWN),
        "checker_host": _hostname(),
    }
    body = {
        "event_action": "trigger",
        "dedup_key": CONTROL_DEDUP_KEY,
        "payload": {
            "summary": f"e2echeck: checker lost connectivity (control checks failed: {names}; "
            f"{why})",
            "source": _hostname(),
            "severity": "warning",
            "timestamp": _iso(run.started_at),
            "component": "e2echeck",
            "group": "control",
            "class": EVENT_CLASS,
            "custom_details": details,
        },
        **_client_fields(config),
    }
    return Event("trigger", CONTROL_DEDUP_KEY, None, _finish(body, redactor))


def resolve_event(dedup_key: str, check: str | None, redactor: Redactor) -> Event:
    body = {"event_action": "resolve", "dedup_key": dedup_key}
    return Event("resolve", dedup_key, check, redactor.data(body))


def _client_fields(config: Config) -> dict[str, str]:
    pd = config.pagerduty
    fields = {"client": pd.client if pd else "e2echeck"}
    if pd and pd.client_url:
        fields["client_url"] = pd.client_url
    return fields


def _finish(body: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    """Redact every string, then enforce PagerDuty's limits.

    Redaction comes first: truncating first could cut a secret in two, and the
    half left in the text would no longer match.
    """
    clean: dict[str, Any] = redactor.data(body)
    payload = clean["payload"]
    payload["summary"] = truncate(payload["summary"], MAX_SUMMARY)
    details = payload["custom_details"]
    if "body_excerpt" in details:
        details["body_excerpt"] = truncate_bytes(details["body_excerpt"], MAX_BODY_EXCERPT_BYTES)
    return clean


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def truncate_bytes(text: str, limit: int) -> str:
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[:limit].decode("utf-8", errors="ignore")


def _iso(moment: datetime | None) -> str:
    if moment is None:
        return _now_iso()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _hostname() -> str:
    return socket.gethostname() or "e2echeck"
