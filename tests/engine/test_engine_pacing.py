"""The lag-aware limiter and the lag ticker, under an injected clock and injected lag."""

from __future__ import annotations

import asyncio

import pytest

from e2echeck.engine.pacing import (
    AdaptiveLimiter,
    LagMonitor,
    percentile,
    target_lag_for,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def saturate(limiter: AdaptiveLimiter) -> None:
    """Pretend the run keeps the limit in use (more checks waiting than admitted)."""
    limiter.in_flight = limiter.limit


def feed(limiter: AdaptiveLimiter, clock: FakeClock, lags: list[float], step: float = 0.01) -> None:
    for lag in lags:
        clock.now += step
        saturate(limiter)
        limiter.observe(lag)


def test_slow_start_doubles_to_the_ceiling_while_the_loop_keeps_up() -> None:
    clock = FakeClock()
    limiter = AdaptiveLimiter(100, target_lag=0.02, initial=2, clock=clock)
    seen = []
    for _ in range(8):
        feed(limiter, clock, [0.001])
        seen.append(limiter.limit)
    assert seen == [4, 8, 16, 32, 64, 100, 100, 100]


def test_high_lag_cuts_multiplicatively_at_most_once_per_cooldown() -> None:
    clock = FakeClock()
    limiter = AdaptiveLimiter(100, target_lag=0.02, initial=64, cooldown=0.1, clock=clock)
    feed(limiter, clock, [0.05])
    assert limiter.limit == 48
    feed(limiter, clock, [0.05] * 5)  # 50 ms later: still in the cooldown
    assert limiter.limit == 48
    feed(limiter, clock, [0.05] * 5)  # 100 ms after the cut
    assert limiter.limit == 36
    assert not limiter.slow_start


def test_after_a_cut_it_grows_back_one_by_one() -> None:
    clock = FakeClock()
    limiter = AdaptiveLimiter(50, target_lag=0.02, initial=40, clock=clock)
    feed(limiter, clock, [0.03])
    assert limiter.limit == 30
    feed(limiter, clock, [0.001] * 5)
    assert limiter.limit == 35
    feed(limiter, clock, [0.015] * 5)  # between half the target and the target: hold
    assert limiter.limit == 35
    feed(limiter, clock, [0.001] * 100)
    assert limiter.limit == 50  # never above the ceiling


def test_it_does_not_grow_when_the_limit_is_not_in_use() -> None:
    clock = FakeClock()
    limiter = AdaptiveLimiter(100, target_lag=0.02, initial=4, clock=clock)
    for _ in range(10):
        clock.now += 0.01
        limiter.observe(0.0)  # nothing in flight
    assert limiter.limit == 4


def test_sustained_lag_shrinks_it_to_one_and_never_below() -> None:
    clock = FakeClock()
    limiter = AdaptiveLimiter(100, target_lag=0.02, initial=100, cooldown=0.1, clock=clock)
    feed(limiter, clock, [0.2] * 500)
    assert limiter.limit == 1


def test_admission_follows_the_limit() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        limiter = AdaptiveLimiter(10, target_lag=0.02, initial=2, clock=clock)
        admitted: list[int] = []
        release = asyncio.Event()

        async def request(n: int) -> None:
            async with limiter:
                admitted.append(n)
                await release.wait()

        tasks = [asyncio.create_task(request(n)) for n in range(6)]
        await asyncio.sleep(0)
        assert admitted == [0, 1] and limiter.in_flight == 2
        clock.now += 0.01
        limiter.observe(0.001)  # the limit doubles: two more are let in, in order
        await asyncio.sleep(0)
        assert admitted == [0, 1, 2, 3]
        clock.now += 0.01
        limiter.observe(0.5)  # a cut: nobody new until enough have left
        assert limiter.limit == 3
        release.set()
        await asyncio.gather(*tasks)
        assert sorted(admitted) == list(range(6))
        assert limiter.in_flight == 0
        assert limiter.peak == 4

    asyncio.run(scenario())


def test_a_cancelled_waiter_gives_its_place_back() -> None:
    async def scenario() -> None:
        limiter = AdaptiveLimiter(1, initial=1)
        await limiter.acquire()
        waiter = asyncio.create_task(limiter.acquire())
        await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        limiter.release()
        assert limiter.in_flight == 0
        await asyncio.wait_for(limiter.acquire(), 1)
        assert limiter.in_flight == 1

    asyncio.run(scenario())


def test_the_ticker_measures_how_late_it_woke_and_feeds_the_limiter() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        lags = iter([0.0, 0.002, 0.3, 0.001])

        class Done(Exception):
            pass

        async def sleep(seconds: float) -> None:
            lag = next(lags, None)
            if lag is None:
                raise Done
            clock.now += seconds + lag

        seen: list[float] = []
        monitor = LagMonitor(seen.append, interval=0.01, clock=clock, sleep=sleep)
        with pytest.raises(Done):
            await monitor.run()
        assert seen == pytest.approx([0.0, 0.002, 0.3, 0.001])
        p50, p99, worst = monitor.stats()
        assert (
            p50 == pytest.approx(0.001)
            and p99 == pytest.approx(0.3)
            and worst == pytest.approx(0.3)
        )
        # The worst lag while one request ran: the samples from its start to a tick after its end.
        third = monitor.times[2]
        assert monitor.max_between(third - 0.001, third) == pytest.approx(0.3)
        assert monitor.max_between(monitor.times[3], monitor.times[3]) == pytest.approx(0.001)
        assert monitor.max_between(0.0, monitor.times[0] - 0.02) == 0.0

    asyncio.run(scenario())


def test_the_target_lag_follows_the_tightest_budget() -> None:
    assert target_lag_for([0.4, 10.0]) == pytest.approx(0.02)
    assert target_lag_for([10.0]) == pytest.approx(0.05)
    assert target_lag_for([0.05]) == pytest.approx(0.005)
    assert target_lag_for([]) == pytest.approx(0.05)


def test_percentile_is_nearest_rank() -> None:
    values = sorted(float(n) for n in range(1, 101))
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([], 0.5) == 0.0
    assert percentile([7.0], 0.99) == 7.0
