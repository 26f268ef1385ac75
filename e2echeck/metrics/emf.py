"""CloudWatch Embedded Metric Format: metrics as structured log lines.

Lambda sends stdout to CloudWatch Logs, which extracts the metrics of every
EMF document: no API call, no dependency. A document carries one set of
dimension values, so each check gets its own document per run (dimension
`check`), and the run one more without dimensions. With several locations the
documents also carry `location`, and each metric is published both ways: by
`check` (every location together) and by `check` and `location`.

The namespace and a `Stack` dimension come from the deployment (the template
sets $E2ECHECK_METRICS_NAMESPACE and $E2ECHECK_STACK from its parameters): two
stacks in one account and region, say staging and production, keep apart
series, and every dimension set starts with `Stack`.

Skipped checks did not run: they have no document. Unknown checks (the checker
lost connectivity) report Latency and Attempts but no Success, so a checker's
outage does not count against the services' success rate. Checks that failed
in maintenance have no Success either (planned work must not fire a success
alarm) but `Maintenance: 1`; the run document counts them too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from e2echeck.engine.results import CheckResult, Outcome, RunResult

if TYPE_CHECKING:
    from e2echeck.redaction import Redactor

NAMESPACE = "e2echeck"
CHECK_DIMENSION = "check"
LOCATION_DIMENSION = "location"
STACK_DIMENSION = "Stack"
NAMESPACE_VARIABLE = "E2ECHECK_METRICS_NAMESPACE"
STACK_VARIABLE = "E2ECHECK_STACK"
# What CloudWatch accepts in a namespace (the template's parameter allows the same).
_VALID_NAMESPACE = re.compile(r"[.\-_/#:A-Za-z0-9 ]{1,255}")


@dataclass(frozen=True)
class MetricsTarget:
    """Where the metrics go: their namespace, and the stack that tells two
    deployments in one account and region apart (None: no Stack dimension)."""

    namespace: str = NAMESPACE
    stack: str | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> MetricsTarget:
        """The template's settings; a namespace CloudWatch would refuse is replaced
        by the default rather than losing every metric of the run."""
        namespace = environ.get(NAMESPACE_VARIABLE, "").strip()
        stack = environ.get(STACK_VARIABLE, "").strip()[:1024]
        return cls(namespace if _VALID_NAMESPACE.fullmatch(namespace) else NAMESPACE, stack or None)

    def dimensions(self, *sets: list[str]) -> list[list[str]]:
        """Every dimension set, led by Stack when there is one."""
        lead = [STACK_DIMENSION] if self.stack is not None else []
        return [[*lead, *names] for names in sets]

    def values(self) -> dict[str, str]:
        return {STACK_DIMENSION: self.stack} if self.stack is not None else {}


def emf_documents(
    run: RunResult,
    location: str | None = None,
    *,
    redactor: Redactor,
    target: MetricsTarget = MetricsTarget(),
) -> list[dict[str, Any]]:
    """One document per check that ran, then one for the run, redacted (a
    check's name is a dimension). `location`: the running location's name,
    when the config has `locations`. `target`: namespace and Stack dimension."""
    documents = [_check_document(result, run, location, target) for result in run.results]
    found = [d for d in documents if d is not None] + [_run_document(run, location, target)]
    return [redactor.data(document) for document in found]


def _check_document(
    result: CheckResult, run: RunResult, location: str | None, target: MetricsTarget
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
        "_aws": _metadata(
            result.started_at or run.started_at, target, target.dimensions(*dimensions), units
        ),
        "type": "metrics",
        **target.values(),
        CHECK_DIMENSION: result.name,
        **where,
        "outcome": str(result.outcome),
        **values,
    }


def _run_document(run: RunResult, location: str | None, target: MetricsTarget) -> dict[str, Any]:
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
        return {
            "_aws": _metadata(run.started_at, target, target.dimensions([]), units),
            "type": "metrics",
            **target.values(),
            **values,
        }
    dimensions = target.dimensions([], [LOCATION_DIMENSION])
    return {
        "_aws": _metadata(run.started_at, target, dimensions, units),
        "type": "metrics",
        **target.values(),
        LOCATION_DIMENSION: location,
        **values,
    }


def _metadata(
    at: datetime, target: MetricsTarget, dimensions: list[list[str]], units: dict[str, str]
) -> dict[str, Any]:
    return {
        "Timestamp": int(at.timestamp() * 1000),
        "CloudWatchMetrics": [
            {
                "Namespace": target.namespace,
                "Dimensions": dimensions,
                "Metrics": [{"Name": name, "Unit": unit} for name, unit in units.items()],
            }
        ],
    }
