"""Delivering transitions to their sinks: concurrent, retried, bounded; the same
for every sink.

Sinks' clients are synchronous, so transitions go out from a bounded thread
pool, one per task, each sink's connections shared by the threads. Each gets at
most `policy.max_attempts` attempts; what a sink calls `Retryable` (429, 5xx,
connection errors, timeouts) is retried with exponential backoff (plus jitter,
and at least the server's Retry-After when it sends one); `Rejected` is final.
No attempt starts, and no backoff sleeps, past the run's deadline: a 429 that
never ends costs at most `max_attempts` requests or the time left, whichever
comes first.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace

from e2echeck.alerting.sinks.base import Connection, Pending, Rejected, Retryable, Sink
from e2echeck.alerting.transitions import Transition
from e2echeck.redaction import Redactor

# Below this, an attempt cannot finish anyway: don't start one.
MIN_ATTEMPT_SECONDS = 0.05

# Overrides of the default policy, as `field=value` pairs separated by commas.
POLICY_ENV = "E2ECHECK_DELIVERY_POLICY"


@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard to try. The defaults suit a run every few minutes."""

    max_attempts: int = 5  # per event, the first one included
    base_delay: float = 1.0  # before the 2nd attempt; doubles each time
    max_delay: float = 20.0  # cap of one backoff sleep (a Retry-After may be longer)
    # The longest Retry-After waited for in a run without a deadline; a longer one
    # (and, with a deadline, one past it) keeps the event for the next run.
    max_retry_after: float = 300.0
    jitter: float = 0.5  # a sleep is delay * (1 + jitter * random())
    timeout: float = 10.0  # per HTTP attempt (less when the deadline is nearer)
    # Events in flight at once. 200 events at PagerDuty's ~50 ms took 1.0 s with 16
    # (13 rounds of 50 ms plus the threads' own overhead); 32 halves the rounds.
    max_workers: int = 32


def default_policy(environ: Mapping[str, str] | None = None) -> DeliveryPolicy:
    """The policy a run uses when none is passed: the defaults above, with any
    fields overridden by `E2ECHECK_DELIVERY_POLICY` (e.g. `base_delay=0.01,max_delay=0.05`).

    Why: the CLI and the Lambda handler take no policy argument, so this is the one
    way to change it from outside the process; the test suite uses it so that no
    test sleeps through the production backoff. Raises ValueError naming the
    variable, the field and the value when the text is malformed.
    """
    text = (os.environ if environ is None else environ).get(POLICY_ENV, "").strip()
    if not text:
        return DeliveryPolicy()
    types = {f.name: f.type for f in fields(DeliveryPolicy)}
    changes: dict[str, int | float] = {}
    for pair in text.split(","):
        name, sep, raw = (part.strip() for part in pair.partition("="))
        if not sep or name not in types:
            known = ", ".join(types)
            raise ValueError(
                f"{POLICY_ENV}: expected field=value, the field one of {known}; "
                f"got {pair.strip()!r}"
            )
        whole = types[name] in (int, "int")
        try:
            value: int | float = int(raw) if whole else float(raw)
        except ValueError:
            kind = "a whole number" if whole else "a number"
            raise ValueError(f"{POLICY_ENV}: {name} must be {kind}, got {raw!r}") from None
        if value < 0 or (name in ("max_attempts", "max_workers") and value < 1):
            raise ValueError(f"{POLICY_ENV}: {name} is out of range: {raw!r}")
        changes[name] = value
    return replace(DeliveryPolicy(), **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class DeliveryResult:
    item: Pending
    delivered: bool
    attempts: int
    error: str | None = None  # why it was not delivered, redacted

    @property
    def transition(self) -> Transition:
        return self.item.transition


def deliver(
    items: Sequence[Pending],
    sinks: Mapping[str, Sink],
    *,
    redactor: Redactor,
    deadline: float | None = None,
    policy: DeliveryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[DeliveryResult]:
    """Send every item to its sink; one result per item, in the same order. Never raises.

    `deadline` is an absolute `time.monotonic()` value, or None for no deadline.
    Without a `policy`, `default_policy()` applies.
    """
    if not items:
        return []
    if policy is None:
        try:
            policy = default_policy()
        except ValueError as exc:
            return [DeliveryResult(item, False, 0, str(exc)) for item in items]
    workers = max(1, min(policy.max_workers, len(items)))
    connections: dict[str, Connection] = {}
    try:
        for item in items:
            sink = sinks.get(item.sink)
            if sink is not None and item.sink not in connections:
                connections[item.sink] = sink.connect(workers)
        attempt = _Sender(sinks, connections, redactor, deadline, policy, sleep)
        if workers == 1:
            return [attempt(item) for item in items]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="e2echeck-send") as pool:
            return list(pool.map(attempt, items))
    finally:
        for connection in connections.values():
            connection.close()


class _Sender:
    def __init__(
        self,
        sinks: Mapping[str, Sink],
        connections: Mapping[str, Connection],
        redactor: Redactor,
        deadline: float | None,
        policy: DeliveryPolicy,
        sleep: Callable[[float], None],
    ) -> None:
        self.sinks = sinks
        self.connections = connections
        self.redactor = redactor
        self.deadline = deadline
        self.policy = policy
        self.sleep = sleep

    def __call__(self, item: Pending) -> DeliveryResult:
        try:
            return self._deliver(item)
        except Exception as exc:  # a bug must cost one event, not the run's report
            why = f"unexpected error: {type(exc).__name__}: {exc}"
            return DeliveryResult(item, False, 0, self.redactor.text(why))

    def _deliver(self, item: Pending) -> DeliveryResult:
        sink = self.sinks.get(item.sink)
        if sink is None:
            return self._failed(item, 0, f"no sink named {item.sink!r} in the config")
        refusal = sink.refusal(item.transition)
        if refusal:
            return DeliveryResult(item, False, 0, refusal)
        connection = self.connections[item.sink]
        policy, attempts, last = self.policy, 0, ""
        while True:
            remaining = None if self.deadline is None else self.deadline - time.monotonic()
            if remaining is not None and remaining < MIN_ATTEMPT_SECONDS:
                why = (
                    f"{last}; gave up at the run's deadline after {attempts} attempts"
                    if attempts
                    else "not sent: the run's deadline had passed"
                )
                return self._failed(item, attempts, why)
            timeout = policy.timeout if remaining is None else min(policy.timeout, remaining)
            attempts += 1
            try:
                connection.send(item.transition, timeout)
                return DeliveryResult(item, True, attempts)
            except Rejected as exc:
                return self._failed(item, attempts, str(exc))
            except Retryable as exc:
                last, retry_after = str(exc), exc.retry_after
            if attempts >= policy.max_attempts:
                return self._failed(item, attempts, f"{last} (after {attempts} attempts)")
            delay = backoff(attempts, policy, retry_after)
            if self.deadline is None and retry_after is not None and delay > policy.max_retry_after:
                return self._failed(
                    item,
                    attempts,
                    f"{last} (after {attempts} attempts; the server asked to retry in "
                    f"{retry_after:g}s: kept for the next run)",
                )
            if self.deadline is not None and time.monotonic() + delay >= self.deadline:
                return self._failed(
                    item,
                    attempts,
                    f"{last} (after {attempts} attempts; the run's deadline leaves no time "
                    "to retry)",
                )
            self.sleep(delay)

    def _failed(self, item: Pending, attempts: int, why: str) -> DeliveryResult:
        return DeliveryResult(item, False, attempts, self.redactor.text(why))


def backoff(attempts: int, policy: DeliveryPolicy, retry_after: float | None = None) -> float:
    """The sleep after `attempts` failed attempts: exponential, jittered, capped at
    `max_delay`, and never shorter than the server's Retry-After (which the cap
    does not cut: the caller keeps the event for the next run when it is too long)."""
    delay = policy.base_delay * 2.0 ** (attempts - 1) * (1 + policy.jitter * random.random())
    delay = min(delay, policy.max_delay)
    return delay if retry_after is None else max(delay, retry_after)
