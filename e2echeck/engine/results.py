"""What a run produces: one result per check. Alerting and reports read these;
the engine knows nothing of PagerDuty.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from e2echeck.config.models import Check


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
    status_code: int | None = None
    duration_ms: float = 0.0  # the last attempt's requests (a scenario: all its steps)
    attempts: int = 0
    failures: list[str] = field(default_factory=list)
    failed_step: str | None = None
    method: str = "GET"
    url: str = ""
    body_excerpt: str = ""  # at most 2 KiB, of the response that failed
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
        """The family of the check's URL scheme."""
        return "http"

    @property
    def target(self) -> str:
        """What was checked: the URL of the request that decided the outcome."""
        return self.url or self.check.first_url

    @property
    def source(self) -> str:
        """The host of the target (an event's `source`), else the check's name."""
        return urlsplit(self.target).hostname or self.check.name

    @property
    def details(self) -> dict[str, Any]:
        """The kind's own facts about this result, JSON-ready, in display order."""
        facts: dict[str, Any] = {
            "url": self.target,
            "method": self.method,
            "status_code": self.status_code,
        }
        if self.failed_step:
            facts["step"] = self.failed_step
        if self.body_excerpt:
            facts["body_excerpt"] = self.body_excerpt
        return facts


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
