"""Retries of a whole check: exponential backoff with jitter, starting at retry_delay."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from e2echeck.kinds.base import Attempt

MAX_DELAY = 60.0  # seconds: no single wait between attempts is longer


def backoff_delay(
    retry_delay: float, retry: int, rand: Callable[[], float] = random.random
) -> float:
    """The wait before retry number `retry` (1, 2, ...): retry_delay doubled each
    time, capped at a minute, plus up to half of it again as jitter, so checks
    that failed together do not all retry at the same instant."""
    base: float = min(retry_delay * 2.0 ** (retry - 1), MAX_DELAY)
    return base * (1.0 + 0.5 * rand())


@dataclass
class AttemptLog:
    """What has happened so far, readable even when the run's deadline cuts it."""

    attempts: int = 0
    started: bool = False
    last: Attempt | None = None
    earlier_reasons: list[str] = field(default_factory=list)


async def with_retries(
    attempt: Callable[[], Awaitable[Attempt]],
    retries: int,
    retry_delay: float,
    log: AttemptLog,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Attempt:
    """Run `attempt` until it passes or `retries` extra attempts failed too."""
    while True:
        result = await attempt()
        log.attempts += 1
        log.last = result
        if result.ok or log.attempts > retries:
            return result
        log.earlier_reasons.append(result.failures[0] if result.failures else "failed")
        await sleep(backoff_delay(retry_delay, log.attempts))
