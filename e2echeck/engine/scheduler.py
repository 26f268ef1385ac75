"""A run: control checks first, then the others, concurrently, within a deadline."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from time import perf_counter

from e2echeck.config.models import Check, Config
from e2echeck.config.types import format_duration
from e2echeck.defaults import DEFAULT_CONCURRENCY
from e2echeck.engine.exchange import BODY_LIMIT
from e2echeck.engine.http import HttpPool
from e2echeck.engine.pacing import (
    DISTORTING_SHARE,
    AdaptiveLimiter,
    LagMonitor,
    target_lag_for,
)
from e2echeck.engine.results import CheckResult, Outcome, RunResult, RunTiming
from e2echeck.engine.retries import AttemptLog, with_retries
from e2echeck.engine.scenarios import Attempt, CheckPlan, plan_check, run_attempt

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


class _Run:
    def __init__(
        self,
        http: HttpPool,
        concurrency: int,
        deadline: float | None,
        on_result: OnResult | None,
        target_lag: float,
    ) -> None:
        self.http = http
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

    async def check(self, plan: CheckPlan, unknown_reason: str | None = None) -> CheckResult:
        phase = self.phase
        try:
            result, final = await self._check(plan, self.slots)
        finally:
            phase.done()
        if final is not None and final.attempt.latency_budget is not None:
            # the sample that saw the queue this response waited in comes next
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(10 * self.monitor.interval):
                    await self.monitor.next_sample()
        if final is not None and self._distorted(final):
            await phase.drained.wait()
            result = await self._recheck(plan, result, final)
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

    async def _recheck(self, plan: CheckPlan, earlier: CheckResult, final: _Timed) -> CheckResult:
        """One more attempt at low concurrency; its result is the one that counts."""
        if self.deadline_at is not None and self.loop.time() >= self.deadline_at:
            return earlier
        self.rechecked += 1
        again, _ = await self._check(plan, self.quiet_slots, retries=0)
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
        self, plan: CheckPlan, slots: AdaptiveLimiter, retries: int | None = None
    ) -> tuple[CheckResult, _Timed | None]:
        log = AttemptLog()
        http = self.http
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
                done = await run_attempt(plan, http)
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
                method=plan.steps[0].method,
                url=plan.steps[0].url,
                started_at=started_at[0] if started_at else None,
            )
        return CheckResult(
            check=plan.check,
            outcome=Outcome.OK if final.ok else Outcome.FAILED,
            status_code=final.status_code,
            duration_ms=final.elapsed * 1000,
            attempts=log.attempts,
            failures=final.failures,
            failed_step=final.failed_step,
            method=final.method,
            url=final.url,
            body_excerpt=final.body_excerpt,
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
            method=plan.steps[0].method,
            url=plan.steps[0].url,
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
            status_code=last.status_code if last else None,
            duration_ms=elapsed * 1000,
            attempts=attempts,
            failures=reasons,
            failed_step=last.failed_step if last else None,
            method=last.method if last else plan.steps[0].method,
            url=last.url if last else plan.steps[0].url,
            body_excerpt=last.body_excerpt if last else "",
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
    """Every latency budget of the run: each max_response_time, and each timeout."""
    found = {plan.settings.timeout for plan in plans}
    for plan in plans:
        found.update(
            step.expect.max_response_time
            for step in plan.steps
            if step.expect.max_response_time is not None
        )
    return sorted(found)


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
    rule = config.name_rule
    plans = [plan_check(check, config.settings_for(check), rule) for check in selected]
    started_at = datetime.now(UTC)
    budgets = _budgets(plans)
    async with HttpPool(concurrency, ssl_context=ssl_context, body_limit=body_limit) as http:
        run = _Run(http, concurrency, deadline, on_result, target_lag_for(budgets))
        ticker = asyncio.create_task(run.monitor.run())
        # The objects alive now (config, modules, clients) live until the run
        # ends: left out of the cyclic GC's scans, a full collection during the
        # run takes a few ms instead of 40 ms of CPU (250 ms on a seventh of a
        # core), during which every response waits.
        gc.freeze()
        try:
            by_name, connectivity_lost = await _phases(run, plans)
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


async def _phases(run: _Run, plans: list[CheckPlan]) -> tuple[dict[str, CheckResult], bool]:
    """Control checks, then the others; their results by name, and whether
    connectivity was lost."""
    controls = [p for p in plans if p.check.is_control]
    services = [p for p in plans if not p.check.is_control]
    by_name: dict[str, CheckResult] = {}
    unknown_reason = None
    connectivity_lost = False
    if controls:
        run.phase = _Phase(len(controls))
        control_results = await asyncio.gather(*(run.check(p) for p in controls))
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
        service_results = await asyncio.gather(*(run.check(p, unknown_reason) for p in services))
        by_name.update((r.name, r) for r in service_results)
    return by_name, connectivity_lost
