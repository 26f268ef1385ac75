"""Which checks are in maintenance at an instant: the config's windows and the
state's silences, and what that does to a run's results.

Time is always passed in (`now`, an aware datetime), never read here, so every
rule is testable at fixed instants.

Recurring windows are evaluated in local wall time with zoneinfo: a window starts
at `start` on each of its weekdays in its time zone and lasts `duration` of
elapsed time (so it may end past midnight, on the next day). Around daylight-
saving changes:

- `start` in a gap (02:30 on the night clocks jump from 02:00 to 03:00) starts
  the window when the wall clock would have shown 02:30 had it not jumped: at
  03:30 of the new offset, i.e. the same instant as 02:30 of the old one
  (zoneinfo's fold=0 rule).
- `start` in a fold (02:30 on the night clocks go back from 03:00 to 02:00, so
  02:30 happens twice) starts the window once, at the first 02:30.
- `duration` is elapsed time: a 1h window is one hour long even across a change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from e2echeck.config.maintenance import WEEKDAYS, MaintenanceWindow, zone
from e2echeck.config.models import Check, Config
from e2echeck.engine.results import Outcome, RunResult
from e2echeck.silences import Silence


@dataclass(frozen=True)
class MaintenanceOptions:
    """How a run treats maintenance: the clock, and --ignore-maintenance."""

    now: datetime | None = None  # None: the real clock
    ignore: bool = False  # run as if no window or silence were active

    def instant(self) -> datetime:
        if self.now is None:
            return datetime.now(UTC)
        return self.now if self.now.tzinfo is not None else self.now.replace(tzinfo=UTC)


def window_span(window: MaintenanceWindow, now: datetime) -> tuple[datetime, datetime] | None:
    """The (start, end) of the window's occurrence containing `now`, or None."""
    if window.from_ is not None and window.to is not None:
        return (window.from_, window.to) if window.from_ <= now < window.to else None
    assert window.start is not None and window.duration is not None
    tz = zone(window.timezone)
    length = timedelta(seconds=window.duration)
    today = now.astimezone(tz).date()
    # An occurrence lasts at most 7 days, so one containing `now` started within
    # the last 8 local dates.
    for back in range(8, -1, -1):
        day = today - timedelta(days=back)
        if window.every is not None and WEEKDAYS[day.weekday()] not in window.every:
            continue
        begin = datetime.combine(day, window.start, tzinfo=tz)  # fold=0: see the docstring
        begin_utc = begin.astimezone(UTC)
        if begin_utc <= now < begin_utc + length:
            return begin_utc, begin_utc + length
    return None


def window_active(window: MaintenanceWindow, now: datetime) -> bool:
    return window_span(window, now) is not None


def maintenance_for(
    check: Check, windows: list[MaintenanceWindow], silences: list[Silence], now: datetime
) -> str | None:
    """Why `check` is in maintenance at `now` ("window NAME" or the silence's label),
    or None. Control checks never are: they watch the checker, not a service."""
    if check.is_control:
        return None
    for window in windows:
        if window.covers(check.name, check.tags) and window_active(window, now):
            return f"window {window.name}"
    for silence in silences:
        if silence.active(now) and silence.covers(check.name):
            return silence.label
    return None


def apply_maintenance(
    config: Config, run: RunResult, silences: list[Silence], options: MaintenanceOptions
) -> dict[str, str]:
    """Mark the run's checks in maintenance; {dedup key: why} for each of them.

    A failed check in maintenance becomes `maintenance` (its failures kept for the
    reports); a passing one stays `ok`, so its alert still resolves. Unknown and
    skipped results are left alone: they say nothing about the service."""
    if options.ignore:
        return {}
    now = options.instant()
    found: dict[str, str] = {}
    for result in run.results:
        why = maintenance_for(result.check, config.maintenance, silences, now)
        if why is None:
            continue
        found[result.check.effective_dedup_key] = why
        result.maintenance = why
        if result.outcome is Outcome.FAILED:
            result.outcome = Outcome.MAINTENANCE
    return found
