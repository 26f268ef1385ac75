"""Judging another location's report without trusting its clock.

A location's clock can be off by an hour. When the shared state is on S3, every
location takes the time from S3 instead (`SharedClock`: the `Date` of the
response that read the document, carried forward by the local monotonic clock),
so reports are stamped and ages judged by one clock; a location whose own clock
disagrees with it by more than `SKEW_TOLERANCE` is named (`offset_warnings`).

Without a shared clock (a local file, an answer without a usable `Date`, or a
report written by a version that stamped with its own clock), two facts need no
clock: the shared document counts its writes (`seq`), so a report written after
this location's previous write (itself within `max_age`, by this location's own
clock) is fresh whatever its stamp; and no report can come from the future, so a
stamp further ahead than `SKEW_TOLERANCE` is distrusted (never fresh) unless the
count vouches for it. Where stamp and count disagree, the warning names the
location whose clock is off."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

# Clocks synchronised by NTP agree to well within this; a report stamped further
# in the future than this is from a clock that is ahead.
SKEW_TOLERANCE = 60.0


@dataclass(frozen=True)
class Freshness:
    """How this run judges the age of a report (see the module's docstring)."""

    now: datetime
    max_age: float
    since_seq: int | None = None  # this location's previous write, when within max_age

    def fresh(self, at: str, seq: int | None) -> bool:
        if self.written_since(seq):
            return True
        age = age_of(at, self.now)
        return -SKEW_TOLERANCE <= age <= self.max_age

    def written_since(self, seq: int | None) -> bool:
        return self.since_seq is not None and seq is not None and seq > self.since_seq


@dataclass(frozen=True)
class SharedClock:
    """The storage's time (S3's `Date`, to the second) when an answer came, moved
    on by this machine's monotonic clock, which no wall-clock jump affects."""

    at: datetime
    received: float  # time.monotonic() when the answer came

    def now(self) -> datetime:
        """To the second, as S3 gives it (stamps in whole seconds)."""
        elapsed = timedelta(seconds=max(0.0, time.monotonic() - self.received))
        return (self.at + elapsed).replace(microsecond=0)


def clock_of(answer: Any) -> SharedClock | None:
    """The `Date` of a boto3 answer (or of a ClientError's `response`); None when
    it has none that reads as a time."""
    received = time.monotonic()
    metadata = answer.get("ResponseMetadata") if isinstance(answer, Mapping) else None
    headers = metadata.get("HTTPHeaders") if isinstance(metadata, Mapping) else None
    date = headers.get("date") if isinstance(headers, Mapping) else None
    if not isinstance(date, str):
        return None
    try:
        at = parsedate_to_datetime(date)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return SharedClock(at if at.tzinfo else at.replace(tzinfo=UTC), received)


def offset_warnings(offsets: Mapping[str, float], refused: bool = False) -> list[str]:
    """One warning per location whose own clock is off the shared one by more
    than the tolerance; `offsets` is {location: its clock minus the shared one}.
    `refused`: S3 did not answer the read (AWS refuses requests signed more than
    15 minutes off S3's time)."""
    meanwhile = (
        "S3 refuses requests signed more than 15 minutes off its time"
        if refused
        else "its reports are stamped and ages judged by S3's clock meanwhile"
    )
    return [
        f"location {name}'s clock is about {_about(abs(off))} "
        f"{'ahead of' if off > 0 else 'behind'} S3's: fix its time (NTP); {meanwhile}"
        for name, off in sorted(offsets.items())
        if abs(off) > SKEW_TOLERANCE
    ]


def age_of(at: str, now: datetime) -> float:
    """Seconds since `at` (an ISO timestamp) by `now`; infinite when unreadable."""
    try:
        moment = datetime.fromisoformat(at)
    except (TypeError, ValueError):
        return float("inf")
    if moment.tzinfo is None:
        return float("inf")
    return (now - moment).total_seconds()


def skew_warnings(
    location: str,
    reports: dict[str, tuple[str, int | None]],
    fresh: Freshness,
    shared: bool = False,
) -> list[str]:
    """One warning per location whose stamp its write count contradicts, or that
    is stamped in the future; `reports` is {other location: (at, seq)}. When every
    other location is off the same way, this location's own clock is named,
    unless `fresh.now` is S3's (`shared`): then the stamps are compared with it."""
    off: dict[str, float] = {}
    for name, (at, seq) in reports.items():
        age = age_of(at, fresh.now)
        if age == float("inf"):
            continue
        if age < -SKEW_TOLERANCE or (fresh.written_since(seq) and age > fresh.max_age):
            off[name] = -age  # > 0: stamped ahead of this clock
    if not off:
        return []
    ahead = [n for n, s in off.items() if s > 0]
    behind = [n for n, s in off.items() if s < 0]
    everyone = len(ahead) == len(reports) or len(behind) == len(reports)
    if not shared and len(reports) >= 2 and everyone:
        way = "behind" if ahead else "ahead of"
        return [
            f"location {location}'s clock seems {way} every other location's by about "
            f"{_about(min(abs(s) for s in off.values()))}: fix its time (NTP); its view of "
            "the others' ages is corrected by their write count meanwhile"
        ]
    judge = "S3's" if shared else f"location {location}'s"
    return [
        f"location {name}'s clock seems {'ahead of' if s > 0 else 'behind'} {judge} "
        f"by about {_about(abs(s))}: fix its time (NTP); its reports are "
        + ("not counted once older than this run" if s > 0 else "judged by their write count")
        for name, s in sorted(off.items())
    ]


def _about(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f}h"
    if seconds >= 60:
        return f"{seconds / 60:.0f}m"
    return f"{seconds:.0f}s"
