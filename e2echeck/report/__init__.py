"""Reports of a run: text for people, JSON for programs, JUnit XML for CI.

Every report passes its text through the Redactor: secrets never leave the process.
Each takes an optional mapping of check name to alert status (anything with
`.action` and `.delivery` strings), which alerting supplies; without it the
action is "none" and the delivery "not sent".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from e2echeck.engine.results import CheckResult, Outcome, RunResult


class AlertStatus(Protocol):
    @property
    def action(self) -> str: ...  # e.g. "trigger", "resolve", "none"

    @property
    def delivery(self) -> str: ...  # e.g. "sent", "failed: ...", "not sent"


Alerts = Mapping[str, AlertStatus]

NO_ACTION = "none"
NOT_SENT = "not sent"


def alert_of(result: CheckResult, alerts: Alerts | None) -> tuple[str, str]:
    """(action, delivery) of a check's alert."""
    status = alerts.get(result.name) if alerts else None
    if status is None:
        return NO_ACTION, NOT_SENT
    return status.action, status.delivery


def summary_counts(run: RunResult) -> dict[str, int]:
    return {
        "total": len(run.results),
        "passed": run.count(Outcome.OK),
        "failed": run.count(Outcome.FAILED),
        "unknown": run.count(Outcome.UNKNOWN),
        "skipped": run.count(Outcome.SKIPPED),
        "maintenance": run.count(Outcome.MAINTENANCE),  # failed, in a window or silence
    }


__all__ = ["NOT_SENT", "NO_ACTION", "AlertStatus", "Alerts", "alert_of", "summary_counts"]
