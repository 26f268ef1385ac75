"""How many requests a run keeps in flight: as many as the CPU serves without queueing.

On a small CPU (a 256 MB Lambda gets about a seventh of a core) every request
in flight adds work to one event loop; once the loop is the bottleneck, a
response that has arrived waits its turn before its timestamp is taken, and
latencies measure the checker instead of the endpoint. So a ticker task
measures the loop's scheduling lag (how late a timer fires) all through the
run, and an AIMD limiter admits fewer requests when the lag grows and more
when it falls, never more than `--concurrency`. On an idle machine the lag
stays low and the limit climbs to the ceiling within a few ticks.

The clock, the sleep and the lag samples are injectable, so the limiter's
behaviour is tested without a loaded machine.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Awaitable, Callable
from time import perf_counter

Clock = Callable[[], float]

TICK = 0.01  # seconds between two lag samples
DISTORTING_SHARE = 0.1  # lag above this share of a latency budget distorts it
MAX_TARGET_LAG = 0.05  # seconds


def percentile(ordered: list[float], share: float) -> float:
    """Nearest-rank percentile of an ordered list (0.0 when empty)."""
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


class AdaptiveLimiter:
    """An AIMD limit on requests in flight, fed with lag samples by `observe`.

    - slow start: while the lag stays under half the target and the limit is
      in use, it doubles at each sample, up to `ceiling`;
    - additive increase: afterwards, +1 per low-lag sample while in use;
    - multiplicative decrease: a sample above the target cuts the limit by a
      quarter, at most once per `cooldown` (requests already admitted keep
      the loop busy for a while; one cut must have time to show).
    """

    def __init__(
        self,
        ceiling: int,
        *,
        target_lag: float = MAX_TARGET_LAG,
        initial: int = 2,
        cooldown: float = 0.1,
        clock: Clock = perf_counter,
    ) -> None:
        if ceiling < 1:
            raise ValueError("ceiling must be at least 1")
        self.ceiling = ceiling
        self.target_lag = target_lag
        self.limit = min(ceiling, max(1, initial))
        self.cooldown = cooldown
        self.clock = clock
        self.in_flight = 0
        self.peak = 0
        self.slow_start = True
        self._last_cut = -math.inf
        self._used = False  # the limit was reached since the last sample
        self._waiters: deque[asyncio.Future[None]] = deque()

    def observe(self, lag: float) -> None:
        """Adjust the limit to one lag sample (seconds)."""
        used, self._used = self._used or self.in_flight >= self.limit, False
        if lag > self.target_lag:
            self.slow_start = False
            now = self.clock()
            if now - self._last_cut >= self.cooldown and self.limit > 1:
                self.limit = max(1, (self.limit * 3) // 4)
                self._last_cut = now
        elif lag <= self.target_lag / 2 and used and self.limit < self.ceiling:
            grown = self.limit * 2 if self.slow_start else self.limit + 1
            self.limit = min(self.ceiling, grown)
            self._wake()

    async def acquire(self) -> None:
        if self.in_flight < self.limit and not self._waiters:
            self._admit()
            return
        self._used = True
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # admitted, then cancelled before it could run
            else:
                self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        self.in_flight -= 1
        self._wake()

    def _admit(self) -> None:
        self.in_flight += 1
        if self.in_flight >= self.limit:
            self._used = True
        if self.in_flight > self.peak:
            self.peak = self.in_flight

    def _wake(self) -> None:
        while self._waiters and self.in_flight < self.limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._admit()
                waiter.set_result(None)

    async def __aenter__(self) -> AdaptiveLimiter:
        await self.acquire()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.release()


class LagMonitor:
    """A ticker: sleeps `interval`, records how late it woke, feeds `on_lag`."""

    def __init__(
        self,
        on_lag: Callable[[float], None] | None = None,
        *,
        interval: float = TICK,
        clock: Clock = perf_counter,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.on_lag = on_lag
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self.times: list[float] = []  # when each sample was taken
        self.lags: list[float] = []
        self._next: list[asyncio.Future[None]] = []

    async def run(self) -> None:
        """Sample until cancelled."""
        clock, sleep, interval = self.clock, self.sleep, self.interval
        while True:
            before = clock()
            await sleep(interval)
            now = clock()
            self.record(now, max(0.0, now - before - interval))

    def record(self, at: float, lag: float) -> None:
        self.times.append(at)
        self.lags.append(lag)
        if self.on_lag is not None:
            self.on_lag(lag)
        waiting, self._next = self._next, []
        for future in waiting:
            if not future.done():
                future.set_result(None)

    async def next_sample(self) -> None:
        """Wait for the ticker's next sample: the one that saw the loop's queue
        as it was when a response was just timed."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._next.append(future)
        await future

    def max_between(self, start: float, end: float) -> float:
        """The worst lag of the samples taken from `start` to one tick after `end`
        (a tick that ends just after a response was read saw the same queue)."""
        from bisect import bisect_left, bisect_right

        first = bisect_left(self.times, start)
        last = bisect_right(self.times, end + self.interval)
        return max(self.lags[first:last], default=0.0)

    def stats(self) -> tuple[float, float, float]:
        """p50, p99 and max of the lag so far, in seconds."""
        ordered = sorted(self.lags)
        return percentile(ordered, 0.5), percentile(ordered, 0.99), max(ordered, default=0.0)


def target_lag_for(budgets: list[float]) -> float:
    """The lag a run tolerates: 5% of its tightest latency budget
    (`max_response_time`, else `timeout`), between 5 ms and 50 ms. Half of the
    share at which a latency assertion counts as distorted; the 50 ms cap keeps
    an idle machine's throughput (100 in flight lag 20-45 ms on 2 cores)."""
    if not budgets:
        return MAX_TARGET_LAG
    return min(MAX_TARGET_LAG, max(0.005, DISTORTING_SHARE / 2 * min(budgets)))


__all__ = [
    "DISTORTING_SHARE",
    "TICK",
    "AdaptiveLimiter",
    "LagMonitor",
    "percentile",
    "target_lag_for",
]
