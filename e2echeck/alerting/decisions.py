"""What each alert does this run: trigger, resolve or nothing, with or without state.

Without state every failed check triggers and every passing one resolves. With
state, thresholds and change-only events apply (`state.advance`), and the
transitions a sink could not take in an earlier run are due again. `record`
updates the state after delivery. Nothing here sends anything.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from e2echeck.alerting.budget import apply_budget, count_sent, storm_keys
from e2echeck.alerting.dependencies import suppress
from e2echeck.alerting.flapping import apply_history, flapping_trigger
from e2echeck.alerting.orphans import checks_file, orphans, owner, removed_resolve
from e2echeck.alerting.sinks.base import Pending
from e2echeck.alerting.sinks.pagerduty.sink import RoutingKeys
from e2echeck.alerting.state import AlertState, AlertStatus, State, advance, now_iso
from e2echeck.alerting.transitions import (
    CONTROL_DEDUP_KEY,
    NOT_SENT_NO_RESOLVE,
    ActionName,
    Observation,
    Transition,
    resolve_transition,
)
from e2echeck.config.models import Config
from e2echeck.redaction import Redactor


class Routes:
    """The sinks each transition goes to: its check's `notify`, else
    `defaults.notify` (the checker's own alerts too). Indexed once per run."""

    def __init__(self, config: Config) -> None:
        self.default = list(config.defaults.notify)
        self.by_name = {check.name: config.notify_for(check) for check in config.checks}
        self.known = frozenset(config.sink_names)

    def __call__(self, transition: Transition) -> list[str]:
        if transition.check is None:
            return self.default
        return self.by_name.get(transition.check, self.default)

    def pending(self, decisions: list[Decision]) -> list[Pending]:
        """Each decision's new transition, once per sink it goes to."""
        return [
            Pending(sink, d.transition)
            for d in decisions
            if d.transition is not None
            for sink in self(d.transition)
        ]


@dataclass
class Decision:
    """One alert's action this run, and the new transition it sends (if any)."""

    observation: Observation
    action: ActionName
    note: str  # why nothing is sent, when nothing is
    transition: Transition | None = None  # this run's new transition
    removed: bool = False  # the alert of a check removed from the file (orphans.py)


def decide_stateless(
    observations: list[Observation], send_resolve: bool, redactor: Redactor
) -> list[Decision]:
    """Every failed check triggers; every passing one resolves (unless turned off)."""
    decisions = []
    for obs in observations:
        if obs.signal == "fail":
            decisions.append(Decision(obs, "trigger", "", obs.trigger))
        elif obs.signal == "pass" and send_resolve:
            resolve = resolve_transition(obs.dedup_key, check_name(obs), redactor)
            decisions.append(Decision(obs, "resolve", "", resolve))
        elif obs.signal == "pass":
            decisions.append(Decision(obs, "none", NOT_SENT_NO_RESOLVE))
        else:
            decisions.append(Decision(obs, "none", obs.note))
    failing = {o.check.name for o in observations if o.signal == "fail" and o.check is not None}
    return suppress(decisions, failing, redactor, _muted)


def decide_stateful(
    config: Config,
    observations: list[Observation],
    state: State,
    send_resolve: bool,
    redactor: Redactor,
    route: Routes,
    in_maintenance: Mapping[str, str] | None = None,
) -> tuple[list[Decision], list[Pending], list[Pending]]:
    """Advance each alert; (decisions, earlier undelivered transitions still
    due, this run's new ones).

    A new transition supersedes the key's undelivered ones (see state.py); it
    is owed by each sink `route` names for it. A transition owed to a sink no
    longer in the config is dropped: nothing could ever deliver it.
    `in_maintenance`: {dedup key: why} of this run's checks in maintenance (see
    `_maintenance_ended`).
    """
    now = now_iso()
    held = dict(in_maintenance or {})
    before: dict[str, tuple[AlertStatus | None, str | None]] = {}
    ended = _maintenance_ended(state, observations, held)
    decisions = []
    new: list[Pending] = []
    for obs in observations:
        if obs.signal is None:
            decisions.append(Decision(obs, "none", obs.note))
            continue
        alert = state.alerts.setdefault(obs.dedup_key, AlertState())
        alert.check = check_name(obs) or alert.check
        if obs.signal == "fail" and obs.check is not None and obs.check.depends_on:
            before[obs.dedup_key] = (alert.state, alert.changed_at)
        failure_threshold = success_threshold = 1  # the control alert: no thresholds
        settings = config.settings_for(obs.check) if obs.check is not None else None
        if settings is not None:
            failure_threshold = settings.failure_threshold
            success_threshold = settings.success_threshold
        prior = (alert.state, alert.changed_at)
        action, note = advance(alert, obs.signal, failure_threshold, success_threshold, now)
        trigger = obs.trigger
        if settings is not None and obs.check is not None:
            action, note, flapping = apply_history(
                alert, obs.signal, settings, (action, note), prior, now
            )
            if flapping is not None:
                trigger = flapping_trigger(config, obs.check, trigger, flapping, now, redactor)
        if obs.signal == "fail" and alert.state == "open" and obs.dedup_key in ended:
            action = "trigger"  # maintenance ended with the alert open: say it again
        if action == "trigger":
            assert trigger is not None
            alert.undelivered = [Pending(sink, trigger) for sink in route(trigger)]
            new.extend(alert.undelivered)
            decisions.append(Decision(obs, "trigger", "", trigger))
        elif action == "resolve" and send_resolve:
            resolve = resolve_transition(obs.dedup_key, check_name(obs), redactor)
            alert.undelivered = [Pending(sink, resolve) for sink in route(resolve)]
            new.extend(alert.undelivered)
            decisions.append(Decision(obs, "resolve", "", resolve))
        elif action == "resolve":
            alert.undelivered = []  # a stale trigger must not page after recovery
            decisions.append(Decision(obs, "none", NOT_SENT_NO_RESOLVE))
        else:
            decisions.append(Decision(obs, "none", note))
    failing = {
        obs.check.name
        for obs in observations
        if obs.signal == "fail"
        and obs.check is not None
        and state.alerts[obs.dedup_key].state == "open"
    }

    def mute(decision: Decision, note: str) -> Decision:
        """A suppressed failure still counts, but neither opens the alert nor
        leaves a trigger to send (an earlier run's would page for it too)."""
        key = decision.observation.dedup_key
        alert = state.alerts[key]
        if key in before:
            alert.state, alert.changed_at = before[key]
            # Nothing was opened for it: its next pass is no change, not a resolve.
            alert.state = alert.state or "resolved"
        alert.undelivered = [p for p in alert.undelivered if p.transition.action != "trigger"]
        if decision.transition is not None:
            new[:] = [p for p in new if p.transition is not decision.transition]
        return _muted(decision, note)

    decisions = suppress(decisions, failing, redactor, mute)
    known = {check.effective_dedup_key for check in config.checks} | {CONTROL_DEDUP_KEY}
    known.update(obs.dedup_key for obs in observations)
    for key, name in orphans(config, state, known):
        alert = state.alerts[key]
        resolve = removed_resolve(config, key, name, redactor)
        alert.state, alert.changed_at = "resolved", now
        alert.consecutive_failures = 0
        alert.undelivered = [Pending(sink, resolve) for sink in route(resolve)]
        new.extend(alert.undelivered)
        gone = Observation(name, key, None, None, resolve.details["reason"])
        decisions.append(Decision(gone, "resolve", "", resolve, removed=True))
    fresh = {id(p) for p in new}
    for alert in state.alerts.values():
        if any(p.sink not in route.known for p in alert.undelivered):
            alert.undelivered = [p for p in alert.undelivered if p.sink in route.known]
    old = [
        p
        for alert in state.alerts.values()
        for p in alert.undelivered
        if id(p) not in fresh
        and not (p.transition.action == "trigger" and p.transition.dedup_key in held)
    ]
    old.sort(key=lambda p: p.transition.created_at)
    old, new = apply_budget(config, state, decisions, old, new, redactor, RoutingKeys(config))
    if state.changes and config.pagerduty is not None:
        count_sent(state, config.pagerduty.routing_key, len(state.changes))
    return decisions, old, new


def _maintenance_ended(
    state: State, observations: list[Observation], held: dict[str, str]
) -> set[str]:
    """Dedup keys whose maintenance ended since their last run; records this run's.

    Nothing is forgotten across a window: its failures did not count, so a check
    still failing afterwards triggers under the normal thresholds. An alert that
    was already open when the window began gets its trigger sent again on the first
    run after it: PagerDuty folds it into the incident if that is still open, and
    opens a new one if someone resolved it during the window (the state would
    otherwise say "open" while PagerDuty has nothing, and never page again).
    Undelivered triggers wait until the window ends (they would page during it).
    """
    ended: set[str] = set()
    before = dict(state.maintenance)
    started = {held[k] for k in held if k not in before and held[k].startswith(WINDOW)}
    for obs in observations:
        if obs.dedup_key in held:
            state.maintenance[obs.dedup_key] = held[obs.dedup_key]
        elif obs.signal is not None and state.maintenance.pop(obs.dedup_key, None) is not None:
            ended.add(obs.dedup_key)
    still = set(state.maintenance.values())
    finished = {before[k] for k in ended if before[k].startswith(WINDOW)} - still
    # Change events for PagerDuty (change_events.py), sent after the run's decisions.
    state.changes.extend(f"maintenance started: {why}" for why in sorted(started))
    state.changes.extend(f"maintenance ended: {why}" for why in sorted(finished))
    return ended


WINDOW = "window "  # how maintenance.py names a window's maintenance


def record(
    state: State,
    delivered: list[Pending],
    config: Config,
    warnings: list[str],
    redactor: Redactor,
    also_known: Collection[str] = (),
) -> None:
    """Drop delivered transitions from the state; forget what no check uses any
    more (`also_known`: other dedup keys still in use, e.g. the locations' own)."""
    for pending in delivered:
        alert = state.alerts.get(pending.transition.dedup_key)
        if alert is not None:
            alert.undelivered = [p for p in alert.undelivered if p is not pending]
    known = {check.effective_dedup_key for check in config.checks} | {CONTROL_DEDUP_KEY}
    known.update(also_known)
    known.update(storm_keys(state))
    for key in list(state.alerts):
        alert = state.alerts[key]
        if key in known or alert.undelivered:
            continue
        if alert.state == "open":
            belongs = owner(state)
            why = (
                f"; the state belongs to {belongs}, so it is left open"
                if belongs is not None and belongs != checks_file(config)
                else ""
            )
            warnings.append(
                redactor.text(
                    f"alert {key!r} is open in PagerDuty but no check has that dedup key any "
                    f"more; resolve it there{why}"
                )
            )
            continue
        del state.alerts[key]
    for key in [k for k in state.maintenance if k not in known]:
        del state.maintenance[key]
    state.updated_at = now_iso()


def _muted(decision: Decision, note: str) -> Decision:
    return Decision(decision.observation, "none", note)


def check_name(obs: Observation) -> str | None:
    return obs.check.name if obs.check is not None else None
