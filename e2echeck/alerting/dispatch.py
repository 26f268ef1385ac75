"""From a run's results to delivered events: observe, decide, send, record.

    report = send_alerts(config, run, dry_run=False, state_path=None, deadline=None)

The one entry point of alerting for a run. It reads and saves the state (when
configured), looks each event's routing key up from the config at the last
moment, and never raises for delivery or state problems: those end up in the
report as undelivered events and warnings.
"""

from __future__ import annotations

import contextlib
import ipaddress
from urllib.parse import urlsplit

from e2echeck.alerting.decisions import decide_stateful, decide_stateless, record
from e2echeck.alerting.delivery import DeliveryPolicy, DeliveryResult, Outgoing, deliver
from e2echeck.alerting.events import Event, observe
from e2echeck.alerting.locking import load_tagged, locked, save_keeping_silences
from e2echeck.alerting.results import AlertReport, build_report
from e2echeck.alerting.state import State, StateError, StateStore, open_store
from e2echeck.config.models import Check, Config
from e2echeck.engine.results import RunResult
from e2echeck.maintenance import MaintenanceOptions, apply_maintenance
from e2echeck.redaction import Redactor, run_redactor
from e2echeck.silences import active_silences

DEFAULT_ENQUEUE_URL = "https://events.pagerduty.com/v2/enqueue"


def send_alerts(
    config: Config,
    run: RunResult,
    *,
    dry_run: bool,
    state_path: str | None = None,
    deadline: float | None = None,
    policy: DeliveryPolicy | None = None,
    maintenance: MaintenanceOptions | None = None,
    location: str | None = None,
) -> AlertReport:
    """Decide, send and record this run's PagerDuty events. Never raises for
    delivery or state problems: they are in the report (undelivered, warnings).

    `dry_run` (--no-alert): decide and list the events, send nothing, leave the
    state untouched. `state_path` overrides `state.path` (--state). `deadline`
    is an absolute `time.monotonic()` value bounding every delivery attempt.
    `maintenance`: the clock and --ignore-maintenance for windows and silences
    (default: the real clock); checks in maintenance are marked in `run`.
    `location`: where this run ran, for a config with `locations` (see
    located_dispatch); ignored without.

    A local state file stays locked from reading to saving: overlapping runs
    take turns instead of the last one overwriting the other's state.
    """
    path = state_path or (config.state.path if config.state else None)
    if config.locations is not None and location and path:
        from e2echeck.alerting.located_dispatch import send_located_alerts

        return send_located_alerts(
            config,
            run,
            location=location,
            state_path=path,
            dry_run=dry_run,
            deadline=deadline,
            policy=policy,
            maintenance=maintenance or MaintenanceOptions(),
        )
    with contextlib.ExitStack() as held:
        return _send_alerts(config, run, dry_run, path, deadline, policy, maintenance, held)


def _send_alerts(
    config: Config,
    run: RunResult,
    dry_run: bool,
    location: str | None,
    deadline: float | None,
    policy: DeliveryPolicy | None,
    maintenance: MaintenanceOptions | None,
    held: contextlib.ExitStack,
) -> AlertReport:
    redactor = run_redactor(config, run)
    warnings: list[str] = []
    pd = config.pagerduty
    send_resolve = pd.send_resolve if pd else True

    store: StateStore | None = None
    state: State | None = None
    etag: str | None = None
    if location:
        try:
            store = open_store(location)
            if not dry_run:
                held.enter_context(locked(store))
            state, etag = load_tagged(store)
        except StateError as exc:
            store = None
            warnings.append(
                redactor.text(
                    f"state {location}: {exc}; running without state this run (every check "
                    "sends its event, thresholds do not apply); fix or delete the file"
                )
            )
    maintenance = maintenance or MaintenanceOptions()
    in_maintenance = apply_maintenance(config, run, state.silences if state else [], maintenance)
    if state is not None:  # expired silences leave the state with this run's write
        state.silences = active_silences(state.silences, maintenance.instant())
    observations = observe(config, run, redactor)
    if state is None:
        warnings.extend(_threshold_warnings(config, run, location is not None))
        decisions = decide_stateless(observations, send_resolve, redactor)
        queue = [d.event for d in decisions if d.event is not None]
        old: list[Event] = []
    else:
        decisions, old = decide_stateful(
            config, observations, state, send_resolve, redactor, in_maintenance
        )
        queue = [*old, *(d.event for d in decisions if d.event is not None)]

    results = send_events(config, queue, redactor, dry_run, deadline, policy, warnings)

    if state is not None and store is not None and not dry_run:
        delivered = [r.event for r in results if r.delivered]
        record(state, delivered, config, warnings, redactor)
        try:
            save_keeping_silences(store, state, etag)
        except StateError as exc:
            warnings.append(
                redactor.text(
                    f"state {location}: {exc}; this run's alert state and undelivered "
                    "events are not saved"
                )
            )

    old_ids = set(map(id, old))
    return build_report(decisions, results, old_ids, dry_run, state is not None, warnings)


def send_events(
    config: Config,
    events: list[Event],
    redactor: Redactor,
    dry_run: bool,
    deadline: float | None,
    policy: DeliveryPolicy | None,
    warnings: list[str],
) -> list[DeliveryResult]:
    """Send `events`, each to its routing key (with `dry_run`, send nothing and
    report each as not delivered); a plain-http events URL adds a warning."""
    pd = config.pagerduty
    enqueue_url = pd.enqueue_url if pd else DEFAULT_ENQUEUE_URL
    warnings.extend(_url_warnings(enqueue_url))
    routing_key = RoutingKeys(config)
    outgoing = [Outgoing(event, routing_key(event)) for event in events]
    if dry_run:
        return [DeliveryResult(item.event, False, 0, None) for item in outgoing]
    return deliver(outgoing, enqueue_url, redactor=redactor, deadline=deadline, policy=policy)


class RoutingKeys:
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
