"""The JSON report: one document with `checks`, `summary` and `alerting`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from e2echeck.engine.results import CheckResult, RunResult
from e2echeck.kinds.base import ReportField
from e2echeck.redaction import Redactor
from e2echeck.report import Alerts, alert_of, summary_counts

if TYPE_CHECKING:
    from e2echeck.alerting import AlertReport


def check_document(result: CheckResult, alerts: Alerts | None = None) -> dict[str, Any]:
    action, delivery = alert_of(result, alerts)
    document: dict[str, Any] = _check_fields(result, action, delivery)
    located = locations_of(result, alerts)
    if located is not None:  # with `locations`: every location's view, and the decision
        document["locations"] = located["locations"]
        document["decision"] = {k: v for k, v in located.items() if k != "locations"}
    return document


def locations_of(result: CheckResult, alerts: Alerts | None) -> dict[str, Any] | None:
    """The quorum's view of a check, when the run had `locations`."""
    located = getattr(alerts.get(result.name), "locations", None) if alerts else None
    return located if isinstance(located, dict) else None


def _check_fields(result: CheckResult, action: str, delivery: str) -> dict[str, Any]:
    neutral: dict[str, Any] = {
        "name": result.name,
        "ok": result.ok,
        "outcome": str(result.outcome),
        "duration_ms": round(result.duration_ms, 1),
        "attempts": result.attempts,
        "failures": list(result.failures),
        "dedup_key": result.check.effective_dedup_key,
        "alert": {"action": action, "delivery": delivery},
        "role": result.check.role,
        "tags": list(result.check.tags),
        "elapsed_ms": round(result.elapsed_ms, 1),
        "retried_reasons": list(result.retried_reasons),
        "started_at": result.started_at.isoformat() if result.started_at else None,
        "maintenance": result.maintenance,  # the window or silence covering the check
    }
    return placed(neutral, result.kind_details.report_fields())


def placed(neutral: dict[str, Any], fields: tuple[ReportField, ...]) -> dict[str, Any]:
    """`neutral` with a kind's fields, each right after the key it names (a
    field after a field of the same kind follows it; an unknown anchor: last)."""
    after: dict[str, list[ReportField]] = {}
    for field in fields:
        after.setdefault(field.after, []).append(field)
    document: dict[str, Any] = {}

    def put(key: str, value: Any) -> None:
        document[key] = value
        for field in after.pop(key, ()):
            put(field.name, field.value)

    for key, value in neutral.items():
        put(key, value)
    for left in after.values():
        for field in left:
            put(field.name, field.value)
    return document


def timing_fields(run: RunResult) -> dict[str, Any]:
    """How far the run's latencies can be trusted (see docs/timing.md)."""
    timing = run.timing
    return {
        "lag_p50_ms": round(timing.lag_p50_ms, 1),
        "lag_p99_ms": round(timing.lag_p99_ms, 1),
        "lag_max_ms": round(timing.lag_max_ms, 1),
        "peak_in_flight": timing.peak_in_flight,
        "latency_rechecks": timing.rechecked,
        "timing_warning": timing.warning,
    }


def build_json(
    run: RunResult,
    *,
    redactor: Redactor,
    alerts: Alerts | None = None,
    report: AlertReport | None = None,
) -> dict[str, Any]:
    """The report as a JSON-ready dict; `report` adds the run's alerting (events,
    counts, warnings) as `alerting`."""
    document: dict[str, Any] = {
        "checks": [check_document(r, alerts) for r in run.results],
        "summary": {
            **summary_counts(run),
            "ok": run.ok,  # a failure in maintenance is planned: the run is ok
            "connectivity_lost": run.connectivity_lost,
            "duration_ms": round(run.duration_ms, 1),
            "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat(),
            **timing_fields(run),
        },
    }
    if report is not None:
        document["alerting"] = report.to_json()
        if report.location is not None:
            document["summary"]["location"] = report.location
    redacted: dict[str, Any] = redactor.data(document)
    return redacted


def render_json(
    run: RunResult,
    *,
    redactor: Redactor,
    alerts: Alerts | None = None,
    report: AlertReport | None = None,
) -> str:
    document = build_json(run, redactor=redactor, alerts=alerts, report=report)
    return json.dumps(document, indent=2) + "\n"
