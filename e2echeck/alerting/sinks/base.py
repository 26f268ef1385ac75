"""What a sink is: a destination of transitions, behind one small Protocol.

A sink turns a neutral `Transition` into its wire format and makes one attempt
at a time to deliver it; `e2echeck.alerting.delivery` owns everything around an
attempt (retries, backoff, the run's deadline, threads) for every sink alike, and
the state keeps what a sink still owes (`Pending`) whatever the sink.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from e2echeck.alerting.transitions import Transition


@dataclass(frozen=True, eq=False)
class Pending:
    """A transition a sink owes: sent this run, or kept for the next one."""

    sink: str  # a name from `notify`: "pagerduty" or a webhook's name
    transition: Transition

    def to_json(self) -> dict[str, Any]:
        return {"sink": self.sink, "transition": self.transition.to_json()}

    @classmethod
    def from_json(cls, data: Any) -> Pending:
        """The inverse of `to_json`; ValueError when `data` is not one."""
        if not isinstance(data, dict) or not isinstance(data.get("sink"), str):
            raise ValueError("a pending transition needs its sink")
        return cls(data["sink"], Transition.from_json(data.get("transition")))


class Retryable(Exception):
    """This attempt failed, another may work (a timeout, 429, 5xx); the message is
    shown to the user (redacted), `retry_after` is the server's wish in seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Rejected(Exception):
    """The destination refused the transition for good (400 and the like)."""


class Connection(Protocol):
    """A sink's open connections for one run's delivery, shared by its threads."""

    def send(self, transition: Transition, timeout: float) -> None:
        """One attempt; returns when delivered, raises Retryable or Rejected."""

    def close(self) -> None: ...


class Sink(Protocol):
    """One destination of transitions (the PagerDuty Events API, a webhook)."""

    name: str

    def refusal(self, transition: Transition) -> str | None:
        """Why this transition cannot be sent at all (a missing routing key), or None."""

    def shown(self, transition: Transition) -> dict[str, Any]:
        """What the reports show as sent: the wire body with its secrets masked."""

    def warnings(self) -> list[str]:
        """Said once per run that sends to this sink (plain http, ...)."""

    def connect(self, workers: int) -> Connection:
        """Open what `workers` threads share (imports the sink's HTTP library)."""
