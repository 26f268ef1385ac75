"""How a run reads, decides on and writes the alert state: alone, or as one
location among several. The pipeline (pipeline.py) drives either the same way:

    plan = strategy.plan(held)      # None: the state failed; decide without it
    ... deliver plan.outgoing ...
    strategy.settle(plan, results)  # record what was delivered
    strategy.finish(report, plan, results)

`Single`: a local state file stays locked from reading to saving (overlapping
runs take turns instead of the last one overwriting the other's state); on S3
the write is conditional and keeps silences set meanwhile. A run with something
to deliver saves its decisions before delivering them, and again after (see
unrecorded.py: a save failing after delivery must not lose a page's record).

`Located` (a config with `locations`):
1. In one conditional write of the shared state (`locking.transact`): record
   this run's observations, decide every check from all locations' fresh
   observations, watch the other locations, and record the transitions as
   undelivered, "pending" by this location. A transition another location
   already recorded is "no change" here: it is never sent twice.
2. Deliver (outside any lock).
3. Only when something was sent: a second conditional write marks it
   delivered. A run with no transition reads once and writes once.
When the shared state cannot be read or written, the location decides alone,
as a run without state does (a failure it sees pages; the dedup key merges the
locations' triggers into one incident): a page too many beats a silent outage.
What it delivered alone is listed in a marker beside the shared state, which
the next run that can write it reconciles (unrecorded.py).
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from e2echeck._gc import gc_paused
from e2echeck.alerting import locations
from e2echeck.alerting.clocks import (
    SKEW_TOLERANCE,
    Freshness,
    age_of,
    offset_warnings,
    skew_warnings,
)
from e2echeck.alerting.decisions import Decision, Routes, decide_stateful, record
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
    load_tagged,
    locked,
    save_keeping_silences,
    transact,
)
from e2echeck.alerting.results import NOT_SENT_DRY_RUN, AlertReport
from e2echeck.alerting.sinks.base import Pending
from e2echeck.alerting.state import (
    S3StateStore,
    State,
    StateError,
    StateStore,
    now_iso,
    open_store,
)
from e2echeck.alerting.transitions import observe
from e2echeck.alerting.unrecorded import (
    Marker,
    clear_marker,
    read_marker,
    reconcile,
    reconciled,
    unsaved_warning,
    write_marker,
)
from e2echeck.config.models import Config
from e2echeck.engine.results import RunResult
from e2echeck.maintenance import MaintenanceOptions, apply_maintenance
from e2echeck.redaction import Redactor
from e2echeck.silences import active_silences

if TYPE_CHECKING:
    from e2echeck.alerting.delivery import DeliveryResult


@dataclass(frozen=True)
class Context:
    """What every step of one run's alerting shares."""

    config: Config
    run: RunResult
    redactor: Redactor
    maintenance: MaintenanceOptions
    route: Routes
    dry_run: bool

    @property
    def send_resolve(self) -> bool:
        pd = self.config.pagerduty
        return pd.send_resolve if pd else True


@dataclass
class Plan:
    """The decisions of a run and what it owes the sinks."""

    decisions: list[Decision]  # the ones the report shows
    old: list[Pending] = field(default_factory=list)  # kept from earlier runs, due now
    new: list[Pending] = field(default_factory=list)  # this run's transitions, per sink
    warnings: list[str] = field(default_factory=list)
    stateful: bool = False
    views: dict[str, QuorumView] = field(default_factory=dict)  # with locations
    silent: list[Decision] = field(default_factory=list)  # the watch on other locations
    state_failed: bool = False  # the state could not be saved (or shared): exit 3
    changes: list[str] = field(default_factory=list)  # change events due (change_events.py)

    @property
    def outgoing(self) -> list[Pending]:
        return [*self.old, *self.new]


class Strategy(Protocol):
    warnings: list[str]  # why the state could not be used, when it could not
    # The shared state could not be read or written: no alert is resolved (another
    # location may hold it open), failures still trigger, and the run fails.
    degraded: bool

    def plan(self, held: contextlib.ExitStack) -> Plan | None: ...

    def settle(self, plan: Plan, results: list[DeliveryResult]) -> None: ...

    def finish(self, report: AlertReport, plan: Plan, results: list[DeliveryResult]) -> None: ...


class Single:
    """One state for one run at a time."""

    def __init__(self, context: Context, path: str) -> None:
        self.context, self.path = context, path
        self.warnings: list[str] = []
        self.degraded = False  # a corrupt local state is a warning: see docs/alerting.md
        self.opened: StateStore | None = None  # even when it could not be read
        self.store: StateStore | None = None  # read: this run decides with it
        self.failure: StateError | None = None
        self.state = State()
        self.etag: str | None = None
        self.marker = Marker()
        self.ahead = False  # the decisions were saved before delivery (unrecorded.py)

    def plan(self, held: contextlib.ExitStack) -> Plan | None:
        c = self.context
        try:
            store = self.opened = open_store(self.path)
            if not c.dry_run:
                held.enter_context(locked(store))
            self.state, self.etag = load_tagged(store)
        except StateError as exc:
            self.failure = exc
            self.warnings.append(
                c.redactor.text(
                    f"state {self.path}: {exc}; running without state this run (every check "
                    "sends its event, thresholds do not apply); fix or delete the file"
                )
            )
            return None
        self.store = store
        state = self.state
        self.marker = marker_of(store, state, self.path, self.warnings, c.redactor)
        if self.marker.found:
            reconcile(state, self.marker)
            self.warnings.append(reconciled(self.path))
        held_keys = apply_maintenance(c.config, c.run, state.silences, c.maintenance)
        state.silences = active_silences(state.silences, c.maintenance.instant())
        observations = observe(c.config, c.run, c.redactor)
        decisions, old, new = decide_stateful(
            c.config, observations, state, c.send_resolve, c.redactor, c.route, held_keys
        )
        plan = Plan(decisions, old, new, self.warnings, stateful=True, changes=state.changes)
        if plan.outgoing and not c.dry_run:
            self.write_ahead(store)
        return plan

    def write_ahead(self, store: StateStore) -> None:
        """Save the decisions before delivering them: a save failing after
        delivery then leaves a state that holds them (unrecorded.py). Only a run
        with something to deliver pays this second write."""
        self.state.updated_at = now_iso()
        try:
            save_keeping_silences(store, self.state, self.etag)
        except StateError:
            return  # delivered all the same; the save after delivery tells
        self.ahead = True
        self.etag = store.written if isinstance(store, S3StateStore) else None
        clear_marker(store, self.marker)  # the saved state holds the reconciliation

    def settle(self, plan: Plan, results: list[DeliveryResult]) -> None:
        c = self.context
        if self.store is None:
            self.unread(plan, results)
            return
        delivered = [r.item for r in results if r.delivered]
        record(self.state, delivered, c.config, plan.warnings, c.redactor)
        try:
            save_keeping_silences(self.store, self.state, self.etag)
        except StateError as exc:
            plan.state_failed = True
            how = "ahead" if self.ahead else None
            if how is None and write_marker(self.store, self.marker, results):
                how = "marked"
            plan.warnings.append(c.redactor.text(unsaved_warning(self.path, exc, results, how)))
            return
        if not self.ahead:
            clear_marker(self.store, self.marker)

    def unread(self, plan: Plan, results: list[DeliveryResult]) -> None:
        """The state could not be read: on S3 a marker makes the next run reconcile
        what this stateless run triggered (a local file is left as it is: see
        docs/alerting.md)."""
        if not isinstance(self.opened, S3StateStore) or self.failure is None:
            return
        if not any(r.delivered for r in results):
            return
        how = "marked" if write_marker(self.opened, Marker(), results) else None
        plan.warnings.append(
            self.context.redactor.text(unsaved_warning(self.path, self.failure, results, how))
        )

    def finish(self, report: AlertReport, plan: Plan, results: list[DeliveryResult]) -> None:
        return None


def marker_of(
    store: StateStore, state: State, path: str, warnings: list[str], redactor: Redactor
) -> Marker:
    """What an earlier run left to reconcile; none (with a warning) when unreadable."""
    try:
        return read_marker(store, state)
    except StateError as exc:
        warnings.append(
            redactor.text(
                f"state {path}: {exc}; events an earlier run delivered but could not record "
                "are not reconciled this run"
            )
        )
        return Marker()


class Located:
    """One location among several, deciding together through the shared state."""

    def __init__(
        self,
        context: Context,
        path: str,
        location: str,
        conflicts: ConflictPolicy = DEFAULT_CONFLICT_POLICY,
    ) -> None:
        self.context, self.path, self.location = context, path, location
        self.conflicts = conflicts
        self.warnings: list[str] = []
        self.degraded = False
        self.opened: StateStore | None = None  # even when it could not be read
        self.store: StateStore | None = None
        self.failure: StateError | None = None
        self.marker = Marker()
        self.run_id = uuid.uuid4().hex
        self.now = locations.clock()  # the module's: tests replace it

    def plan(self, held: contextlib.ExitStack) -> Plan | None:
        c = self.context

        def decide(state: State) -> Plan:
            if self.marker.found:
                reconcile(state, self.marker)
            now, offset = shared_time(opened, self.now)
            return plan_run(c, state, self.location, now, self.run_id, offset)

        store: StateStore | None = None
        try:
            store = opened = self.opened = open_store(self.path)
            self.marker = marker_of(store, State(), self.path, self.warnings, c.redactor)
            with gc_paused():
                plan = (
                    decide(store.load()) if c.dry_run else transact(store, decide, self.conflicts)
                )
        except StateError as exc:
            self.degraded, self.failure = True, exc
            self.warnings.append(
                c.redactor.text(
                    f"state {self.path}: {exc}; the shared state is unavailable, so location "
                    f"{self.location} decides alone this run: every failure seen here sends "
                    "its trigger and no alert is resolved (another location may hold it open)"
                )
            )
            offset = shared_time(store, self.now)[1] if store is not None else None
            if offset is not None:  # S3 refuses requests signed 15 minutes off its time
                skewed = offset_warnings({self.location: offset}, refused=True)
                self.warnings.extend(c.redactor.text(w) for w in skewed)
            return None
        self.store = store
        plan.warnings[:0] = self.warnings
        if self.marker.found:
            plan.warnings.append(reconciled(self.path))
            if not c.dry_run:
                clear_marker(store, self.marker)  # the shared state holds the reconciliation
        return plan

    def settle(self, plan: Plan, results: list[DeliveryResult]) -> None:
        if self.store is None:
            self.unshared(plan, results)
            return
        if not plan.outgoing:
            return
        delivered = {identity(r.item) for r in results if r.delivered}
        try:
            transact(
                self.store,
                lambda state: mark_delivered(state, delivered, self.run_id),
                self.conflicts,
            )
        except StateError as exc:
            plan.state_failed = True
            plan.warnings.append(
                self.context.redactor.text(unsaved_warning(self.path, exc, results, "ahead"))
            )

    def unshared(self, plan: Plan, results: list[DeliveryResult]) -> None:
        """The shared state on S3 could not be read or written: a marker beside it
        makes the next run that can reconcile what this location triggered alone
        (a shared local file, unreadable, is left as it is for you to inspect)."""
        if not isinstance(self.opened, S3StateStore) or self.failure is None:
            return
        if not any(r.delivered for r in results):
            return
        how = "marked" if write_marker(self.opened, self.marker, results) else None
        plan.warnings.append(
            self.context.redactor.text(unsaved_warning(self.path, self.failure, results, how))
        )

    def finish(self, report: AlertReport, plan: Plan, results: list[DeliveryResult]) -> None:
        report.location = self.location
        for name, view in plan.views.items():
            if name in report.checks:
                report.checks[name] = replace(report.checks[name], locations=view.to_json())
        by_transition: dict[int, list[DeliveryResult]] = {}
        for r in results:
            by_transition.setdefault(id(r.transition), []).append(r)
        for decision in plan.silent:
            mine = by_transition.get(id(decision.transition), []) if decision.transition else []
            status = decision.note
            if mine:
                result = next((r for r in mine if not r.delivered), mine[0])
                status = "delivered" if result.delivered else f"failed: {result.error}"
                status = NOT_SENT_DRY_RUN if self.context.dry_run else status
            report.silent[decision.observation.name] = f"{decision.action}, {status}"


def shared_time(store: StateStore, own: datetime) -> tuple[datetime, float | None]:
    """The run's now: S3's time when the last read of the shared state gave it
    (clocks.SharedClock), with this location's clock minus it; else this
    location's own clock, and None (ages are then judged by the write count)."""
    shared = store.shared_clock if isinstance(store, S3StateStore) else None
    if shared is None:
        return own, None
    now = shared.now()
    return now, (locations.clock() - now).total_seconds()


def plan_run(
    context: Context,
    state: State,
    location: str,
    now: datetime,
    run_id: str,
    offset: float | None = None,
) -> Plan:
    """Record this run's observations in `state` and decide every alert from
    all locations' (no I/O: `transact` may run it again on a newer state).
    `offset` is this location's clock minus the shared one `now` comes from
    (None: `now` is this location's own clock).

    Maintenance windows and the shared silences apply as without locations: a
    check in maintenance here is held (every location reads the same windows
    and silences, by the shared clock when there is one), its observation still
    recorded as what it was."""
    config, run, redactor = context.config, context.run, context.redactor
    settings = config.locations
    assert settings is not None
    maintenance = context.maintenance
    if offset is not None and maintenance.now is None:
        maintenance = replace(maintenance, now=now)
    in_maintenance = apply_maintenance(config, run, state.silences, maintenance)
    state.silences = active_silences(state.silences, maintenance.instant())
    observations = observe(config, run, redactor)
    stamp = now.isoformat()
    own = own_observations(run, redactor, stamp)
    doc = LocationsDoc.from_state(state)
    fresh = freshness(doc, location, now, settings.max_age, len(settings.expected))
    doc.record(location, own, stamp, config)
    doc.seen[location].offset = offset
    open_keys = frozenset(k for k, alert in state.alerts.items() if alert.state == "open")
    found, views = located_observations(
        config, observations, doc, location, now, redactor, open_keys, in_maintenance, fresh
    )
    watch = watch_observations(config, doc, state, location, now, redactor, fresh)
    decisions, old, new = decide_stateful(
        config,
        [*found, *watch],
        state,
        context.send_resolve,
        redactor,
        context.route,
        in_maintenance,
    )
    claimed = doc.claimed_by_others(run_id, now, settings.max_age)
    old = [p for p in old if (p.transition.dedup_key, p.transition.created_at) not in claimed]
    shown = [d for d in decisions if not d.observation.name.startswith(WATCH_PREFIX)]
    silent = [d for d in decisions if d.observation.name.startswith(WATCH_PREFIX)]
    plan = Plan(shown, old, new, stateful=True, views=views, silent=silent, changes=state.changes)
    reports = {n: (r.at, r.seq) for n, r in doc.seen.items() if n != location}
    skewed = skew_warnings(location, reports, fresh, shared=offset is not None)
    plan.warnings.extend(redactor.text(w) for w in skewed)
    offsets = {
        n: r.offset
        for n, r in doc.seen.items()
        if r.offset is not None and (n == location or fresh.fresh(r.at, r.seq))
    }
    plan.warnings.extend(redactor.text(w) for w in offset_warnings(offsets))
    record(state, [], config, plan.warnings, redactor, also_known=known_keys(settings))
    doc.claim(plan.outgoing, run_id, location, stamp)
    doc.store(state)
    return plan


def freshness(
    doc: LocationsDoc, location: str, now: datetime, max_age: float, window: int
) -> Freshness:
    """This run's judge of the other locations' ages (clocks.py): a report written
    after this location's previous write, itself within max_age by this clock, is
    fresh whatever its stamp. Without such a write (a first run, or a clock that
    jumped back), the last `window` writes (one round of every location) are; a
    previous write older than max_age means this location was away: the clock
    judges."""
    previous = doc.seen.get(location)
    if previous is None or previous.seq is None:
        return Freshness(now, max_age, max(0, doc.seq - window))
    age = age_of(previous.at, now)
    if age < -SKEW_TOLERANCE:
        return Freshness(now, max_age, max(0, doc.seq - window))
    return Freshness(now, max_age, previous.seq if age <= max_age else None)


def identity(pending: Pending) -> tuple[str, str, str, str]:
    """What names a pending transition across re-reads of the shared state."""
    t = pending.transition
    return pending.sink, t.dedup_key, t.created_at, t.action


def mark_delivered(state: State, delivered: set[tuple[str, str, str, str]], run_id: str) -> None:
    """Drop the delivered transitions (by `identity`) and the run's claims."""
    for alert in state.alerts.values():
        alert.undelivered = [p for p in alert.undelivered if identity(p) not in delivered]
    doc = LocationsDoc.from_state(state)
    doc.release(run_id)
    doc.store(state)
    state.updated_at = now_iso()
