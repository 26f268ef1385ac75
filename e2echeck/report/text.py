"""The text report: one line per check, then a summary. Plain in logs, coloured on a TTY."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, TextIO

from e2echeck.engine.results import CheckResult, Outcome, RunResult
from e2echeck.redaction import Redactor
from e2echeck.report import Alerts, alert_of, summary_counts

if TYPE_CHECKING:
    from e2echeck.alerting import AlertReport

MARKS = {
    Outcome.OK: "PASS",
    Outcome.FAILED: "FAIL",
    Outcome.UNKNOWN: "UNKN",
    Outcome.SKIPPED: "SKIP",
    Outcome.MAINTENANCE: "MAINT",
}
_COLOURS = {
    Outcome.OK: "32",  # green
    Outcome.FAILED: "31;1",  # bold red
    Outcome.UNKNOWN: "33",  # yellow
    Outcome.SKIPPED: "36",  # cyan
    Outcome.MAINTENANCE: "35",  # magenta
}
_NAME_WIDTH_MAX = 40
# What alerting says of an alert that --no-alert kept.
NOT_SENT_DRY = "not sent (--no-alert)"
_EXCERPT_CHARS = 500


COLOUR_CHOICES = ("auto", "always", "never")


def use_colour(stream: TextIO, choice: str = "auto") -> bool:
    """`--color always|never` decides; `auto`: never when NO_COLOR is set
    (no-color.org), always when FORCE_COLOR is (force-color.org; "0" or "false"
    do not force), else only on a terminal. NO_COLOR wins over FORCE_COLOR, as
    in CPython's own rules."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "").lower() not in ("", "0", "false"):
        return True
    return is_terminal(stream)


def is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def format_latency(ms: float) -> str:
    if ms < 1000:
        return f"{ms:.0f}ms"
    return f"{ms / 1000:.2f}s"


def _paint(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text


def render_text(
    run: RunResult,
    *,
    redactor: Redactor,
    verbosity: int = 0,
    colour: bool = False,
    alerts: Alerts | None = None,
    streamed: Mapping[str, Outcome] | None = None,
) -> str:
    """The report. verbosity -1 (-q): only failed and unknown checks, and the
    summary; 0: one line per check with its first reason; 1 (-v): every reason,
    what was tried (an HTTP check: its method and URL) and earlier attempts;
    2 (-vv): also an excerpt of the failing answer. A check's kind supplies
    its status column and those lines (`CheckResult.kind_details`).
    `streamed`: the outcome each check's line showed when it was streamed
    (`check_line`); only the checks whose line changed since are shown again:
    found in maintenance or unknown after the run, or with an alert or locations."""
    shown = [r for r in run.results if _shown(r, verbosity)]
    width = name_width(r.name for r in run.results)
    if streamed is not None:
        shown = [
            r
            for r in shown
            if r.outcome is not streamed.get(r.name) or _alert_parts(r, alerts, dry_run=False)
        ]
    lines = [_line(r, width, verbosity, colour, alerts) for r in shown]
    if lines:
        lines.append("")
    lines.append(summary_line(run, colour=colour))
    text = "\n".join(lines) + "\n"
    return redactor.text(text)


def _shown(result: CheckResult, verbosity: int) -> bool:
    return verbosity >= 0 or result.outcome in (Outcome.FAILED, Outcome.UNKNOWN)


def name_width(names: Iterable[str]) -> int:
    """The width of the name column: the longest name, up to a limit."""
    return min(max((len(name) for name in names), default=4), _NAME_WIDTH_MAX)


def check_line(
    result: CheckResult,
    *,
    width: int,
    redactor: Redactor,
    verbosity: int = 0,
    colour: bool = False,
) -> str | None:
    """One check's line (and its -v details) as soon as it completes, for logs that
    show progress; None when `verbosity` hides it. Its alert is decided after the run."""
    if not _shown(result, verbosity):
        return None
    return redactor.with_secrets(result.secrets).text(_line(result, width, verbosity, colour, None))


def _line(
    result: CheckResult, width: int, verbosity: int, colour: bool, alerts: Alerts | None
) -> str:
    mark = _paint(MARKS[result.outcome], _COLOURS[result.outcome], colour)
    facts = result.kind_details
    status = facts.status_cell
    ran = result.outcome is not Outcome.SKIPPED
    latency = format_latency(result.duration_ms) if ran else "-"
    attempts = f"{result.attempts} attempt{'s' if result.attempts != 1 else ''}" if ran else ""
    gap = " " * (6 - len(MARKS[result.outcome]))  # MAINT is one letter longer
    parts = [f"{mark}{gap}{result.name:<{width}}  {status:>3}  {latency:>7}  {attempts:<10}"]
    if result.failures:
        reason = result.failures[0]
        more = len(result.failures) - 1
        if verbosity <= 0 and more > 0:
            reason += f" (+{more} more; -v shows all)"
        parts.append(reason)
    parts.extend(_alert_parts(result, alerts))
    line = "  ".join(parts).rstrip()
    if verbosity >= 1 and result.outcome is not Outcome.OK:
        details = [f"    {facts.tried}"] if facts.tried else []
        if facts.step:
            details.append(f"    failed step: {facts.step}")
        details.extend(f"    - {reason}" for reason in result.failures)
        details.extend(
            f"    attempt {n}: {reason}" for n, reason in enumerate(result.retried_reasons, 1)
        )
        if verbosity >= 2 and facts.excerpt:
            excerpt = facts.excerpt[:_EXCERPT_CHARS].replace("\n", "\n      ")
            details.append(f"    body: {excerpt}")
        line += "\n" + "\n".join(details)
    return line


def _alert_parts(result: CheckResult, alerts: Alerts | None, *, dry_run: bool = True) -> list[str]:
    """The end of a check's line: its locations ("2/3 locations") and its alert
    (`dry_run=False`: not the alert that --no-alert did not send)."""
    if alerts is None:
        return []
    parts = []
    located = getattr(alerts.get(result.name), "locations", None)
    if isinstance(located, dict):  # with `locations`: "2/3 locations"
        parts.append(str(located["label"]))
    action, delivery = alert_of(result, alerts)
    if (action != "none" or delivery != "not sent") and (dry_run or delivery != NOT_SENT_DRY):
        parts.append(f"[alert: {action}, {delivery}]")
    return parts


def summary_line(run: RunResult, *, colour: bool = False) -> str:
    counts = summary_counts(run)
    total = counts["total"]
    words = [f"{counts['passed']} passed"]
    for key in ("failed", "maintenance", "unknown", "skipped"):
        if counts[key]:
            word = f"{counts[key]} {key}"
            words.append(_paint(word, _COLOURS[Outcome(key)], colour))
    text = (
        f"{total} check{'s' if total != 1 else ''} in "
        f"{format_latency(run.duration_ms)}: {', '.join(words)}"
    )
    if run.timing.warning:
        timing = run.timing
        text += f"\ntimings unreliable: {timing.warning} (peak {timing.peak_in_flight} in flight)"
    if run.connectivity_lost:
        text += (
            "\nconnectivity lost: every control check failed, so the other checks are "
            "unknown and page nobody"
        )
    return text


class Progress:
    """A live `done/total` line on a terminal (stderr), for runs that take a while.

    Silent when the stream is not a TTY; appears only after `delay` seconds."""

    def __init__(self, total: int, stream: TextIO, *, delay: float = 1.0) -> None:
        self.total = total
        self.done = 0
        self.stream = stream
        self.enabled = total > 0 and bool(getattr(stream, "isatty", lambda: False)())
        self._start = time.monotonic()
        self._delay = delay
        self._last = 0.0
        self._shown = False

    def update(self, result: CheckResult | None = None) -> None:
        self.done += 1
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._start < self._delay or (now - self._last < 0.1 and self.done < self.total):
            return
        self._last = now
        self._shown = True
        self.stream.write(f"\r\x1b[K{self.done}/{self.total} checks done")
        self.stream.flush()

    def finish(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False


def render_alerts(report: AlertReport, *, verbosity: int = 0) -> str:
    """What alerting did: with --no-alert, the events that would be sent (redacted);
    otherwise what was delivered and what was not."""
    lines: list[str] = []
    if report.control is not None and report.control.action != "none":
        lines.append(
            f"control alert {report.control.dedup_key}: {report.control.action}, "
            f"{report.control.delivery}"
        )
    lines.extend(
        f"removed check {name}: {alert.action} {alert.dedup_key}, {alert.delivery} "
        "(check removed from the file)"
        for name, alert in report.removed.items()
    )
    if report.location is not None:  # with `locations`: the watch on the other locations
        lines.extend(f"location alert {key}: {status}" for key, status in report.silent.items())
    if report.dry_run:
        count = len(report.events)
        lines.append(f"would send {count} event{'s' if count != 1 else ''} (--no-alert):")
        for delivery, event in zip(report.deliveries, report.events, strict=True):
            payload = event.get("payload") or {}
            summary = payload.get("summary", "")
            where = "" if delivery.sink == "pagerduty" else f"  (to {delivery.sink})"
            lines.append(
                f"  {delivery.action:8} {event.get('dedup_key', delivery.dedup_key)}{where}"
                + (f"  [{payload.get('severity')}] {summary}" if summary else "")
            )
            if verbosity > 0:
                lines.extend("    " + line for line in json.dumps(event, indent=2).splitlines())
    elif report.sent or verbosity >= 0:
        lines.append(
            f"alerts: {report.sent} sent ({report.triggers} trigger, {report.resolves} resolve), "
            f"{report.delivered} delivered, {report.undelivered} undelivered"
        )
        for delivery in report.deliveries:
            if delivery.delivered is False:
                lines.append(
                    f"  NOT DELIVERED {delivery.action} {delivery.dedup_key}: {delivery.error}"
                )
    return "\n".join(lines) + "\n" if lines else ""
