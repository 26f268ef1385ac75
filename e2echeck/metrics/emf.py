"""CloudWatch Embedded Metric Format: metrics as structured log lines.

Lambda sends stdout to CloudWatch Logs, which extracts the metrics of every
EMF document: no API call, no dependency. A document carries one set of
dimension values, so each check gets its own document per run (dimension
`check`), and the run one more without dimensions. With several locations the
documents also carry `location`, and each metric is published both ways: by
`check` (every location together) and by `check` and `location`.

Skipped checks did not run: they have no document. Unknown checks (the checker
lost connectivity) report Latency and Attempts but no Success, so a checker's
outage does not count against the services' success rate. Checks that failed
in maintenance have no Success either (planned work must not fire a success
alarm) but `Maintenance: 1`; the run document counts them too.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from e2echeck.engine.results import CheckResult, Outcome, RunResult

if TYPE_CHECKING:
    from e2echeck.redaction import Redactor

NAMESPACE = "e2echeck"
CHECK_DIMENSION = "check"
LOCATION_DIMENSION = "location"


def emf_documents(
    run: RunResult, location: str | None = None, *, redactor: Redactor
) -> list[dict[str, Any]]:
    """One document per check that ran, then one for the run, redacted (a
    check's name is a dimension). `location`: the running location's name,
    when the config has `locations`."""
    documents = [_check_document(result, run, location) for result in run.results]
    found = [d for d in documents if d is not None] + [_run_document(run, location)]
    return [redactor.data(document) for document in found]


def _check_document(
    result: CheckResult, run: RunResult, location: str | None
) -> dict[str, Any] | None:
    if result.outcome is Outcome.SKIPPED:
        return None
    values: dict[str, float] = {}
    units: dict[str, str] = {}
    if result.outcome in (Outcome.OK, Outcome.FAILED):
        values["Success"], units["Success"] = (1 if result.ok else 0), "None"
    elif result.outcome is Outcome.MAINTENANCE:  # planned: never a Success of 0
        values["Maintenance"], units["Maintenance"] = 1, "Count"
    values["Latency"], units["Latency"] = round(result.duration_ms, 3), "Milliseconds"
    values["Attempts"], units["Attempts"] = result.attempts, "Count"
    dimensions = [[CHECK_DIMENSION]]
    where: dict[str, str] = {}
    if location is not None:
        dimensions.append([CHECK_DIMENSION, LOCATION_DIMENSION])
        where[LOCATION_DIMENSION] = location
    return {
        "_aws": _metadata(result.started_at or run.started_at, dimensions, units),
        "type": "metrics",
        CHECK_DIMENSION: result.name,
        **where,
        "outcome": str(result.outcome),
        **values,
    }


def _run_document(run: RunResult, location: str | None) -> dict[str, Any]:
    values = {
        "Checks": len(run.results),
        "Failed": run.count(Outcome.FAILED),
        "Unknown": run.count(Outcome.UNKNOWN),
        "Maintenance": run.count(Outcome.MAINTENANCE),
        "RunDuration": round(run.duration_ms, 3),
    }
    units = {
        "Checks": "Count",
        "Failed": "Count",
        "Unknown": "Count",
        "Maintenance": "Count",
        "RunDuration": "Milliseconds",
    }
    if location is None:
        return {"_aws": _metadata(run.started_at, [[]], units), "type": "metrics", **values}
    dimensions: list[list[str]] = [[], [LOCATION_DIMENSION]]
    return {
        "_aws": _metadata(run.started_at, dimensions, units),
        "type": "metrics",
        LOCATION_DIMENSION: location,
        **values,
    }


def _metadata(at: datetime, dimensions: list[list[str]], units: dict[str, str]) -> dict[str, Any]:
    return {
        "Timestamp": int(at.timestamp() * 1000),
        "CloudWatchMetrics": [
            {
                "Namespace": NAMESPACE,
                "Dimensions": dimensions,
                "Metrics": [{"Name": name, "Unit": unit} for name, unit in units.items()],
            }
        ],
    }
