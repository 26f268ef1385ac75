"""What alerting did in a run: per-check alerts, the events sent, and the report.

Pure data plus `build_report`, which turns the run's decisions and delivery
results into the `AlertReport` the CLI, the reports and the Lambda handler show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from e2echeck.alerting.transitions import NOT_SENT_NO_RESOLVE as NOT_SENT_NO_RESOLVE
from e2echeck.alerting.transitions import ActionName

if TYPE_CHECKING:
    from e2echeck.alerting.decisions import Decision
    from e2echeck.alerting.delivery import DeliveryResult
    from e2echeck.alerting.sinks.base import Sink

NOT_SENT_DRY_RUN = "not sent (--no-alert)"
NOT_SENT_NO_SINK = "not sent (notify: [])"
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
    """One event this run sent to one sink (or, with --no-alert, would have sent)."""

    name: str  # the check's name, or e2echeck-control
    dedup_key: str
    action: Literal["trigger", "resolve"]
    delivered: bool | None  # None: not sent (--no-alert)
    attempts: int = 0
    error: str | None = None
    redelivery: bool = False  # kept from an earlier run
    sink: str = "pagerduty"  # a name from `notify`


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
    # Checks removed from the file whose open alert this run resolves, by name.
    removed: dict[str, CheckAlert] = field(default_factory=dict)

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
        if self.removed:
            document["removed_checks"] = {
                name: {"dedup_key": a.dedup_key, "action": a.action, "delivery": a.delivery}
                for name, a in self.removed.items()
            }
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
    sinks: Mapping[str, Sink],
) -> AlertReport:
    """Pair each decision with what happened to its transition at each sink.

    `old_ids`: ids of the pending transitions kept from earlier runs; a check
    whose only transition this run is such a redelivery reports its outcome."""
    by_transition: dict[int, list[DeliveryResult]] = {}
    redelivered: dict[str, list[DeliveryResult]] = {}
    for r in results:
        by_transition.setdefault(id(r.transition), []).append(r)
        if id(r.item) in old_ids:
            redelivered.setdefault(r.transition.dedup_key, []).append(r)
    deliveries = [
        EventDelivery(
            name=r.transition.check or r.transition.dedup_key,
            dedup_key=r.transition.dedup_key,
            action=r.transition.action,
            delivered=None if dry_run else r.delivered,
            attempts=r.attempts,
            error=r.error,
            redelivery=id(r.item) in old_ids,
            sink=r.item.sink,
        )
        for r in results
    ]
    events = [_shown(r, sinks) for r in results]
    checks: dict[str, CheckAlert] = {}
    control: CheckAlert | None = None
    removed: dict[str, CheckAlert] = {}
    for decision in decisions:
        obs = decision.observation
        transition = decision.transition
        mine = by_transition.get(id(transition), []) if transition is not None else []
        alert = _alert(decision, mine, redelivered.get(obs.dedup_key, []), dry_run, stateful)
        if decision.removed:  # a check removed from the file: its alert resolved
            removed[obs.name] = alert
        elif obs.check is None:
            control = alert
        else:
            checks[obs.name] = alert
    report = AlertReport(checks, control, events, deliveries, warnings, dry_run, stateful)
    report.removed = removed
    return report


def _alert(
    decision: Decision,
    mine: list[DeliveryResult],
    redelivered: list[DeliveryResult],
    dry_run: bool,
    stateful: bool,
) -> CheckAlert:
    obs, action, suffix = decision.observation, decision.action, ""
    if not mine and redelivered:
        mine, suffix = redelivered, f" ({REDELIVERY})"
        action = mine[-1].transition.action
    if not mine:
        note = decision.note
        if decision.transition is not None and not note:
            note = NOT_SENT_NO_SINK
        return CheckAlert(obs.name, obs.dedup_key, action, note)
    if dry_run:
        return CheckAlert(obs.name, obs.dedup_key, action, NOT_SENT_DRY_RUN + suffix)
    attempts = max(r.attempts for r in mine)
    failed = next((r for r in mine if not r.delivered), None)
    if failed is None:
        return CheckAlert(obs.name, obs.dedup_key, action, "delivered" + suffix, True, attempts)
    kept = "; kept for the next run" if stateful else ""
    where = f"{failed.item.sink}: " if len(mine) > 1 else ""
    return CheckAlert(
        obs.name,
        obs.dedup_key,
        action,
        f"failed: {where}{failed.error}{kept}{suffix}",
        False,
        attempts,
    )


def _shown(result: DeliveryResult, sinks: Mapping[str, Sink]) -> dict[str, Any]:
    sink = sinks.get(result.item.sink)
    if sink is None:
        return {"sink": result.item.sink, **result.transition.to_json()}
    return sink.shown(result.transition)
