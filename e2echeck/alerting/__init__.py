"""PagerDuty alerting (SPEC section 5): from a run's results to delivered events.

    report = send_alerts(config, run, dry_run=False, state_path=None, deadline=None)
    warning = ping_heartbeat(config)

Importing this package loads neither pagerduty, httpx2 nor boto3; each is
imported when it is first needed (delivering, pinging, S3 state).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from e2echeck.alerting.delivery import DeliveryPolicy, DeliveryResult, Outgoing, deliver
from e2echeck.alerting.events import CONTROL_DEDUP_KEY, Event, Observation, observe, resolve_event
from e2echeck.alerting.heartbeat import ping_heartbeat
from e2echeck.alerting.state import (
    AlertState,
    State,
    StateError,
    StateStore,
    advance,
    now_iso,
    open_store,
)
from e2echeck.config.models import Check, Config
from e2echeck.engine.results import RunResult
from e2echeck.redaction import MASK, Redactor

__all__ = [
    "CONTROL_DEDUP_KEY",
    "AlertReport",
    "CheckAlert",
    "DeliveryPolicy",
    "EventDelivery",
    "ping_heartbeat",
    "send_alerts",
]

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
    checks: dict[str, CheckAlert]  # by check name, in the run's order
    control: CheckAlert | None  # the e2echeck-control alert, when the run said something
    events: list[dict[str, Any]]  # the events as sent, redacted (routing_key "***")
    deliveries: list[EventDelivery]  # parallel to `events`
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    stateful: bool = False  # False: no state configured, or it could not be read

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


@dataclass
class _Decision:
    observation: Observation
    action: ActionName
    note: str
    event: Event | None = None  # this run's new event


def send_alerts(
    config: Config,
    run: RunResult,
    *,
    dry_run: bool,
    state_path: str | None = None,
    deadline: float | None = None,
    policy: DeliveryPolicy | None = None,
) -> AlertReport:
    """Decide, send and record this run's PagerDuty events. Never raises for
    delivery or state problems: they are in the report (undelivered, warnings).

    `dry_run` (--no-alert): decide and list the events, send nothing, leave the
    state untouched. `state_path` overrides `state.path` (--state). `deadline`
    is an absolute `time.monotonic()` value bounding every delivery attempt.
    """
    redactor = Redactor(config.secrets)
    warnings: list[str] = []
    observations = observe(config, run, redactor)
    pd = config.pagerduty
    send_resolve = pd.send_resolve if pd else True

    location = state_path or (config.state.path if config.state else None)
    store: StateStore | None = None
    state: State | None = None
    if location:
        try:
            store = open_store(location)
            state = store.load()
        except StateError as exc:
            store = None
            warnings.append(
                redactor.text(
                    f"state {location}: {exc}; running without state this run (every check "
                    "sends its event, thresholds do not apply); fix or delete the file"
                )
            )
    if state is None:
        warnings.extend(_threshold_warnings(config, run, location is not None))
        decisions = _decide_stateless(observations, send_resolve, redactor)
        queue = [d.event for d in decisions if d.event is not None]
        old: list[Event] = []
    else:
        decisions, old = _decide_stateful(config, observations, state, send_resolve, redactor)
        queue = [*old, *(d.event for d in decisions if d.event is not None)]

    enqueue_url = pd.enqueue_url if pd else "https://events.pagerduty.com/v2/enqueue"
    warnings.extend(_url_warnings(enqueue_url))
    routing_key = _RoutingKeys(config)
    outgoing = [Outgoing(event, routing_key(event)) for event in queue]
    if dry_run:
        results = [DeliveryResult(item.event, False, 0, None) for item in outgoing]
    else:
        results = deliver(
            outgoing, enqueue_url, redactor=redactor, deadline=deadline, policy=policy
        )

    if state is not None and store is not None and not dry_run:
        _record(state, results, config, warnings, redactor)
        try:
            store.save(state)
        except StateError as exc:
            warnings.append(
                redactor.text(
                    f"state {location}: {exc}; this run's alert state and undelivered "
                    "events are not saved"
                )
            )

    return _report(decisions, results, set(map(id, old)), dry_run, state is not None, warnings)


def _decide_stateless(
    observations: list[Observation], send_resolve: bool, redactor: Redactor
) -> list[_Decision]:
    decisions = []
    for obs in observations:
        if obs.signal == "fail":
            decisions.append(_Decision(obs, "trigger", "", obs.trigger))
        elif obs.signal == "pass" and send_resolve:
            event = resolve_event(obs.dedup_key, _check_name(obs), redactor)
            decisions.append(_Decision(obs, "resolve", "", event))
        elif obs.signal == "pass":
            decisions.append(_Decision(obs, "none", NOT_SENT_NO_RESOLVE))
        else:
            decisions.append(_Decision(obs, "none", obs.note))
    return decisions


def _decide_stateful(
    config: Config,
    observations: list[Observation],
    state: State,
    send_resolve: bool,
    redactor: Redactor,
) -> tuple[list[_Decision], list[Event]]:
    """Advance each alert; (decisions, earlier undelivered events still due).

    A new event supersedes the key's undelivered one (see state.py).
    """
    now = now_iso()
    decisions = []
    for obs in observations:
        if obs.signal is None:
            decisions.append(_Decision(obs, "none", obs.note))
            continue
        alert = state.alerts.setdefault(obs.dedup_key, AlertState())
        alert.check = _check_name(obs) or alert.check
        failure_threshold = success_threshold = 1  # the control alert: no thresholds
        if obs.check is not None:
            settings = config.settings_for(obs.check)
            failure_threshold = settings.failure_threshold
            success_threshold = settings.success_threshold
        action, note = advance(alert, obs.signal, failure_threshold, success_threshold, now)
        if action == "trigger":
            assert obs.trigger is not None
            alert.undelivered = [obs.trigger]
            decisions.append(_Decision(obs, "trigger", "", obs.trigger))
        elif action == "resolve" and send_resolve:
            event = resolve_event(obs.dedup_key, _check_name(obs), redactor)
            alert.undelivered = [event]
            decisions.append(_Decision(obs, "resolve", "", event))
        elif action == "resolve":
            alert.undelivered = []  # a stale trigger must not page after recovery
            decisions.append(_Decision(obs, "none", NOT_SENT_NO_RESOLVE))
        else:
            decisions.append(_Decision(obs, "none", note))
    new = {id(d.event) for d in decisions if d.event is not None}
    old = [e for alert in state.alerts.values() for e in alert.undelivered if id(e) not in new]
    old.sort(key=lambda e: e.created_at)
    return decisions, old


def _record(
    state: State,
    results: list[DeliveryResult],
    config: Config,
    warnings: list[str],
    redactor: Redactor,
) -> None:
    """Drop delivered events from the state; forget what no check uses any more."""
    for result in results:
        alert = state.alerts.get(result.event.dedup_key)
        if result.delivered and alert is not None:
            alert.undelivered = [e for e in alert.undelivered if e is not result.event]
    known = {check.effective_dedup_key for check in config.checks} | {CONTROL_DEDUP_KEY}
    for key in list(state.alerts):
        alert = state.alerts[key]
        if key in known or alert.undelivered:
            continue
        if alert.state == "open":
            warnings.append(
                redactor.text(
                    f"alert {key!r} is open in PagerDuty but no check has that dedup key any "
                    "more; resolve it there"
                )
            )
            continue
        del state.alerts[key]
    state.updated_at = now_iso()


def _report(
    decisions: list[_Decision],
    results: list[DeliveryResult],
    old_ids: set[int],
    dry_run: bool,
    stateful: bool,
    warnings: list[str],
) -> AlertReport:
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


def _check_name(obs: Observation) -> str | None:
    return obs.check.name if obs.check is not None else None


class _RoutingKeys:
    """The routing key each event goes to, looked up now (state never stores it).

    Checks are indexed once: a lookup per event must not scan every check
    (10,000 checks made that 10 s of a run)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.default = config.pagerduty.routing_key if config.pagerduty else None
        self.by_name: dict[str, Check] = {}
        self.by_dedup_key: dict[str, Check] = {}
        for check in config.checks:  # the first of a name or key wins, as a scan would
            self.by_name.setdefault(check.name, check)
            self.by_dedup_key.setdefault(check.effective_dedup_key, check)

    def __call__(self, event: Event) -> str | None:
        config, default = self.config, self.default
        if event.check is None:  # the control alert: the file's key, else a control check's
            controls = [c for c in config.checks if c.is_control]
            return default or next((c.routing_key for c in controls if c.routing_key), None)
        check = self.by_name.get(event.check) or self.by_dedup_key.get(event.dedup_key)
        return config.routing_key_for(check) if check is not None else default


def _threshold_warnings(config: Config, run: RunResult, state_configured: bool) -> list[str]:
    if state_configured:
        return []  # the state warning already says thresholds do not apply
    names = [
        r.name
        for r in run.results
        if (s := config.settings_for(r.check)).failure_threshold > 1 or s.success_threshold > 1
    ]
    if not names:
        return []
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    return [
        f"failure_threshold/success_threshold need state (state.path or --state); "
        f"ignored for {shown}"
    ]


def _url_warnings(enqueue_url: str) -> list[str]:
    parts = urlsplit(enqueue_url)
    if parts.scheme != "http":
        return []
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        return []
    return [f"pagerduty.events_url {enqueue_url} is plain http: routing keys travel unencrypted"]
