"""What alerting did in a run: per-check alerts, the events sent, and the report.

Pure data plus `build_report`, which turns the run's decisions and delivery
results into the `AlertReport` the CLI, the reports and the Lambda handler show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from e2echeck.redaction import MASK

if TYPE_CHECKING:
    from e2echeck.alerting.decisions import Decision
    from e2echeck.alerting.delivery import DeliveryResult

ActionName = Literal["trigger", "resolve", "none"]
NOT_SENT_DRY_RUN = "not sent (--no-alert)"
NOT_SENT_NO_RESOLVE = "not sent (send_resolve: false)"
REDELIVERY = "kept from an earlier run"


@dataclass(frozen=True)
class CheckAlert:
    """What alerting did for one check (or for the control alert) in this run.

    `delivery` is one of: "delivered", "failed: <why>", "not sent (--no-alert)",
    "held (threshold 1/2)", "no change (alert open)", "no change (alert resolved)",
    "not sent (send_resolve: false)", "not sent (skipped)",
    "not sent (unknown: the checker lost connectivity)",
    "not sent (control check; see e2echeck-control)"; a redelivered event adds
    " (kept from an earlier run)".
    """

    name: str
    dedup_key: str
    action: ActionName
    delivery: str
    delivered: bool | None = None  # None: nothing was sent for it this run
    attempts: int = 0
    # With `locations`: the quorum's view of the check (alerting.locations.QuorumView).
    locations: dict[str, Any] | None = None


@dataclass(frozen=True)
class EventDelivery:
    """One event this run sent (or, with --no-alert, would have sent)."""

    name: str  # the check's name, or e2echeck-control
    dedup_key: str
    action: Literal["trigger", "resolve"]
    delivered: bool | None  # None: not sent (--no-alert)
    attempts: int = 0
    error: str | None = None
    redelivery: bool = False  # kept from an earlier run


@dataclass
class AlertReport:
    """Everything alerting did in one run, for the reports and the exit code."""

    checks: dict[str, CheckAlert]  # by check name, in the run's order
    control: CheckAlert | None  # the e2echeck-control alert, when the run said something
    events: list[dict[str, Any]]  # the events as sent, redacted (routing_key "***")
    deliveries: list[EventDelivery]  # parallel to `events`
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    stateful: bool = False  # False: no state configured, or it could not be read
    location: str | None = None  # with `locations`: where this run ran
    silent: dict[str, str] = field(default_factory=dict)  # watch alert -> "action, delivery"

    @property
    def sent(self) -> int:
        return sum(1 for d in self.deliveries if d.delivered is not None)

    @property
    def delivered(self) -> int:
        return sum(1 for d in self.deliveries if d.delivered)

    @property
    def undelivered(self) -> int:
        """Events that could not be delivered: any makes the exit code 3."""
        return sum(1 for d in self.deliveries if d.delivered is False)

    @property
    def triggers(self) -> int:
        return sum(1 for d in self.deliveries if d.action == "trigger")

    @property
    def resolves(self) -> int:
        return sum(1 for d in self.deliveries if d.action == "resolve")

    def to_json(self) -> dict[str, Any]:
        document = self._to_json()
        if self.location is not None:
            document["location"] = self.location
            document["silent_locations"] = dict(self.silent)
        return document

    def _to_json(self) -> dict[str, Any]:
        return {
            "checks": {
                name: {
                    "dedup_key": a.dedup_key,
                    "action": a.action,
                    "delivery": a.delivery,
                    "attempts": a.attempts,
                }
                for name, a in self.checks.items()
            },
            "control": None
            if self.control is None
            else {"action": self.control.action, "delivery": self.control.delivery},
            "events": self.events,
            "sent": self.sent,
            "delivered": self.delivered,
            "undelivered": self.undelivered,
            "warnings": self.warnings,
        }


def build_report(
    decisions: list[Decision],
    results: list[DeliveryResult],
    old_ids: set[int],
    dry_run: bool,
    stateful: bool,
    warnings: list[str],
) -> AlertReport:
    """Pair each decision with what happened to its event.

    `old_ids`: ids of the events kept from earlier runs; a check whose only
    event this run is such a redelivery reports that event's outcome."""
    by_event = {id(r.event): r for r in results}
    redelivered = {r.event.dedup_key: r for r in results if id(r.event) in old_ids}
    deliveries = [
        EventDelivery(
            name=r.event.check or r.event.dedup_key,
            dedup_key=r.event.dedup_key,
            action=r.event.action,
            delivered=None if dry_run else r.delivered,
            attempts=r.attempts,
            error=r.error,
            redelivery=id(r.event) in old_ids,
        )
        for r in results
    ]
    events = [{"routing_key": MASK, **r.event.body} for r in results]
    checks: dict[str, CheckAlert] = {}
    control: CheckAlert | None = None
    for decision in decisions:
        obs = decision.observation
        suffix = ""
        result = by_event.get(id(decision.event)) if decision.event is not None else None
        action: ActionName = decision.action
        if result is None and obs.dedup_key in redelivered:
            result = redelivered[obs.dedup_key]
            action, suffix = result.event.action, f" ({REDELIVERY})"
        if result is None:
            alert = CheckAlert(obs.name, obs.dedup_key, action, decision.note)
        elif dry_run:
            alert = CheckAlert(obs.name, obs.dedup_key, action, NOT_SENT_DRY_RUN + suffix)
        elif result.delivered:
            alert = CheckAlert(
                obs.name, obs.dedup_key, action, "delivered" + suffix, True, result.attempts
            )
        else:
            kept = "; kept for the next run" if stateful else ""
            alert = CheckAlert(
                obs.name,
                obs.dedup_key,
                action,
                f"failed: {result.error}{kept}{suffix}",
                False,
                result.attempts,
            )
        if obs.check is None:
            control = alert
        else:
            checks[obs.name] = alert
    return AlertReport(checks, control, events, deliveries, warnings, dry_run, stateful)
