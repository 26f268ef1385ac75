"""The check engine: takes a validated config, returns one result per check.

Independent of the command line (the Lambda handler calls it too) and of
alerting, which reads the results afterwards. Each check's kind (see
e2echeck.kinds) is imported only when checks of that kind run, and with it its
libraries (httpx2, python-jsonpath).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from e2echeck.defaults import DEFAULT_CONCURRENCY
from e2echeck.engine.results import CheckResult, Outcome, RunResult, RunTiming
from e2echeck.kinds.base import BODY_LIMIT

if TYPE_CHECKING:
    from e2echeck.config.models import Check, Config


async def arun_checks(
    config: Config,
    *,
    checks: Sequence[Check] | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    deadline: float | None = None,
    on_result: Callable[[CheckResult], None] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    body_limit: int = BODY_LIMIT,
) -> RunResult:
    """Run `checks` (default: every enabled check of `config`) once each, concurrently.

    - `concurrency`: requests in flight at most; connections shared by the whole
      run. Fewer are kept in flight while the event loop lags (a small CPU):
      see `engine.pacing`. `RunResult.timing` reports the lag and the peak.
    - `deadline`: seconds from now. Checks not started by then are `skipped`;
      checks still running are cut and fail with a deadline reason.
    - `on_result`: called with each CheckResult as soon as that check ends.
    - `ssl_context`: trust these CAs instead of the system's (private CAs, tests).
    - `body_limit`: bytes of a response body read at most.

    Control checks run first; when every one fails, the others still run but
    are `unknown` and `RunResult.connectivity_lost` is True. Disabled checks
    are neither run nor reported. Results come in the order of `checks`.
    """
    from e2echeck.engine.scheduler import arun_checks as run

    return await run(
        config,
        checks=checks,
        concurrency=concurrency,
        deadline=deadline,
        on_result=on_result,
        ssl_context=ssl_context,
        body_limit=body_limit,
    )


def run_checks(
    config: Config,
    *,
    checks: Sequence[Check] | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    deadline: float | None = None,
    on_result: Callable[[CheckResult], None] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    body_limit: int = BODY_LIMIT,
) -> RunResult:
    """`arun_checks` in a new event loop, for callers without one (CLI, Lambda)."""
    done: list[RunResult] = []

    async def main() -> None:
        # The result is handed over here, not returned from the main task: on
        # its way out, asyncio.run (3.11) formats the repr of that task, result
        # included: a full repr of every check, twice (50 ms per 1,000 checks).
        done.append(
            await arun_checks(
                config,
                checks=checks,
                concurrency=concurrency,
                deadline=deadline,
                on_result=on_result,
                ssl_context=ssl_context,
                body_limit=body_limit,
            )
        )

    asyncio.run(main())
    return done[0]


__all__ = [
    "BODY_LIMIT",
    "CheckResult",
    "Outcome",
    "RunResult",
    "RunTiming",
    "arun_checks",
    "run_checks",
]
