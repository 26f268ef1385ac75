"""What a run produces: one result per check. Alerting and reports read these;
the engine knows nothing of PagerDuty.

A result's fields are kind-neutral; what its kind found (an HTTP status, the
URL, a body excerpt) is in `kind_details`, read through the `ResultDetails`
Protocol, so no reader needs to know the kind.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from e2echeck.config.models import Check
from e2echeck.kinds.base import ResultDetails


class Outcome(enum.StrEnum):
    OK = "ok"
    FAILED = "failed"
    UNKNOWN = "unknown"  # every control check failed: the checker itself is cut off
    SKIPPED = "skipped"  # not started before the run's deadline
    MAINTENANCE = "maintenance"  # failed inside a maintenance window or silence: pages nobody


@dataclass
class CheckResult:
    """The outcome of one check in one run (after its retries)."""

    check: Check
    outcome: Outcome
    kind_details: ResultDetails  # what the attempt that decided the outcome found
    duration_ms: float = 0.0  # the last attempt's, as its kind times it (HTTP: its requests)
    attempts: int = 0
    failures: list[str] = field(default_factory=list)
    started_at: datetime | None = None
    elapsed_ms: float = 0.0  # wall time of the check, retries and waits between them included
    retried_reasons: list[str] = field(default_factory=list)  # first reason of each earlier attempt
    maintenance: str | None = None  # the window or silence covering it (maintenance.py)
    secrets: frozenset[str] = frozenset()  # found at run time: every output masks them

    @property
    def name(self) -> str:
        return self.check.name

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    @property
    def reason(self) -> str:
        """The first failure reason, or '' for a passing check."""
        return self.failures[0] if self.failures else ""

    # The kind-neutral face that alerting, reports and metrics read. A kind fills
    # `details` with its own facts, so a reader never needs to know the kind.

    @property
    def kind(self) -> str:
        """The check's kind (from its URL's scheme): "http"."""
        return self.kind_details.kind

    @property
    def target(self) -> str:
        """What was checked: the URL of the attempt that decided the outcome."""
        return self.kind_details.target or self.check.first_url

    @property
    def source(self) -> str:
        """The host of the target (an event's `source`), else the check's name."""
        return urlsplit(self.target).hostname or self.check.name

    @property
    def details(self) -> dict[str, Any]:
        """The kind's own facts about this result, JSON-ready, in display order."""
        return self.kind_details.as_dict()


@dataclass
class RunTiming:
    """How trustworthy the run's latencies are: the event loop's scheduling lag
    (how late a 10 ms timer fired, sampled all through the run) and the most
    requests in flight at once. A response that arrives while the loop lags
    waits that long before it is timed."""

    lag_p50_ms: float = 0.0
    lag_p99_ms: float = 0.0
    lag_max_ms: float = 0.0
    peak_in_flight: int = 0
    concurrency: int = 0  # the ceiling (--concurrency)
    rechecked: int = 0  # latency-only failures re-checked at low concurrency
    warning: str | None = None  # set when the lag distorted a latency assertion


@dataclass
class RunResult:
    """Every check's result, control checks included, in the file's order."""

    results: list[CheckResult]
    started_at: datetime
    finished_at: datetime
    connectivity_lost: bool = False  # every control check failed
    timing: RunTiming = field(default_factory=RunTiming)

    @property
    def duration_ms(self) -> float:
        return (self.finished_at - self.started_at).total_seconds() * 1000

    @property
    def ok(self) -> bool:
        """Every check passed or failed only in maintenance (planned work): the
        one answer of the exit code, the reports, the Lambda summary and logs."""
        return all(r.outcome in (Outcome.OK, Outcome.MAINTENANCE) for r in self.results)

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.outcome is Outcome.FAILED]

    @property
    def secrets(self) -> frozenset[str]:
        """The secrets every check of the run found at run time."""
        found: set[str] = set()
        for result in self.results:
            found.update(result.secrets)
        return frozenset(found)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)
