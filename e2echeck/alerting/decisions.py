"""What each alert does this run: trigger, resolve or nothing, with or without state.

Without state every failed check triggers and every passing one resolves. With
state, thresholds and change-only events apply (`state.advance`), and events an
earlier run could not deliver are due again. `record` updates the state after
delivery. Nothing here sends anything.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from e2echeck.alerting.events import CONTROL_DEDUP_KEY, Event, Observation, resolve_event
from e2echeck.alerting.results import NOT_SENT_NO_RESOLVE, ActionName
from e2echeck.alerting.state import AlertState, State, advance, now_iso
from e2echeck.config.models import Config
from e2echeck.redaction import Redactor


@dataclass
class Decision:
    """One alert's action this run, and the new event it sends (if any)."""

    observation: Observation
    action: ActionName
    note: str  # why nothing is sent, when nothing is
    event: Event | None = None  # this run's new event


def decide_stateless(
    observations: list[Observation], send_resolve: bool, redactor: Redactor
) -> list[Decision]:
    """Every failed check triggers; every passing one resolves (unless turned off)."""
    decisions = []
    for obs in observations:
        if obs.signal == "fail":
            decisions.append(Decision(obs, "trigger", "", obs.trigger))
        elif obs.signal == "pass" and send_resolve:
            event = resolve_event(obs.dedup_key, check_name(obs), redactor)
            decisions.append(Decision(obs, "resolve", "", event))
        elif obs.signal == "pass":
            decisions.append(Decision(obs, "none", NOT_SENT_NO_RESOLVE))
        else:
            decisions.append(Decision(obs, "none", obs.note))
    return decisions


def decide_stateful(
    config: Config,
    observations: list[Observation],
    state: State,
    send_resolve: bool,
    redactor: Redactor,
    in_maintenance: Mapping[str, str] | None = None,
) -> tuple[list[Decision], list[Event]]:
    """Advance each alert; (decisions, earlier undelivered events still due).

    A new event supersedes the key's undelivered one (see state.py).
    `in_maintenance`: {dedup key: why} of this run's checks in maintenance (see
    `_maintenance_ended`).
    """
    now = now_iso()
    held = dict(in_maintenance or {})
    ended = _maintenance_ended(state, observations, held)
    decisions = []
    for obs in observations:
        if obs.signal is None:
            decisions.append(Decision(obs, "none", obs.note))
            continue
        alert = state.alerts.setdefault(obs.dedup_key, AlertState())
        alert.check = check_name(obs) or alert.check
        failure_threshold = success_threshold = 1  # the control alert: no thresholds
        if obs.check is not None:
            settings = config.settings_for(obs.check)
            failure_threshold = settings.failure_threshold
            success_threshold = settings.success_threshold
        action, note = advance(alert, obs.signal, failure_threshold, success_threshold, now)
        if obs.signal == "fail" and alert.state == "open" and obs.dedup_key in ended:
            action = "trigger"  # maintenance ended with the alert open: say it again
        if action == "trigger":
            assert obs.trigger is not None
            alert.undelivered = [obs.trigger]
            decisions.append(Decision(obs, "trigger", "", obs.trigger))
        elif action == "resolve" and send_resolve:
            event = resolve_event(obs.dedup_key, check_name(obs), redactor)
            alert.undelivered = [event]
            decisions.append(Decision(obs, "resolve", "", event))
        elif action == "resolve":
            alert.undelivered = []  # a stale trigger must not page after recovery
            decisions.append(Decision(obs, "none", NOT_SENT_NO_RESOLVE))
        else:
            decisions.append(Decision(obs, "none", note))
    new = {id(d.event) for d in decisions if d.event is not None}
    old = [
        e
        for alert in state.alerts.values()
        for e in alert.undelivered
        if id(e) not in new and not (e.action == "trigger" and e.dedup_key in held)
    ]
    old.sort(key=lambda e: e.created_at)
    return decisions, old


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
    for obs in observations:
        if obs.dedup_key in held:
            state.maintenance[obs.dedup_key] = held[obs.dedup_key]
        elif obs.signal is not None and state.maintenance.pop(obs.dedup_key, None) is not None:
            ended.add(obs.dedup_key)
    return ended


def record(
    state: State,
    delivered: list[Event],
    config: Config,
    warnings: list[str],
    redactor: Redactor,
    also_known: Collection[str] = (),
) -> None:
    """Drop delivered events from the state; forget what no check uses any more
    (`also_known`: other dedup keys still in use, e.g. the locations' own)."""
    for event in delivered:
        alert = state.alerts.get(event.dedup_key)
        if alert is not None:
            alert.undelivered = [e for e in alert.undelivered if e is not event]
    known = {check.effective_dedup_key for check in config.checks} | {CONTROL_DEDUP_KEY}
    known.update(also_known)
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
    for key in [k for k in state.maintenance if k not in known]:
        del state.maintenance[key]
    state.updated_at = now_iso()


def check_name(obs: Observation) -> str | None:
    return obs.check.name if obs.check is not None else None
