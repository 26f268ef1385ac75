"""A run: control checks first, then the others, concurrently, within a deadline.

Kind-neutral: each check's kind (from the registry) plans it and runs its
attempts with the resources it opened for the run; the scheduling, pacing,
retries, deadline and control checks are the same for every kind.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from time import perf_counter
from typing import Any

from e2echeck.config.models import Check, Config
from e2echeck.config.types import format_duration
from e2echeck.defaults import DEFAULT_CONCURRENCY
from e2echeck.engine.pacing import (
    DISTORTING_SHARE,
    AdaptiveLimiter,
    LagMonitor,
    target_lag_for,
)
from e2echeck.engine.results import CheckResult, Outcome, RunResult, RunTiming
from e2echeck.engine.retries import AttemptLog, with_retries
from e2echeck.kinds.base import BODY_LIMIT, Attempt, CheckPlan, Kind, RunContext, Runner
from e2echeck.kinds.registry import entry_for_url, load_kind

OnResult = Callable[[CheckResult], None]

# Requests in flight while latency-only failures are re-checked, once the rest
# of their phase has finished: few enough that the loop does not lag.
RECHECK_CONCURRENCY = 4


class _Phase:
    """Checks of one phase still on their first pass; re-checks wait for it to drain."""

    def __init__(self, count: int) -> None:
        self.left = count
        self.drained = asyncio.Event()
        if count == 0:
            self.drained.set()

    def done(self) -> None:
        self.left -= 1
        if self.left <= 0:
            self.drained.set()


@dataclass(slots=True)
class _Work:
    """A check's plan and the runner of its kind, paired once before the run."""

    plan: CheckPlan
    runner: Runner[Any]


class _Run:
    def __init__(
        self,
        concurrency: int,
        deadline: float | None,
        on_result: OnResult | None,
        target_lag: float,
    ) -> None:
        self.concurrency = concurrency
        self.slots = AdaptiveLimiter(concurrency, target_lag=target_lag)
        self.quiet_slots = AdaptiveLimiter(
            min(concurrency, RECHECK_CONCURRENCY), target_lag=target_lag, initial=1
        )
        self.monitor = LagMonitor(self._observe)
        self.loop = asyncio.get_running_loop()
        self.deadline = deadline
        self.deadline_at = None if deadline is None else self.loop.time() + deadline
        self.on_result = on_result
        self.rechecked = 0
        self.phase = _Phase(0)

    def _observe(self, lag: float) -> None:
        self.slots.observe(lag)
        self.quiet_slots.observe(lag)

    async def check(self, work: _Work, unknown_reason: str | None = None) -> CheckResult:
        phase = self.phase
        plan = work.plan
        try:
            result, final = await self._check(work, self.slots)
        finally:
            phase.done()
        if final is not None and final.attempt.latency_budget is not None:
            # the sample that saw the queue this response waited in comes next
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(10 * self.monitor.interval):
                    await self.monitor.next_sample()
        if final is not None and self._distorted(final):
            await phase.drained.wait()
            result = await self._recheck(work, result, final)
        if unknown_reason is not None and result.outcome is not Outcome.SKIPPED:
            result.outcome = Outcome.UNKNOWN
            result.failures.insert(0, unknown_reason)
        if plan.secrets:  # found at run time, over every attempt: every output masks them
            result.secrets = frozenset(plan.secrets)
        if self.on_result is not None:
            self.on_result(result)
        return result

    def _distorted(self, final: _Timed) -> bool:
        """A latency-only failure while the loop lagged by more than a tenth of its budget."""
        budget = final.attempt.latency_budget
        if final.attempt.ok or budget is None:
            return False
        return self.monitor.max_between(final.began, final.ended) > DISTORTING_SHARE * budget

    async def _recheck(self, work: _Work, earlier: CheckResult, final: _Timed) -> CheckResult:
        """One more attempt at low concurrency; its result is the one that counts."""
        if self.deadline_at is not None and self.loop.time() >= self.deadline_at:
            return earlier
        self.rechecked += 1
        again, _ = await self._check(work, self.quiet_slots, retries=0)
        cut = self.deadline_at is not None and self.loop.time() >= self.deadline_at
        if again.outcome is Outcome.SKIPPED or (cut and not again.ok):
            return earlier  # the deadline, not the endpoint, stopped the re-check
        lag = self.monitor.max_between(final.began, final.ended)
        again.attempts += earlier.attempts
        again.retried_reasons = [
            *earlier.retried_reasons,
            f"{earlier.reason} (the event loop lagged up to {lag * 1000:.0f}ms: "
            "re-checked at low concurrency)",
        ]
        again.started_at = earlier.started_at or again.started_at
        again.elapsed_ms += earlier.elapsed_ms
        return again

    async def _check(
        self, work: _Work, slots: AdaptiveLimiter, retries: int | None = None
    ) -> tuple[CheckResult, _Timed | None]:
        log = AttemptLog()
        plan = work.plan
        runner = work.runner
        began: list[float] = []
        started_at: list[datetime] = []
        timed: list[_Timed] = []

        async def attempt() -> Attempt:
            async with slots:
                start = perf_counter()
                if not log.started:
                    log.started = True
                    began.append(start)
                    started_at.append(datetime.now(UTC))
                done = await runner.attempt(plan)
                timed[:] = [_Timed(done, start, perf_counter())]
                return done

        result = await self._attempts(plan, attempt, log, began, started_at, retries)
        return result, (timed[0] if timed and result.outcome is Outcome.FAILED else None)

    async def _attempts(
        self,
        plan: CheckPlan,
        attempt: Callable[[], Awaitable[Attempt]],
        log: AttemptLog,
        began: list[float],
        started_at: list[datetime],
        retries: int | None,
    ) -> CheckResult:

        settings = plan.settings
        tries = settings.retries if retries is None else retries
        try:
            if self.deadline_at is None:
                final = await with_retries(attempt, tries, settings.retry_delay, log)
            else:
                if self.loop.time() >= self.deadline_at:
                    return self._skipped(plan)
                async with asyncio.timeout_at(self.deadline_at):
                    final = await with_retries(attempt, tries, settings.retry_delay, log)
        except TimeoutError:
            if not log.started:
                return self._skipped(plan)
            return self._cut(plan, log, began[0], started_at[0])
        except Exception as exc:  # a bug must cost one check, not the run
            return CheckResult(
                check=plan.check,
                outcome=Outcome.FAILED,
                attempts=max(log.attempts, 1),
                failures=[f"e2echeck internal error: {type(exc).__name__}: {exc}"],
                kind_details=plan.untried(),
                started_at=started_at[0] if started_at else None,
            )
        return CheckResult(
            check=plan.check,
            outcome=Outcome.OK if final.ok else Outcome.FAILED,
            kind_details=final.details,
            duration_ms=final.elapsed * 1000,
            attempts=log.attempts,
            failures=final.failures,
            started_at=started_at[0],
            elapsed_ms=(perf_counter() - began[0]) * 1000,
            retried_reasons=log.earlier_reasons,
        )

    def timing(self, budgets: list[float]) -> RunTiming:
        p50, p99, worst = self.monitor.stats()
        timing = RunTiming(
            lag_p50_ms=p50 * 1000,
            lag_p99_ms=p99 * 1000,
            lag_max_ms=worst * 1000,
            peak_in_flight=max(self.slots.peak, self.quiet_slots.peak),
            concurrency=self.concurrency,
            rechecked=self.rechecked,
        )
        tightest = min(budgets, default=None)
        if self.rechecked or (tightest is not None and p99 > DISTORTING_SHARE * tightest):
            timing.warning = _lag_warning(timing, tightest, self.rechecked)
        return timing

    def _skipped(self, plan: CheckPlan) -> CheckResult:
        assert self.deadline is not None
        return CheckResult(
            check=plan.check,
            outcome=Outcome.SKIPPED,
            failures=[f"not started before the run's deadline ({format_duration(self.deadline)})"],
            kind_details=plan.untried(),
        )

    def _cut(
        self, plan: CheckPlan, log: AttemptLog, began: float, started_at: datetime
    ) -> CheckResult:
        assert self.deadline is not None
        elapsed = perf_counter() - began
        deadline = format_duration(self.deadline)
        last = log.last
        if last is not None and log.attempts == len(log.earlier_reasons):
            # Cut while waiting to retry: the last attempt's reasons still stand.
            reasons = [
                f"the run's deadline ({deadline}) stopped the retries after "
                f"{log.attempts} attempt{'s' if log.attempts != 1 else ''}",
                *last.failures,
            ]
            attempts = log.attempts
        else:
            reasons = [
                f"cut by the run's deadline ({deadline}) after "
                f"{format_duration(round(elapsed, 3))} of running"
            ]
            if last is not None:
                reasons.extend(last.failures)
            attempts = log.attempts + 1
        return CheckResult(
            check=plan.check,
            outcome=Outcome.FAILED,
            kind_details=last.details if last else plan.untried(),
            duration_ms=elapsed * 1000,
            attempts=attempts,
            failures=reasons,
            started_at=started_at,
            elapsed_ms=elapsed * 1000,
            retried_reasons=log.earlier_reasons,
        )


@dataclass(slots=True)
class _Timed:
    """An attempt and when it ran (perf_counter seconds)."""

    attempt: Attempt
    began: float
    ended: float


def _lag_warning(timing: RunTiming, tightest: float | None, rechecked: int) -> str:
    text = f"the event loop lagged (p99 {timing.lag_p99_ms:.0f}ms, max {timing.lag_max_ms:.0f}ms)"
    if tightest is not None:
        text += f", more than 10% of the tightest latency budget ({format_duration(tightest)})"
    text += ": latencies include e2echeck's own CPU queue"
    if rechecked:
        text += (
            f"; {rechecked} latency failure{'s were' if rechecked != 1 else ' was'} "
            "re-checked at low concurrency"
        )
    return text + ". Lower --concurrency or give the function more memory."


def _budgets(plans: list[CheckPlan]) -> list[float]:
    """Every latency budget of the run: each check's own (max_response_time), and each timeout."""
    found = {plan.settings.timeout for plan in plans}
    for plan in plans:
        found.update(plan.latency_budgets())
    return sorted(found)


def _plan(
    checks: list[Check], config: Config
) -> tuple[list[CheckPlan], list[Kind[Any]], list[int]]:
    """Each check's plan by its kind; the kinds the run uses, and each plan's
    index among them. Kinds are looked up here, once per check, never per attempt."""
    rule = config.name_rule
    kinds: dict[str, int] = {}
    used: list[Kind[Any]] = []
    plans: list[CheckPlan] = []
    which: list[int] = []
    for check in checks:
        entry = entry_for_url(check.first_url)
        index = kinds.get(entry.name)
        if index is None:
            index = kinds[entry.name] = len(used)
            used.append(load_kind(entry))
        plans.append(used[index].plan(check, config.settings_for(check), rule))
        which.append(index)
    return plans, used, which


async def arun_checks(
    config: Config,
    *,
    checks: Sequence[Check] | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    deadline: float | None = None,
    on_result: OnResult | None = None,
    ssl_context: ssl.SSLContext | None = None,
    body_limit: int = BODY_LIMIT,
) -> RunResult:
    """Run `checks` (default: every enabled check of `config`) once each.

    Control checks run first; when every one of them fails, the other checks
    still run but are reported `unknown` and `connectivity_lost` is set.
    `deadline`: seconds from now; checks not started by then are `skipped`,
    checks still running are cut and fail. `on_result` is called as each check
    ends. `ssl_context` replaces the trusted CAs (tests, private CAs)."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    selected = [c for c in (config.checks if checks is None else checks) if c.enabled]
    plans, kinds, which = _plan(selected, config)
    started_at = datetime.now(UTC)
    budgets = _budgets(plans)
    context = RunContext(concurrency, ssl_context, body_limit, config.origins)
    async with contextlib.AsyncExitStack() as stack:
        runners = [await stack.enter_async_context(kind.open(context)) for kind in kinds]
        work = [_Work(plan, runners[index]) for plan, index in zip(plans, which, strict=True)]
        run = _Run(concurrency, deadline, on_result, target_lag_for(budgets))
        ticker = asyncio.create_task(run.monitor.run())
        # The objects alive now (config, modules, clients) live until the run
        # ends: left out of the cyclic GC's scans, a full collection during the
        # run takes a few ms instead of 40 ms of CPU (250 ms on a seventh of a
        # core), during which every response waits.
        gc.freeze()
        try:
            by_name, connectivity_lost = await _phases(run, work)
        finally:
            gc.unfreeze()
            ticker.cancel()
    return RunResult(
        results=[by_name[p.check.name] for p in plans],
        started_at=started_at,
        finished_at=datetime.now(UTC),
        connectivity_lost=connectivity_lost,
        timing=run.timing(budgets),
    )


async def _phases(run: _Run, work: list[_Work]) -> tuple[dict[str, CheckResult], bool]:
    """Control checks, then the others; their results by name, and whether
    connectivity was lost."""
    controls = [w for w in work if w.plan.check.is_control]
    services = [w for w in work if not w.plan.check.is_control]
    by_name: dict[str, CheckResult] = {}
    unknown_reason = None
    connectivity_lost = False
    if controls:
        run.phase = _Phase(len(controls))
        control_results = await asyncio.gather(*(run.check(w) for w in controls))
        by_name.update((r.name, r) for r in control_results)
        connectivity_lost = all(r.outcome is Outcome.FAILED for r in control_results)
        if connectivity_lost:
            names = ", ".join(r.name for r in control_results)
            unknown_reason = (
                f"unknown: every control check failed ({names}), "
                "so the checker itself seems cut off from the network"
            )
    if services:
        run.phase = _Phase(len(services))
        service_results = await asyncio.gather(*(run.check(w, unknown_reason) for w in services))
        by_name.update((r.name, r) for r in service_results)
    return by_name, connectivity_lost
