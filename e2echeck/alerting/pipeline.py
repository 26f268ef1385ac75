"""From a run's results to delivered transitions: observe, decide, send, record.

    report = send_alerts(config, run, dry_run=False, redactor=redactor)

The one entry point of alerting for a run, with or without `locations`: the
state strategy (`strategies.py`) decides how the state is read, decided on and
written; everything else (the run's redactor, maintenance, the stateless
fallback, the sinks, delivery, the report) is here, once. It never raises for
delivery or state problems: those end up in the report as undelivered events
and warnings.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from e2echeck.alerting.budget import apply_budget
from e2echeck.alerting.decisions import Decision, Routes, decide_stateless
from e2echeck.alerting.delivery import DeliveryPolicy, DeliveryResult, deliver
from e2echeck.alerting.results import AlertReport, build_report
from e2echeck.alerting.sinks.base import Pending, Sink
from e2echeck.alerting.sinks.pagerduty.sink import RoutingKeys
from e2echeck.alerting.sinks.registry import configured_sinks
from e2echeck.alerting.state import State
from e2echeck.alerting.strategies import Context, Located, Plan, Single, Strategy
from e2echeck.alerting.transitions import observe
from e2echeck.config.models import Config
from e2echeck.engine.results import RunResult
from e2echeck.maintenance import MaintenanceOptions, apply_maintenance
from e2echeck.redaction import Redactor


def send_alerts(
    config: Config,
    run: RunResult,
    *,
    dry_run: bool,
    redactor: Redactor,
    state_path: str | None = None,
    deadline: float | None = None,
    policy: DeliveryPolicy | None = None,
    maintenance: MaintenanceOptions | None = None,
    location: str | None = None,
) -> AlertReport:
    """Decide, send and record this run's transitions. Never raises for
    delivery or state problems: they are in the report (undelivered, warnings).

    `redactor`: the run's, which the runner builds once per run (the config's
    secrets plus those the run found); every event and report line goes through it.
    `dry_run` (--no-alert): decide and list the events, send nothing, leave the
    state untouched. `state_path` overrides `state.path` (--state). `deadline`
    is an absolute `time.monotonic()` value bounding every delivery attempt.
    `maintenance`: the clock and --ignore-maintenance for windows and silences
    (default: the real clock); checks in maintenance are marked in `run`.
    `location`: where this run ran, for a config with `locations`; ignored without.
    """
    context = Context(
        config, run, redactor, maintenance or MaintenanceOptions(), Routes(config), dry_run
    )
    path = state_path or (config.state.path if config.state else None)
    strategy: Strategy | None = None
    if path and config.locations is not None and location:
        strategy = Located(context, path, location)
    elif path:
        strategy = Single(context, path)
    with contextlib.ExitStack() as held:
        plan = strategy.plan(held) if strategy is not None else None
        if plan is None:
            plan = _stateless(context, strategy)
        sinks = configured_sinks(config, redactor)
        results = send(sinks, plan.outgoing, redactor, dry_run, deadline, policy, plan.warnings)
        if plan.changes and not dry_run:
            from e2echeck.alerting.change_events import ChangeEvent, send_change_events

            events = [ChangeEvent(text, {"source": "e2echeck"}) for text in plan.changes]
            plan.warnings.extend(send_change_events(config, events, redactor)[1])
        if strategy is not None and not dry_run:
            strategy.settle(plan, results)  # stateless too: see unrecorded.py
        report = build_report(
            plan.decisions,
            results,
            {id(p) for p in plan.old},
            dry_run,
            plan.stateful,
            plan.warnings,
            sinks,
        )
    report.state_failed = plan.state_failed
    if strategy is not None:
        strategy.finish(report, plan, results)
    return report


NOT_SENT_DEGRADED = "not sent (shared state unavailable: another location may hold it open)"


def _stateless(context: Context, strategy: Strategy | None) -> Plan:
    """Every failure seen triggers, every pass resolves: no state, or it failed
    (`strategy` then said why in a warning)."""
    config, run = context.config, context.run
    apply_maintenance(config, run, [], context.maintenance)
    decisions = decide_stateless(
        observe(config, run, context.redactor), context.send_resolve, context.redactor
    )
    degraded = strategy is not None and strategy.degraded
    if degraded:  # a page too many beats a silent outage: never resolve alone
        decisions = [
            Decision(d.observation, "none", NOT_SENT_DEGRADED) if d.action == "resolve" else d
            for d in decisions
        ]
    warnings = strategy.warnings if strategy is not None else _threshold_warnings(config, run)
    pending = context.route.pending(decisions)
    # Without state the budget holds within this run only.
    _, pending = apply_budget(
        config, State(), decisions, [], pending, context.redactor, RoutingKeys(config)
    )
    plan = Plan(decisions, [], pending, warnings=warnings)
    plan.state_failed = degraded
    return plan


def send(
    sinks: Mapping[str, Sink],
    pending: list[Pending],
    redactor: Redactor,
    dry_run: bool,
    deadline: float | None,
    policy: DeliveryPolicy | None,
    warnings: list[str],
) -> list[DeliveryResult]:
    """Deliver `pending`, each to its sink (with `dry_run`, send nothing and
    report each as not delivered); every configured sink adds its warnings."""
    for sink in sinks.values():
        warnings.extend(sink.warnings())
    if dry_run:
        return [DeliveryResult(item, False, 0, None) for item in pending]
    return deliver(pending, sinks, redactor=redactor, deadline=deadline, policy=policy)


def _threshold_warnings(config: Config, run: RunResult) -> list[str]:
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
