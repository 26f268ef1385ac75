"""A run: control checks first, then the others, concurrently, within a deadline."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from time import perf_counter

from e2echeck.config.models import Check, Config
from e2echeck.config.types import format_duration
from e2echeck.engine.exchange import BODY_LIMIT
from e2echeck.engine.http import HttpPool
from e2echeck.engine.results import CheckResult, Outcome, RunResult
from e2echeck.engine.retries import AttemptLog, with_retries
from e2echeck.engine.scenarios import Attempt, CheckPlan, plan_check, run_attempt

OnResult = Callable[[CheckResult], None]


class _Run:
    def __init__(
        self,
        http: HttpPool,
        concurrency: int,
        deadline: float | None,
        on_result: OnResult | None,
    ) -> None:
        self.http = http
        self.slots = asyncio.Semaphore(concurrency)
        self.loop = asyncio.get_running_loop()
        self.deadline = deadline
        self.deadline_at = None if deadline is None else self.loop.time() + deadline
        self.on_result = on_result

    async def check(self, plan: CheckPlan, unknown_reason: str | None = None) -> CheckResult:
        secrets: set[str] = set()  # found at run time, over every attempt
        result = await self._check(plan, secrets)
        if secrets:
            result.secrets = frozenset(secrets)
        if unknown_reason is not None and result.outcome is not Outcome.SKIPPED:
            result.outcome = Outcome.UNKNOWN
            result.failures.insert(0, unknown_reason)
        if self.on_result is not None:
            self.on_result(result)
        return result

    async def _check(self, plan: CheckPlan, secrets: set[str]) -> CheckResult:
        log = AttemptLog()
        slots, http = self.slots, self.http
        began: list[float] = []
        started_at: list[datetime] = []

        async def attempt() -> Attempt:
            async with slots:
                if not log.started:
                    log.started = True
                    began.append(perf_counter())
                    started_at.append(datetime.now(UTC))
                return await run_attempt(plan, http, secrets)

        settings = plan.settings
        try:
            if self.deadline_at is None:
                final = await with_retries(attempt, settings.retries, settings.retry_delay, log)
            else:
                if self.loop.time() >= self.deadline_at:
                    return self._skipped(plan)
                async with asyncio.timeout_at(self.deadline_at):
                    final = await with_retries(attempt, settings.retries, settings.retry_delay, log)
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


async def arun_checks(
    config: Config,
    *,
    checks: Sequence[Check] | None = None,
    concurrency: int = 50,
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
    async with HttpPool(concurrency, ssl_context=ssl_context, body_limit=body_limit) as http:
        run = _Run(http, concurrency, deadline, on_result)
        controls = [p for p in plans if p.check.is_control]
        services = [p for p in plans if not p.check.is_control]
        by_name: dict[str, CheckResult] = {}
        unknown_reason = None
        connectivity_lost = False
        if controls:
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
            service_results = await asyncio.gather(
                *(run.check(p, unknown_reason) for p in services)
            )
            by_name.update((r.name, r) for r in service_results)
    return RunResult(
        results=[by_name[p.check.name] for p in plans],
        started_at=started_at,
        finished_at=datetime.now(UTC),
        connectivity_lost=connectivity_lost,
    )
