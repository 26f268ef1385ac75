"""A run of one location among several: record, decide together, send once.

1. In one conditional write of the shared state (`locking.transact`): record
   this run's observations, decide every check from all locations' fresh
   observations, watch the other locations, and record the transitions as
   undelivered events "pending" by this location. A transition another
   location already recorded is "no change" here: it is never sent twice.
2. Deliver the events (outside any lock).
3. Only when something was sent: a second conditional write marks them
   delivered. A run with no transition reads once and writes once.

When the shared state cannot be read or written, the location falls back to
deciding alone, as a run without state does (a failure it sees pages; the
dedup key merges the locations' triggers into one incident): a page too many
beats a silent outage.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime

from e2echeck._gc import gc_paused
from e2echeck.alerting.decisions import Decision, decide_stateful, decide_stateless, record
from e2echeck.alerting.delivery import DeliveryPolicy
from e2echeck.alerting.events import Event, observe
from e2echeck.alerting.locations import (
    WATCH_PREFIX,
    LocationsDoc,
    QuorumView,
    known_keys,
    located_observations,
    own_observations,
    watch_observations,
)
from e2echeck.alerting.locking import (
    DEFAULT_CONFLICT_POLICY,
    ConflictPolicy,
    transact,
)
from e2echeck.alerting.results import AlertReport, build_report
from e2echeck.alerting.state import State, StateError, now_iso, open_store
from e2echeck.config.models import Config
from e2echeck.engine.results import RunResult
from e2echeck.maintenance import MaintenanceOptions, apply_maintenance
from e2echeck.redaction import Redactor, run_redactor
from e2echeck.silences import active_silences


@dataclass
class Plan:
    decisions: list[Decision] = field(default_factory=list)
    old: list[Event] = field(default_factory=list)
    views: dict[str, QuorumView] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def outgoing(self) -> list[Event]:
        return [*self.old, *(d.event for d in self.decisions if d.event is not None)]


def send_located_alerts(
    config: Config,
    run: RunResult,
    *,
    location: str,
    state_path: str,
    dry_run: bool,
    deadline: float | None,
    policy: DeliveryPolicy | None,
    maintenance: MaintenanceOptions,
    conflicts: ConflictPolicy = DEFAULT_CONFLICT_POLICY,
) -> AlertReport:
    """`send_alerts` for a config with `locations`, run at `location`."""
    from e2echeck.alerting import dispatch, locations

    redactor = run_redactor(config, run)
    pd = config.pagerduty
    send_resolve = pd.send_resolve if pd else True
    now = locations.clock()
    store = None
    warnings: list[str] = []
    run_id = uuid.uuid4().hex

    def decide(state: State) -> Plan:
        return plan_run(config, state, run, location, now, run_id, redactor, maintenance)

    plan: Plan | None = None
    try:
        store = open_store(state_path)
        with gc_paused():
            plan = decide(store.load()) if dry_run else transact(store, decide, conflicts)
    except StateError as exc:
        warnings.append(
            redactor.text(
                f"state {state_path}: {exc}; deciding alone this run (the other locations' "
                "observations are unknown: every failure seen here sends its event)"
            )
        )
    if plan is None:
        apply_maintenance(config, run, [], maintenance)
        observations = observe(config, run, redactor)
        decisions = decide_stateless(observations, send_resolve, redactor)
        plan = Plan(decisions)
        store = None
    warnings.extend(plan.warnings)

    outgoing = plan.outgoing
    results = dispatch.send_events(config, outgoing, redactor, dry_run, deadline, policy, warnings)

    if store is not None and outgoing and not dry_run:
        delivered = {_identity(r.event) for r in results if r.delivered}
        try:
            transact(store, lambda state: _mark_delivered(state, delivered, run_id), conflicts)
        except StateError as exc:
            warnings.append(
                redactor.text(
                    f"state {state_path}: {exc}; the events sent this run may be sent again"
                )
            )

    watch_ids = {id(d) for d in plan.decisions if d.observation.name.startswith(WATCH_PREFIX)}
    report = build_report(
        [d for d in plan.decisions if id(d) not in watch_ids],
        results,
        set(map(id, plan.old)),
        dry_run,
        store is not None,
        warnings,
    )
    report.location = location
    for name, view in plan.views.items():
        if name in report.checks:
            report.checks[name] = replace(report.checks[name], locations=view.to_json())
    by_event = {id(r.event): r for r in results}
    for decision in plan.decisions:
        if id(decision) in watch_ids:
            result = by_event.get(id(decision.event)) if decision.event else None
            status = decision.note
            if result is not None:
                status = "delivered" if result.delivered else f"failed: {result.error}"
                status = "not sent (--no-alert)" if dry_run else status
            report.silent[decision.observation.name] = f"{decision.action}, {status}"
    return report


def plan_run(
    config: Config,
    state: State,
    run: RunResult,
    location: str,
    now: datetime,
    run_id: str,
    redactor: Redactor,
    maintenance: MaintenanceOptions | None = None,
) -> Plan:
    """Record this run's observations in `state` and decide every alert from
    all locations' (no I/O: `transact` may run it again on a newer state).

    Maintenance windows and the shared silences apply as without locations: a
    check in maintenance here is held (every location reads the same windows
    and silences), its observation still recorded as what it was."""
    settings = config.locations
    assert settings is not None
    maintenance = maintenance or MaintenanceOptions()
    in_maintenance = apply_maintenance(config, run, state.silences, maintenance)
    state.silences = active_silences(state.silences, maintenance.instant())
    observations = observe(config, run, redactor)
    pd = config.pagerduty
    send_resolve = pd.send_resolve if pd else True
    stamp = now.isoformat()
    own = own_observations(run, redactor, stamp)
    doc = LocationsDoc.from_state(state)
    doc.record(location, own, stamp, config)
    open_keys = frozenset(k for k, alert in state.alerts.items() if alert.state == "open")
    found, views = located_observations(
        config, observations, doc, location, now, redactor, open_keys, in_maintenance
    )
    watch = watch_observations(config, doc, state, location, now)
    decisions, old = decide_stateful(
        config, [*found, *watch], state, send_resolve, redactor, in_maintenance
    )
    claimed = doc.claimed_by_others(run_id, now, settings.max_age)
    old = [e for e in old if (e.dedup_key, e.created_at) not in claimed]
    plan = Plan(decisions, old, views)
    record(state, [], config, plan.warnings, redactor, also_known=known_keys(settings))
    doc.claim(plan.outgoing, run_id, location, stamp)
    doc.store(state)
    return plan


def _identity(event: Event) -> tuple[str, str, str]:
    return event.dedup_key, event.created_at, event.action


def _mark_delivered(state: State, delivered: set[tuple[str, str, str]], run_id: str) -> None:
    for alert in state.alerts.values():
        alert.undelivered = [e for e in alert.undelivered if _identity(e) not in delivered]
    doc = LocationsDoc.from_state(state)
    doc.release(run_id)
    doc.store(state)
    state.updated_at = now_iso()
