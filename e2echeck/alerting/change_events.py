"""PagerDuty change events: what changed around the service, shown beside its
incidents ("maintenance started", "silenced by alice", "deployed v1.4").

They go to the Change Events API (`/v2/change/enqueue` on the events URL's
origin, or `pagerduty.change_events_url`) with the file's routing key. A change
event opens no incident and pages nobody, so it is sent once and a failure is a
warning, never a failed run. They count against the storm budget
(`budget.count_sent`).
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from e2echeck.alerting.transitions import MAX_SUMMARY, hostname, truncate
from e2echeck.config.models import Config
from e2echeck.redaction import Redactor

TIMEOUT_S = 10.0
ATTEMPTS = 3


@dataclass
class ChangeEvent:
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    links: list[dict[str, str]] = field(default_factory=list)

    def body(self, routing_key: str, redactor: Redactor) -> dict[str, Any]:
        payload = {
            "summary": truncate(redactor.text(self.summary), MAX_SUMMARY),
            "timestamp": datetime.now(UTC).isoformat(),
            "source": hostname(),
            "custom_details": redactor.data(self.details),
        }
        body: dict[str, Any] = {"routing_key": routing_key, "payload": payload}
        if self.links:
            body["links"] = redactor.data(self.links)
        return body


def who() -> str:
    """Who made a change: the Lambda function, else the user."""
    function = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
    if function:
        return f"lambda {function}"
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def send_change_events(
    config: Config, events: list[ChangeEvent], redactor: Redactor
) -> tuple[int, list[str]]:
    """Send each event (a few attempts on 429, 5xx and network errors);
    (how many were accepted, warnings, redacted)."""
    if not events:
        return 0, []
    pagerduty = config.pagerduty
    key = pagerduty.routing_key if pagerduty else None
    if pagerduty is None or not key or "${" in key:
        return 0, ["change events not sent: no pagerduty.routing_key"]
    import httpx2

    from e2echeck._tls import verifying_context

    url = pagerduty.change_url
    sent, warnings = 0, []
    with httpx2.Client(timeout=TIMEOUT_S, verify=verifying_context()) as client:
        for event in events:
            error = ""
            for _ in range(ATTEMPTS):
                try:
                    answer = client.post(url, json=event.body(key, redactor))
                except httpx2.HTTPError as exc:
                    error = type(exc).__name__
                    continue
                if answer.status_code in (200, 201, 202):
                    sent += 1
                    error = ""
                    break
                error = f"HTTP {answer.status_code}"
                if answer.status_code != 429 and answer.status_code < 500:
                    break
            if error:
                warnings.append(redactor.text(f"change event {event.summary!r} not sent: {error}"))
    return sent, warnings
