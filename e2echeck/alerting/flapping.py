"""An alert's recent history: flap detection and `failure_rate`.

Consecutive-run thresholds alone page a flapping endpoint on every change (with
`failure_threshold: 1`) or never (with 2 or more, since it never fails twice in
a row). So each alert remembers its last runs' signals (`AlertState.history`):

- **Flapping**: the share of the last `window` runs whose signal differs from
  the run before. Above `high` percent the alert starts flapping: one trigger
  that says so, then no event (no resolve, no trigger) while it flaps. Below
  `low` it stops, and the thresholds apply again: an open alert resolves after
  `success_threshold` passing runs. The share is judged once at least
  MIN_TRANSITIONS changes of run can be counted, over the runs seen so far when
  fewer than `window` (so a new check flapping is caught within a few runs).
- **failure_rate**: a failing run triggers when `failures` of the last `of`
  runs failed, consecutive or not.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise
from typing import Literal
from urllib.parse import urlsplit

from e2echeck.alerting.state import AlertState, AlertStatus
from e2echeck.alerting.transitions import (
    MAX_SUMMARY,
    ActionName,
    Signal,
    Transition,
    check_trigger,
    truncate,
)
from e2echeck.config.flapping import MAX_HISTORY
from e2echeck.config.models import Check, CheckSettings, Config
from e2echeck.redaction import Redactor

MIN_TRANSITIONS = 4  # changes of run counted before a share means anything
FLAPPING_DETAIL = "flapping"


def record(alert: AlertState, signal: Signal) -> None:
    alert.history = (alert.history + ("F" if signal == "fail" else "P"))[-MAX_HISTORY:]


def changes(history: str, window: int) -> tuple[int, int]:
    """(changes, runs compared) over the last `window` runs of `history`."""
    recent = history[-(window + 1) :]
    compared = max(len(recent) - 1, 0)
    return sum(1 for a, b in pairwise(recent) if a != b), compared


def apply_history(
    alert: AlertState,
    signal: Signal,
    settings: CheckSettings,
    decided: tuple[ActionName, str],
    prior: tuple[AlertStatus | None, str | None],
    now: str,
) -> tuple[ActionName, str, str | None]:
    """Record `signal`, then let flapping and `failure_rate` amend the decision
    the thresholds made (`decided`; `prior`: the alert's state before it).
    (action, note, the flapping text when this run's trigger says it flaps)."""
    action, note = decided
    record(alert, signal)
    flap = _flap(alert, settings)
    if flap == "start":
        changed, compared = changes(alert.history, _window(settings))
        alert.state, alert.changed_at = "open", now
        return "trigger", "", f"flapping: {changed} changes in the last {compared} runs"
    if flap == "flapping":
        alert.state, alert.changed_at = prior
        changed, compared = changes(alert.history, _window(settings))
        return "none", f"flapping ({changed} changes in the last {compared} runs)", None
    rate = settings.failure_rate
    if (
        rate is not None
        and action == "none"
        and signal == "fail"
        and alert.state != "open"
        and alert.history[-rate.of :].count("F") >= rate.failures
    ):
        alert.state, alert.changed_at = "open", now
        return "trigger", "", None
    return action, note, None


def _window(settings: CheckSettings) -> int:
    return settings.flapping.window if settings.flapping is not None else 0


def _flap(
    alert: AlertState, settings: CheckSettings
) -> Literal["start", "flapping", "stop"] | None:
    flapping = settings.flapping
    if flapping is None:
        was, alert.flapping = alert.flapping, False
        return "stop" if was else None
    changed, compared = changes(alert.history, flapping.window)
    share = 100 * changed / compared if compared >= MIN_TRANSITIONS else 0.0
    if not alert.flapping and share > flapping.high:
        alert.flapping = True
        return "start"
    if alert.flapping and share < flapping.low:
        alert.flapping = False
        return "stop"
    return "flapping" if alert.flapping else None


def flapping_trigger(
    config: Config,
    check: Check,
    failed: Transition | None,
    text: str,
    timestamp: str,
    redactor: Redactor,
) -> Transition:
    """The one trigger of a check that started flapping: its failure's trigger
    when this run failed, else one built from the check alone."""
    summary = f"{check.name} {text}"
    if failed is not None:
        details = {**failed.details, FLAPPING_DETAIL: text}
        return replace(
            failed, summary=truncate(redactor.text(summary), MAX_SUMMARY), details=details
        )
    url = check.first_url
    source = urlsplit(url).hostname or check.name
    trigger = check_trigger(
        config, check, url, source, timestamp, summary, {"check": check.name, FLAPPING_DETAIL: text}
    )
    return trigger.redacted(redactor)
