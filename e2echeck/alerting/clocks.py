"""Judging another location's report without trusting its clock.

Every location stamps its reports with its own clock, and a clock can be off by
an hour. Two facts need no clock: the shared document counts its writes (`seq`),
so a report written after this location's previous write (itself within
`max_age`, by this location's own clock) is fresh whatever its stamp; and no
report can come from the future, so a stamp further ahead than `SKEW_TOLERANCE`
is distrusted (never fresh) unless the count vouches for it. Where stamp and
count disagree, the warning names the location whose clock is off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
    location: str, reports: dict[str, tuple[str, int | None]], fresh: Freshness
) -> list[str]:
    """One warning per location whose stamp its write count contradicts, or that
    is stamped in the future; `reports` is {other location: (at, seq)}. When every
    other location is off the same way, this location's own clock is named."""
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
    if len(reports) >= 2 and (len(ahead) == len(reports) or len(behind) == len(reports)):
        way = "behind" if ahead else "ahead of"
        return [
            f"location {location}'s clock seems {way} every other location's by about "
            f"{_about(min(abs(s) for s in off.values()))}: fix its time (NTP); its view of "
            "the others' ages is corrected by their write count meanwhile"
        ]
    return [
        f"location {name}'s clock seems {'ahead of' if s > 0 else 'behind'} location "
        f"{location}'s by about {_about(abs(s))}: fix its time (NTP); its reports are "
        + ("not counted once older than this run" if s > 0 else "judged by their write count")
        for name, s in sorted(off.items())
    ]


def _about(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f}h"
    if seconds >= 60:
        return f"{seconds / 60:.0f}m"
    return f"{seconds:.0f}s"
