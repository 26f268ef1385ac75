"""Reading state written by older versions: version 1 kept PagerDuty event
bodies, rendered before sinks existed, where version 2 keeps neutral transitions."""

from __future__ import annotations

from typing import Any

from e2echeck.alerting.sinks.base import Pending
from e2echeck.alerting.transitions import Transition


def migrate_v1_event(data: Any) -> Pending:
    """A version 1 undelivered event (a PagerDuty body without its routing key)
    as the transition it was rendered from, owed by the PagerDuty sink: the
    sink renders the same body again. ValueError when `data` is not one."""
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
    payload = body.get("payload")
    payload = payload if isinstance(payload, dict) else {}
    transition = Transition.from_json(
        {
            "action": action,
            "dedup_key": key,
            "check": check,
            "summary": payload.get("summary", ""),
            "severity": payload.get("severity"),
            "source": payload.get("source"),
            "timestamp": payload.get("timestamp"),
            "component": payload.get("component"),
            "group": payload.get("group"),
            "details": payload.get("custom_details") or {},
            "links": body.get("links") or [],
            "created_at": created,
        }
    )
    return Pending("pagerduty", transition)
