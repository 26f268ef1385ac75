"""What a check kind is: the one Protocol the engine, reports and alerting rely on.

A kind (HTTP today) turns a check into a plan, runs one attempt of a plan with
the resources it opened for the run, and describes what it found as
`ResultDetails`. Everything around an attempt is kind-neutral and stays in the
engine: scheduling, pacing, retries, the deadline, control checks, results.

This module imports nothing of e2echeck at run time (the config layer reads
the registry beside it), so any layer may name these types.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Protocol, TypeVar

if TYPE_CHECKING:
    import ssl

    from pydantic import BaseModel

    from e2echeck.config.models import Check, CheckSettings
    from e2echeck.redaction.names import NameRule

BODY_LIMIT = 1024 * 1024  # bytes of a response read at most (1 MiB), whatever the kind


class ReportField(NamedTuple):
    """One of a kind's fields in a report, placed right after a neutral field
    (`after`: a key of the JSON report, or a property of the JUnit report)."""

    after: str
    name: str
    value: Any


class ResultDetails(Protocol):
    """A kind's own facts about one result. Reports, metrics and events read a
    result through these members only, so they render any kind without
    knowing it."""

    kind: ClassVar[str]

    @property
    def target(self) -> str:
        """What was checked (a URL): '' when the kind could not tell."""
        ...

    @property
    def status_cell(self) -> str:
        """The text report's short status column (at most 3 characters wide is
        best): '-' when there is none."""
        ...

    @property
    def tried(self) -> str:
        """One line saying what was tried (e.g. 'GET https://...'), '' when nothing."""
        ...

    @property
    def step(self) -> str | None:
        """The step of a scenario that failed, if any."""
        ...

    @property
    def excerpt(self) -> str:
        """The start of what the failing answer said (secrets masked), or ''."""
        ...

    def as_dict(self) -> dict[str, Any]:
        """The facts, JSON-ready, in display order (an event's details)."""
        ...

    def report_fields(self) -> tuple[ReportField, ...]:
        """The JSON report's fields of this kind, each after a neutral key."""
        ...

    def properties(self) -> tuple[ReportField, ...]:
        """The JUnit report's properties of this kind (string values), each
        after a neutral property."""
        ...


@dataclass(slots=True)
class Attempt:
    """What one attempt at a check found, whatever its kind."""

    ok: bool
    failures: list[str]
    elapsed: float  # seconds measured by the kind (an HTTP scenario: its requests added up)
    details: ResultDetails
    # Set when the only failure is a latency one (the kind's budget exceeded,
    # or the timeout ran out): the budget, in seconds, that was missed.
    latency_budget: float | None = None


class CheckPlan(Protocol):
    """A check ready to run, attempt after attempt (the engine's view of it)."""

    kind: ClassVar[str]

    @property
    def check(self) -> Check: ...

    @property
    def settings(self) -> CheckSettings: ...

    @property
    def secrets(self) -> set[str]:
        """Secrets found at run time, kept across attempts (every output masks them)."""
        ...

    def latency_budgets(self) -> Iterable[float]:
        """The latency limits the check asserts, beside its timeout (seconds)."""
        ...

    def untried(self) -> ResultDetails:
        """The details of a check that made no attempt (skipped, internal error)."""
        ...


@dataclass(frozen=True, slots=True)
class RunContext:
    """What a run gives every kind it opens."""

    concurrency: int  # attempts in flight at most, every kind together
    ssl_context: ssl.SSLContext | None  # trusted CAs instead of the system's
    body_limit: int = BODY_LIMIT
    # {a value the config substituted: where it came from, "${TOKEN}"}: an error
    # names that instead of quoting the value (Config.origins).
    origins: Mapping[str, str] = field(default_factory=dict)


PlanT = TypeVar("PlanT", bound=CheckPlan, contravariant=True)
PlanT_co = TypeVar("PlanT_co", bound=CheckPlan, covariant=True)


class Runner(Protocol[PlanT]):
    """A kind's resources for one run (an HTTP connection pool), running attempts."""

    async def attempt(self, plan: PlanT) -> Attempt: ...


class Kind(Protocol[PlanT_co]):
    """A check kind: the registry loads it when a check's URL scheme names it."""

    @property
    def name(self) -> str: ...

    @property
    def schemes(self) -> tuple[str, ...]: ...

    @property
    def config_model(self) -> type[BaseModel]:
        """The pydantic model of the kind's fields, which `Check` inherits."""
        ...

    def plan(self, check: Check, settings: CheckSettings, rule: NameRule) -> PlanT_co:
        """The check's plan: its settings applied, what can be prepared ahead."""
        ...

    def open(self, context: RunContext) -> AbstractAsyncContextManager[Runner[Any]]:
        """The resources of one run, closed when the run ends."""
        ...
