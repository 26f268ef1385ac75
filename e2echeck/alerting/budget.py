"""The storm budget: never more PagerDuty events a minute per routing key than
PagerDuty accepts.

PagerDuty answers 429 past about 120 events a minute per routing key, and an
event answered 429 is not ingested. A run with hundreds of transitions due
(an outage of everything at once) would lose pages to retries and deadlines.
So before anything is sent, each routing key gets at most
`pagerduty.max_events_per_minute` events (default 100) in any minute, counted
across runs in the state (`budget`: sent-at instants per key, the key itself
only as a hash) and so across locations sharing the state.

When more are due, the most important go first: triggers by severity, then
resolves. The triggers that do not fit are collapsed into one **storm alert**
per routing key, whose summary says how many checks it stands for and whose
details name them all; those checks' own triggers are not sent (their alerts
are open: the storm is their incident). A member that recovers leaves the storm
without a resolve of its own (it never had an incident); the storm resolves
when its last member has left. Resolves that do not fit wait in the state for
the next run, reported as deferred: nothing is dropped silently.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from e2echeck.alerting.sinks.base import Pending
from e2echeck.alerting.state import AlertState, State, now_iso
from e2echeck.alerting.transitions import (
    STORM_PREFIX,
    Transition,
    hostname,
    key_hash,
    resolve_transition,
)
from e2echeck.config.models import Config
from e2echeck.redaction import Redactor

PAGERDUTY = "pagerduty"
DEFAULT_PER_MINUTE = 100
BUDGET_SECTION = "budget"  # {key hash: [sent-at epoch seconds]}
STORM_SECTION = "storms"  # {storm dedup key: {"members": {dedup key: check name}}}
STORM_CHECKS = "storm_checks"
STORM_COUNT = "storm_count"
_SEVERITY_RANK = {"critical": 0, "error": 1, "warning": 2, "info": 3}


class Decision(Protocol):
    """What the budget reads and notes of a decision (decisions.Decision)."""

    note: str

    @property
    def transition(self) -> Transition | None: ...


def storm_keys(state: State) -> set[str]:
    """The storm alerts' dedup keys, which `record` must not forget."""
    storms = state.sections.get(STORM_SECTION)
    return set(storms) if isinstance(storms, dict) else set()


def apply_budget(
    config: Config,
    state: State,
    decisions: Sequence[Decision],
    old: list[Pending],
    new: list[Pending],
    redactor: Redactor,
    routing_key: Callable[[Transition], str | None],
    now: float | None = None,
) -> tuple[list[Pending], list[Pending]]:
    """(old, new) cut to each routing key's budget, with storm alerts added;
    the decisions' notes say what was collapsed or deferred."""
    limit = config.pagerduty.max_events_per_minute if config.pagerduty else DEFAULT_PER_MINUTE
    instant = time.time() if now is None else now
    budget = _section(state, BUDGET_SECTION)
    storms = _section(state, STORM_SECTION)
    by_transition = {id(d.transition): d for d in decisions if d.transition is not None}
    groups: dict[str, list[Pending]] = {}
    budgeted: set[int] = set()
    for pending in [*old, *new]:
        key = routing_key(pending.transition) if pending.sink == PAGERDUTY else None
        if key:
            digest = key_hash(key)
            groups.setdefault(digest, []).append(pending)
            budgeted.add(id(pending))
    for storm in storms.values():
        routing = storm.get("routing") if isinstance(storm, dict) else None
        if isinstance(routing, str):
            groups.setdefault(routing, [])
    kept: set[int] = set()
    added: list[Pending] = []
    for digest, items in groups.items():
        sent_at = [t for t in budget.get(digest, []) if isinstance(t, int | float)]
        sent_at = [t for t in sent_at if t > instant - 60]
        storm_key = STORM_PREFIX + digest[:8]
        storm = storms.get(storm_key) if isinstance(storms.get(storm_key), dict) else None
        members: dict[str, str] = dict(storm.get("members", {})) if storm else {}
        # Members that recovered (or whose check is gone) leave without a resolve.
        for pending in list(items):
            t = pending.transition
            if t.action == "resolve" and t.dedup_key in members:
                members.pop(t.dedup_key)
                items.remove(pending)
                _drop(state, pending)
                _note(by_transition, pending, f"left storm alert {storm_key} (recovered)")
        for member in list(members):
            alert = state.alerts.get(member)
            if alert is None or alert.state != "open":
                members.pop(member)
        triggers = sorted(
            (p for p in items if p.transition.action == "trigger"),
            key=lambda p: (_SEVERITY_RANK.get(p.transition.severity, 4), p.transition.created_at),
        )
        resolves = [p for p in items if p.transition.action == "resolve"]
        available = max(limit - len(sent_at), 0)
        storm_open = storm is not None and storm.get("open") is True
        chosen: list[Pending] = []
        collapsed: list[Pending] = []
        if len(triggers) <= available:
            chosen = [*triggers, *resolves[: available - len(triggers)]]
        else:
            room = max(available - 1, 0)  # one event for the storm alert
            chosen = triggers[:room]
            collapsed = triggers[room:]
        for pending in collapsed:
            t = pending.transition
            members[t.dedup_key] = t.check or t.dedup_key
            _drop(state, pending)
            _note(
                by_transition,
                pending,
                f"in storm alert {storm_key} (over {limit} events a minute for its routing key)",
            )
        for pending in items:
            if pending not in chosen and pending not in collapsed:
                _note(
                    by_transition,
                    pending,
                    f"deferred to the next run (over {limit} events a minute)",
                )
        kept.update(id(p) for p in chosen)
        storm_event: Pending | None = None
        if collapsed:
            worst = min(
                (_SEVERITY_RANK.get(p.transition.severity, 4) for p in collapsed), default=0
            )
            storm_event = Pending(
                PAGERDUTY, _storm_trigger(storm_key, members, worst, limit, redactor)
            )
            storm_open = True
        elif storm_open and not members:
            storm_event = Pending(PAGERDUTY, resolve_transition(storm_key, None, redactor))
            storm_open = False
        alert = state.alerts.setdefault(storm_key, AlertState())
        if storm_event is not None:
            alert.state, alert.changed_at = ("open" if storm_open else "resolved"), now_iso()
            if available > len(chosen):
                added.append(storm_event)
                chosen.append(storm_event)
                alert.undelivered = [storm_event]
            else:  # no room at all this minute: the next run sends it
                alert.undelivered = [storm_event]
        if storm_open or members:
            storms[storm_key] = {"routing": digest, "open": storm_open, "members": members}
        else:
            storms.pop(storm_key, None)
            if not alert.undelivered:
                state.alerts.pop(storm_key, None)
        budget[digest] = [*sent_at, *([instant] * len(chosen))]
    for digest in list(budget):
        if digest not in groups:
            stamps = [t for t in budget[digest] if isinstance(t, int | float) and t > instant - 60]
            if stamps:
                budget[digest] = stamps
            else:
                del budget[digest]
    keep_old = [p for p in old if id(p) in kept or id(p) not in budgeted]
    keep_new = [p for p in new if id(p) in kept or id(p) not in budgeted] + added
    return keep_old, keep_new


def _section(state: State, name: str) -> dict[str, Any]:
    value = state.sections.get(name)
    if not isinstance(value, dict):
        value = {}
        state.sections[name] = value
    return value


def _drop(state: State, pending: Pending) -> None:
    """A collapsed trigger (or a member's resolve) is never owed: the storm is its incident."""
    alert = state.alerts.get(pending.transition.dedup_key)
    if alert is not None:
        alert.undelivered = [p for p in alert.undelivered if p is not pending]


def _note(by_transition: dict[int, Decision], pending: Pending, note: str) -> None:
    decision = by_transition.get(id(pending.transition))
    if decision is not None:
        decision.note = note


def _storm_trigger(
    key: str, members: dict[str, str], worst: int, limit: int, redactor: Redactor
) -> Transition:
    names = sorted(members.values())
    severity = next((s for s, rank in _SEVERITY_RANK.items() if rank == worst), "critical")
    summary = (
        f"e2echeck storm: {len(names)} failing checks collapsed into one alert "
        f"(more than {limit} events a minute for one routing key)"
    )
    transition = Transition(
        "trigger",
        key,
        None,
        summary=summary,
        severity=severity,
        source=hostname(),
        timestamp=now_iso(),
        component="e2echeck",
        group="storm",
        details={STORM_COUNT: len(names), STORM_CHECKS: names},
    )
    return transition.redacted(redactor)


def count_sent(state: State, routing_key: str | None, count: int, now: float | None = None) -> None:
    """Count `count` events sent outside the budget's choice (change events)."""
    if not routing_key or count <= 0:
        return
    instant = time.time() if now is None else now
    budget = _section(state, BUDGET_SECTION)
    digest = key_hash(routing_key)
    stamps = [t for t in budget.get(digest, []) if isinstance(t, int | float) and t > instant - 60]
    budget[digest] = [*stamps, *([instant] * count)]
