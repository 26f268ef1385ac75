"""One run, start to finish: the engine, then alerting, then the heartbeat.

The CLI and the Lambda handler both `prepare` a run (the selected checks, the
location, the run's redactor: resolved once, here) and then execute it; neither
knows how checks run or how events are delivered. `execute` does both at once.
"""

from __future__ import annotations

import os
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from e2echeck import exit_codes
from e2echeck.config import did_you_mean
from e2echeck.config.loader import ConfigError, Problem
from e2echeck.config.models import Check, Config
from e2echeck.config.redact import config_redactor
from e2echeck.config.routing_keys import shape_problem
from e2echeck.defaults import DEFAULT_CONCURRENCY
from e2echeck.engine.results import CheckResult, RunResult
from e2echeck.errors import LocationError as LocationError
from e2echeck.errors import SelectionError as SelectionError
from e2echeck.redaction import Redactor

if TYPE_CHECKING:
    from e2echeck.alerting import AlertReport, CheckAlert


@dataclass
class RunOptions:
    only: Sequence[str] = ()  # check names or globs
    tags: Sequence[str] = ()
    concurrency: int = DEFAULT_CONCURRENCY
    deadline: float | None = None  # seconds from the start of the run, for the checks
    # Seconds from the start of the run by which events must be delivered.
    # None: `deadline` plus DELIVERY_GRACE (no limit when there is no deadline).
    delivery_deadline: float | None = None
    alert: bool = True  # False: --no-alert, build the events but send nothing
    state_path: str | None = None  # overrides config.state.path
    ignore_maintenance: bool = False  # run as if no maintenance window or silence were active
    now: datetime | None = None  # the instant windows and silences are judged at (None: now)
    location: str | None = None  # --location; else $E2ECHECK_LOCATION, else $AWS_REGION


# Checks cut at --deadline still need their events delivered: delivery gets
# this much longer, unless the caller (the Lambda handler) sets its own bound.
DELIVERY_GRACE = 30.0


@dataclass
class RunOutcome:
    run: RunResult
    exit_code: int
    # The run's one redactor: the config's secrets and those the run found (secret
    # captures, tokens in responses). Everything shown about the run goes through it.
    redactor: Redactor
    alerts: Mapping[str, CheckAlert] | None = None  # by check name
    alert_report: AlertReport | None = None
    heartbeat_warning: str | None = None


LOCATION_ENV = "E2ECHECK_LOCATION"


def run_location(
    config: Config, explicit: str | None, environ: Mapping[str, str] | None = None
) -> str | None:
    """Where this run runs: `explicit` (--location), else $E2ECHECK_LOCATION,
    else $AWS_REGION (set in Lambda). With `locations`, LocationError unless it
    is one of `locations.expected`; without, the name is only shown."""
    env = os.environ if environ is None else environ
    name = explicit or env.get(LOCATION_ENV) or env.get("AWS_REGION") or None
    settings = config.locations
    if settings is None:
        return name
    expected = ", ".join(settings.expected)
    if name is None:
        raise LocationError(
            f"{config.source}: locations are configured but this run has no location name; "
            f"pass --location NAME or set ${LOCATION_ENV} (one of: {expected})"
        )
    if name not in settings.expected:
        raise LocationError(
            f"{config.source}: location {name!r} is not in locations.expected ({expected}); "
            "add it there or run with one of those names"
        )
    return name


def select_checks(
    config: Config, only: Sequence[str] = (), tags: Sequence[str] = ()
) -> list[Check]:
    """The enabled checks matching any --only (a name or a glob) and any --tag.

    Given both, a check must match both. Control checks stay in whenever a
    service check is selected: without them a cut-off checker would page for
    every service. So do the checks a selected one `depends_on`. Every --only
    and --tag must match some enabled check."""
    enabled = [c for c in config.checks if c.enabled]
    if not only and not tags:
        return enabled
    names = [c.name for c in enabled]
    for pattern in only:
        if not any(name == pattern or fnmatchcase(name, pattern) for name in names):
            raise SelectionError(
                f"--only {pattern!r} matches no enabled check{did_you_mean(pattern, names)}"
            )
    known_tags = sorted({t for c in enabled for t in c.tags})
    for tag in tags:
        if tag not in known_tags:
            raise SelectionError(
                f"--tag {tag!r} is on no enabled check{did_you_mean(tag, known_tags)}"
            )
    wanted_tags = set(tags)

    def chosen(check: Check) -> bool:
        by_name = not only or any(
            check.name == pattern or fnmatchcase(check.name, pattern) for pattern in only
        )
        by_tag = not tags or bool(wanted_tags.intersection(check.tags))
        return by_name and by_tag

    selected = {c.name for c in enabled if chosen(c)}
    if not selected:
        raise SelectionError("no enabled check matches both --only and --tag")
    if any(not c.is_control for c in enabled if c.name in selected):
        selected.update(c.name for c in enabled if c.is_control)
    selected.update(_dependencies(enabled, selected))
    return [c for c in enabled if c.name in selected]


def _dependencies(enabled: Sequence[Check], selected: set[str]) -> set[str]:
    """The enabled checks that `selected` depends on, directly or not: without
    them a failing dependency could not suppress its dependents' pages."""
    by_name = {c.name: c for c in enabled}
    found: set[str] = set()
    todo = [d for name in selected for d in by_name[name].depends_on]
    while todo:
        name = todo.pop()
        if name in found or name in selected or name not in by_name:
            continue
        found.add(name)
        todo.extend(by_name[name].depends_on)
    return found


def run_exit_code(run: RunResult, *, undelivered: bool = False) -> int:
    """0 every check passed (a failure in maintenance counts as passed: it is
    planned); 1 a check failed, is unknown or was skipped by the deadline; 3 an
    event could not be delivered (3 wins over 1)."""
    if undelivered:
        return exit_codes.UNDELIVERED
    if run.ok:
        return exit_codes.OK
    return exit_codes.CHECK_FAILED


@dataclass(frozen=True)
class PreparedRun:
    """A run whose selection, location and redactor are resolved, not yet started.

    The CLI sizes its progress line from `checks` and the Lambda handler labels
    its log lines with `location` before calling `execute`."""

    config: Config
    options: RunOptions  # `location` resolved
    checks: Sequence[Check]
    # The config's secrets; the outcome's redactor adds those the run finds.
    redactor: Redactor

    @property
    def location(self) -> str | None:
        return self.options.location

    def execute(
        self,
        *,
        on_result: Callable[[CheckResult], None] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> RunOutcome:
        """Run the checks, then hand the results to alerting, then the heartbeat."""
        from e2echeck.engine import run_checks

        started = time.monotonic()
        config, options = self.config, self.options
        run = run_checks(
            config,
            checks=self.checks,
            concurrency=options.concurrency,
            deadline=options.deadline,
            on_result=on_result,
            ssl_context=ssl_context,
        )
        redactor = self.redactor.with_secrets(run.secrets)
        report = deliver_alerts(config, run, options, started=started, redactor=redactor)
        heartbeat_warning = None
        if options.alert and config.heartbeat is not None:
            from e2echeck.alerting import ping_heartbeat

            heartbeat_warning = ping_heartbeat(config, redactor=redactor)
        return RunOutcome(
            run=run,
            exit_code=run_exit_code(run, undelivered=report.undelivered > 0 or report.state_failed),
            redactor=redactor,
            alerts=report.checks,
            alert_report=report,
            heartbeat_warning=heartbeat_warning,
        )


def prepare(config: Config, options: RunOptions) -> PreparedRun:
    """Resolve what the run will do, before anything runs.

    SelectionError when --only/--tag select nothing; LocationError when
    `locations` are configured and the run's location is missing or unknown;
    ConfigError when alerts are to be sent and a routing key is missing."""
    checks = select_checks(config, options.only, options.tags)
    location = run_location(config, options.location)
    if location != options.location:
        options = replace(options, location=location)
    if options.alert:
        problems = alerting_problems(config, checks)
        if problems:
            raise ConfigError(problems)
    return PreparedRun(config, options, checks, config_redactor(config))


def execute(
    config: Config,
    options: RunOptions,
    *,
    on_result: Callable[[CheckResult], None] | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> RunOutcome:
    """`prepare` the run, then execute it (its errors are `prepare`'s)."""
    return prepare(config, options).execute(on_result=on_result, ssl_context=ssl_context)


def deliver_alerts(
    config: Config,
    run: RunResult,
    options: RunOptions,
    *,
    started: float,
    redactor: Redactor,
) -> AlertReport:
    """The only place a run meets PagerDuty: build one event per check, apply
    state, and send them (or, with --no-alert, only build them)."""
    from e2echeck.alerting import send_alerts
    from e2echeck.maintenance import MaintenanceOptions

    if options.delivery_deadline is not None:
        deadline: float | None = started + options.delivery_deadline
    elif options.deadline is not None:
        deadline = started + options.deadline + DELIVERY_GRACE
    else:
        deadline = None
    return send_alerts(
        config,
        run,
        dry_run=not options.alert,
        state_path=options.state_path,
        deadline=deadline,
        maintenance=MaintenanceOptions(options.now, options.ignore_maintenance),
        location=options.location,
        redactor=redactor,
    )


def alerting_problems(config: Config, checks: Sequence[Check]) -> list[Problem]:
    """Why events could not be sent for these checks: a missing routing key is a
    config error before anything runs, never a silent skip (only for checks whose
    `notify` includes pagerduty: a file without any needs no pagerduty section)."""
    paging = [c for c in checks if "pagerduty" in config.notify_for(c)]
    if not paging:
        return []
    problems = list(config.unset_routing_keys)
    if problems:
        return problems
    missing = [c.name for c in paging if not config.routing_key_for(c)]
    if missing:
        names = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        problems.append(
            Problem(
                config.source,
                1,
                1,
                "pagerduty.routing_key",
                f"no routing key for {names}; set pagerduty.routing_key "
                "(e.g. ${PAGERDUTY_ROUTING_KEY}) or the check's routing_key, "
                "or run with --no-alert",
            )
        )
    return problems or _routing_key_shapes(config, paging)


def _routing_key_shapes(config: Config, paging: Sequence[Check]) -> list[Problem]:
    """Routing keys that PagerDuty would refuse, checked once resolved (from the
    environment or a secret reference), at the place each is written: a clear
    error before the run, never a rejected page."""
    problems: dict[tuple[str, int, int], Problem] = {}
    for check in paging:
        key = config.routing_key_for(check)
        message = shape_problem(key) if key else None
        if message is not None:
            place = config.routing_key_place(check)
            problems.setdefault(
                (place.file, place.line, place.column), replace(place, message=message)
            )
    return list(problems.values())
