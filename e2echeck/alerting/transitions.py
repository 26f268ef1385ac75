"""What a run means for its alerts: one observation per alert, and the neutral
transitions (trigger or resolve) that sinks turn into their own wire formats.

Pure data: nothing here sends, stores or knows a wire format. A transition is
built from a CheckResult's kind-neutral face only (check, outcome, reasons,
attempts, latency, target, source, details), and every string in it has passed
through the run's Redactor before anything else sees it.
"""

from __future__ import annotations

import hashlib
import socket
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from e2echeck.config.models import Check, Config
from e2echeck.engine.results import CheckResult, Outcome, RunResult
from e2echeck.redaction import Redactor

CONTROL_DEDUP_KEY = "e2echeck-control"
STORM_PREFIX = "e2echeck-storm-"  # a storm alert's key: this, then its routing key's hash
MAX_SUMMARY = 1024
MAX_BODY_EXCERPT_BYTES = 2048

Action = Literal["trigger", "resolve"]
ActionName = Literal["trigger", "resolve", "none"]  # what a decision does this run
Signal = Literal["fail", "pass"]


@dataclass
class Transition:
    """An alert changes state: what every sink needs to say so, in no sink's format.

    `dedup_key` and `check` identify the alert and stay as configured (state and
    routing look them up); a sink redacts the key when it writes it out.

    `check` is None for the alerts about the checker itself (the control alert,
    a silent location). A resolve carries its key, its check and a summary; the
    rest stays empty.
    """

    action: Action
    dedup_key: str
    check: str | None
    summary: str = ""
    severity: str = ""
    source: str = ""  # the host that was checked (or the checker's own)
    timestamp: str = ""  # when the failure was seen
    component: str = ""
    group: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    links: list[dict[str, str]] = field(default_factory=list)
    created_at: str = field(default_factory=lambda: _now_iso())

    def to_json(self) -> dict[str, Any]:
        """The transition as a webhook posts it and the state stores it."""
        return {
            "action": self.action,
            "dedup_key": self.dedup_key,
            "check": self.check,
            "summary": self.summary,
            "severity": self.severity or None,
            "source": self.source or None,
            "timestamp": self.timestamp or None,
            "component": self.component or None,
            "group": self.group,
            "details": self.details,
            "links": self.links,
            "created_at": self.created_at,
        }

    @classmethod
    def from_json(cls, data: Any) -> Transition:
        """The inverse of `to_json`; ValueError when `data` is not one."""
        if not isinstance(data, dict):
            raise ValueError("a transition must be an object")
        action, key, check = data.get("action"), data.get("dedup_key"), data.get("check")
        if action not in ("trigger", "resolve"):
            raise ValueError(f"unknown action {action!r}")
        if not isinstance(key, str) or not key:
            raise ValueError("a transition needs a dedup_key")
        if check is not None and not isinstance(check, str):
            raise ValueError("a transition's check must be a name")
        created = data.get("created_at")
        if not isinstance(created, str):
            raise ValueError("a transition needs created_at")
        details, links = data.get("details") or {}, data.get("links") or []
        if not isinstance(details, dict) or not isinstance(links, list):
            raise ValueError("details must be an object and links a list")
        group = data.get("group")
        return cls(
            action=action,
            dedup_key=key,
            check=check,
            summary=_text(data.get("summary")),
            severity=_text(data.get("severity")),
            source=_text(data.get("source")),
            timestamp=_text(data.get("timestamp")),
            component=_text(data.get("component")),
            group=group if isinstance(group, str) else None,
            details=details,
            links=[link for link in links if isinstance(link, dict)],
            created_at=created,
        )

    def redacted(self, redactor: Redactor) -> Transition:
        """Every string redacted (keys too), then the size limits applied.

        Redaction comes first: truncating first could cut a secret in two, and
        the half left in the text would no longer match."""
        details = redactor.data(self.details)
        if isinstance(details.get("body_excerpt"), str):
            details["body_excerpt"] = truncate_bytes(
                details["body_excerpt"], MAX_BODY_EXCERPT_BYTES
            )
        return replace(
            self,
            summary=truncate(redactor.text(self.summary), MAX_SUMMARY),
            source=redactor.text(self.source),
            component=redactor.text(self.component),
            group=None if self.group is None else redactor.text(self.group),
            details=details,
            links=redactor.data(self.links),
        )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class Observation:
    """What one run says about one alert: a check's, or the control alert.

    `signal` is None when the run says nothing about it (unknown, skipped, a
    control check's own result); `note` then says why. `trigger` is the
    transition a failure makes; it is built for every failing observation.
    """

    name: str
    dedup_key: str
    check: Check | None
    signal: Signal | None
    note: str = ""
    trigger: Transition | None = None


NOTE_UNKNOWN = "not sent (unknown: the checker lost connectivity)"
NOTE_SKIPPED = "not sent (skipped)"
NOTE_CONTROL = f"not sent (control check; see {CONTROL_DEDUP_KEY})"
NOT_SENT_NO_RESOLVE = "not sent (send_resolve: false)"


def observe(config: Config, run: RunResult, redactor: Redactor) -> list[Observation]:
    """One observation per check of the run, in its order, then the control alert's."""
    found: list[Observation] = []
    for result in run.results:
        check = result.check
        key = check.effective_dedup_key
        if check.is_control:
            found.append(Observation(check.name, key, check, None, NOTE_CONTROL))
        elif result.outcome is Outcome.FAILED and not run.connectivity_lost:
            trigger = trigger_transition(config, result, redactor)
            found.append(Observation(check.name, key, check, "fail", trigger=trigger))
        elif result.outcome is Outcome.OK and not run.connectivity_lost:
            found.append(Observation(check.name, key, check, "pass"))
        elif result.outcome is Outcome.SKIPPED:
            found.append(Observation(check.name, key, check, None, NOTE_SKIPPED))
        elif result.outcome is Outcome.MAINTENANCE:  # a failure that pages nobody
            note = f"not sent (maintenance: {result.maintenance})"
            found.append(Observation(check.name, key, check, None, note))
        else:  # unknown, or anything while the checker is cut off
            found.append(Observation(check.name, key, check, None, NOTE_UNKNOWN))
    control = _control_observation(config, run, redactor)
    if control is not None:
        found.append(control)
    return found


def _control_observation(config: Config, run: RunResult, redactor: Redactor) -> Observation | None:
    controls = [r for r in run.results if r.check.is_control]
    if run.connectivity_lost:
        trigger = control_trigger(run, controls, redactor)
        return Observation(CONTROL_DEDUP_KEY, CONTROL_DEDUP_KEY, None, "fail", trigger=trigger)
    if any(r.outcome is Outcome.OK for r in controls):
        return Observation(CONTROL_DEDUP_KEY, CONTROL_DEDUP_KEY, None, "pass")
    return None  # no control checks ran: the run says nothing about connectivity


# Facts of a result's kind details that a sink may leave out (pagerduty.body_excerpt).
BODY_EXCERPT = "body_excerpt"


def trigger_transition(config: Config, result: CheckResult, redactor: Redactor) -> Transition:
    """The trigger of a failed check, redacted: what failed, where, and the kind's facts."""
    check = result.check
    details: dict[str, Any] = {"check": check.name}
    for name, value in result.details.items():
        if name == BODY_EXCERPT and not (config.pagerduty is None or config.pagerduty.body_excerpt):
            continue
        details[name] = value
    details["latency_ms"] = round(result.duration_ms, 1)
    details["attempts"] = result.attempts
    details["failures"] = list(result.failures)
    summary = f"{check.name} failed: {result.reason or 'failed'}"
    timestamp = _iso(result.started_at)
    trigger = check_trigger(
        config, check, result.target, result.source, timestamp, summary, details
    )
    return trigger.redacted(redactor)


def check_trigger(
    config: Config,
    check: Check,
    target: str,
    source: str,
    timestamp: str,
    summary: str,
    details: dict[str, Any],
) -> Transition:
    """A check's trigger (before redaction): keyed by the check, its severity, a
    link to what was checked (and its runbook), and the check's description and tags."""
    settings = config.settings_for(check)
    links = [{"href": target, "text": f"{check.name}: checked URL"}]
    if settings.runbook_url:
        links.append({"href": settings.runbook_url, "text": "Runbook"})
    details = dict(details)
    if check.description:
        details["description"] = check.description
    if check.tags:
        details["tags"] = list(check.tags)
    return Transition(
        "trigger",
        check.effective_dedup_key,
        check.name,
        summary=summary,
        severity=settings.severity,
        source=source,
        timestamp=timestamp,
        component=check.name,
        group=check.tags[0] if check.tags else None,
        details=details,
        links=links,
    )


def control_trigger(run: RunResult, controls: list[CheckResult], redactor: Redactor) -> Transition:
    """The single `warning` that replaces every page while the checker is cut off."""
    names = ", ".join(r.name for r in controls) or "none"
    first = next((r for r in controls if r.failures), None)
    why = f"{first.name}: {first.reason}" if first else "every control check failed"
    control_checks = []
    for r in controls:
        details = r.details
        control_checks.append(
            {
                "check": r.name,
                "url": r.target,
                "outcome": str(r.outcome),
                "status_code": details.get("status_code"),
                "failures": list(r.failures),
            }
        )
    details = {
        "control_checks": control_checks,
        "service_checks_unknown": run.count(Outcome.UNKNOWN),
        "checker_host": hostname(),
    }
    transition = Transition(
        "trigger",
        CONTROL_DEDUP_KEY,
        None,
        summary=f"e2echeck: checker lost connectivity (control checks failed: {names}; {why})",
        severity="warning",
        source=hostname(),
        timestamp=_iso(run.started_at),
        component="e2echeck",
        group="control",
        details=details,
    )
    return transition.redacted(redactor)


def resolve_transition(dedup_key: str, check: str | None, redactor: Redactor) -> Transition:
    summary = f"{check or dedup_key} recovered"
    return Transition("resolve", dedup_key, check, summary=redactor.text(summary))


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def truncate_bytes(text: str, limit: int) -> str:
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[:limit].decode("utf-8", errors="ignore")


def _iso(moment: datetime | None) -> str:
    if moment is None:
        return _now_iso()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def key_hash(routing_key: str) -> str:
    """How the state and a storm alert name a routing key: never the key itself."""
    return hashlib.sha256(routing_key.encode()).hexdigest()[:16]


def hostname() -> str:
    return socket.gethostname() or "e2echeck"
