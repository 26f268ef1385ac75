"""`e2echeck run --metrics PATH`: the Prometheus text format, for node_exporter's
textfile collector.

prometheus_client writes it (`write_to_textfile` writes a temporary file and
renames it over PATH, so the collector never reads half a file). It is an
optional dependency (the `metrics` extra): about 200 KB installed, no
dependencies of its own, 50 to 120 ms to import, paid only with --metrics.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from e2echeck.engine.results import Outcome

if TYPE_CHECKING:
    from e2echeck.config.models import Config
    from e2echeck.redaction import Redactor
    from e2echeck.runner import RunOutcome


class MetricsUnavailable(Exception):
    """prometheus_client is not installed."""


def require_prometheus() -> None:
    """Fail before the run, not after it, when the writer is missing."""
    try:
        import prometheus_client  # noqa: F401
    except ImportError:
        raise MetricsUnavailable(
            "prometheus_client is not installed "
            "(install e2echeck with its metrics extra, or pip install prometheus_client)"
        ) from None


def write_prometheus(
    path: str | os.PathLike[str],
    config: Config,
    outcome: RunOutcome,
    *,
    redactor: Redactor,
    state_path: str | None = None,
) -> None:
    """Write this run's metrics to `path`, replacing the file atomically.

    Every check has `e2echeck_check_outcome`, 1 for its outcome (ok, failed,
    maintenance, unknown, skipped) and 0 for the others, so that planned work
    and a cut-off checker are visible and never read as a failure. Success is
    written only for checks that passed or failed (never 0 for a failure in
    maintenance); duration and attempts for every check that ran. With alert
    state, `e2echeck_alert_open` says which alerts the state holds open.
    """
    from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

    registry = CollectorRegistry()
    success = Gauge(
        "e2echeck_check_success",
        "1 if the check passed, 0 if it failed",
        ["check"],
        registry=registry,
    )
    duration = Gauge(
        "e2echeck_check_duration_seconds",
        "Duration of the check's last attempt",
        ["check"],
        registry=registry,
    )
    attempts = Gauge(
        "e2echeck_check_attempts",
        "Attempts the check made in the run",
        ["check"],
        registry=registry,
    )
    outcomes = Gauge(
        "e2echeck_check_outcome",
        "1 for the check's outcome in the last run (ok, failed, maintenance, unknown, "
        "skipped), 0 for the others",
        ["check", "outcome"],
        registry=registry,
    )
    last_run = Gauge(
        "e2echeck_last_run_timestamp_seconds", "When the last run finished", registry=registry
    )
    run = outcome.run
    label: Callable[[str], str] = redactor.text
    for result in run.results:
        for outcome_value in Outcome:
            is_it = 1 if result.outcome is outcome_value else 0
            outcomes.labels(label(result.name), str(outcome_value)).set(is_it)
        if result.outcome is Outcome.SKIPPED:
            continue
        if result.outcome in (Outcome.OK, Outcome.FAILED):
            success.labels(label(result.name)).set(1 if result.ok else 0)
        duration.labels(label(result.name)).set(result.duration_ms / 1000.0)
        attempts.labels(label(result.name)).set(result.attempts)
    last_run.set(run.finished_at.timestamp())
    alerts = _open_alerts(config, outcome, state_path)
    if alerts is not None:
        open_alert = Gauge(
            "e2echeck_alert_open",
            "1 if the alert state holds the alert open in PagerDuty, else 0",
            ["dedup_key", "check"],
            registry=registry,
        )
        for key, (check, is_open) in sorted(alerts.items()):
            open_alert.labels(label(key), label(check)).set(1 if is_open else 0)
    write_to_textfile(os.fspath(path), registry)


def _open_alerts(
    config: Config, outcome: RunOutcome, state_path: str | None
) -> dict[str, tuple[str, bool]] | None:
    """dedup key -> (check, open) from the state as the run left it; None without state."""
    report = outcome.alert_report
    location = state_path or (config.state.path if config.state else None)
    if report is None or not report.stateful or not location:
        return None
    from e2echeck.alerting.state import StateError, open_store

    try:
        state: Any = open_store(location).load()
    except StateError:
        return None
    return {key: (alert.check or "", alert.state == "open") for key, alert in state.alerts.items()}
