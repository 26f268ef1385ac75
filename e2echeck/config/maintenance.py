"""The `maintenance` section of checks.yaml: planned windows during which failing
checks page nobody.

A window is recurring (`start` and `duration`, on the weekdays of `every`, daily
when omitted, in `timezone`) or one-off (`from` and `to`, timestamps with a zone).
It selects checks by name glob (`checks`) and/or `tags`; all checks when neither.
Evaluating a window at an instant is `e2echeck.maintenance`'s job.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator, model_validator

from e2echeck.config._base import ConfigModel
from e2echeck.config._suggest import did_you_mean
from e2echeck.config.types import ENV_TEXT_SCHEMA, Duration

if TYPE_CHECKING:
    from e2echeck.config.problems import Problem
    from e2echeck.config.yaml_reader import PositionedReader

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A recurring window repeats at most daily, so it can last at most a week: longer,
# it would always be active.
MAX_RECURRING = timedelta(days=7)
_HH_MM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
WINDOW_NAME_PATTERN = r"^[A-Za-z0-9._-]+$"


def _parse_start(value: Any) -> time:
    if isinstance(value, time):
        return value
    match = _HH_MM.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f'expected a wall-clock time "HH:MM" (00:00 to 23:59); got {value!r}')
    return time(int(match.group(1)), int(match.group(2)))


def _parse_instant(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                f"expected a timestamp such as 2026-12-05T21:00:00Z; got {value!r}"
            ) from None
    else:
        raise ValueError(f"expected a timestamp such as 2026-12-05T21:00:00Z; got {value!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"{value!r} has no time zone; add Z or an offset such as +01:00 "
            "(a one-off window is an absolute instant)"
        )
    return moment


WallTime = Annotated[
    time,
    BeforeValidator(_parse_start),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\s*([01][0-9]|2[0-3]):[0-5][0-9]\s*$"},
                ENV_TEXT_SCHEMA,
            ],
            "description": 'A wall-clock time "HH:MM" in the window\'s time zone.',
        }
    ),
]
Instant = Annotated[
    datetime,
    BeforeValidator(_parse_instant),
    WithJsonSchema(
        {
            "type": "string",
            "description": "A timestamp with a zone, e.g. 2026-12-05T21:00:00Z.",
        }
    ),
]


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`; ZoneInfoNotFoundError (a KeyError) when unknown.

    Looked up in the IANA list first: a name that is not a zone is never turned
    into a file path (a 300-character name made the filesystem raise)."""
    if name not in _iana_names():
        raise ZoneInfoNotFoundError(f"no time zone {name!r}")
    return ZoneInfo(name)


@lru_cache(maxsize=1)
def _iana_names() -> frozenset[str]:
    from zoneinfo import available_timezones

    return frozenset(available_timezones())


class MaintenanceWindow(ConfigModel):
    """A planned window: failing checks it selects are reported `maintenance` and
    page nobody; a check still failing when it ends pages on the next run."""

    name: str = Field(
        pattern=WINDOW_NAME_PATTERN,
        max_length=200,
        description="Shown in reports (JUnit's skipped message, the text MAINT line).",
    )
    every: list[Weekday] | None = Field(
        default=None,
        min_length=1,
        description="Weekdays the window starts on (mon ... sun); daily when omitted.",
    )
    start: WallTime | None = Field(
        default=None, description='Local start time "HH:MM" of a recurring window.'
    )
    duration: Duration | None = Field(
        default=None,
        description="Length of a recurring window (elapsed time, at most 168h).",
    )
    timezone: str = Field(
        default="UTC",
        description="IANA time zone of `start`, e.g. Europe/Berlin. Default UTC.",
    )
    from_: Instant | None = Field(
        default=None, alias="from", description="Start of a one-off window (with a zone)."
    )
    to: Instant | None = Field(
        default=None, description="End of a one-off window (with a zone), after `from`."
    )
    checks: list[str] = Field(
        default_factory=list, description="Check names or globs (payments-*) it covers."
    )
    tags: list[str] = Field(default_factory=list, description="Tags of the checks it covers.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zone(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            shown = value if len(value) <= 64 else value[:64] + "..."
            raise ValueError(
                f"unknown time zone {shown!r}; expected an IANA name such as "
                "Europe/Berlin, America/New_York or UTC"
            ) from None
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> MaintenanceWindow:
        recurring = self.start is not None or self.duration is not None or self.every is not None
        one_off = self.from_ is not None or self.to is not None
        if recurring and one_off:
            raise ValueError(
                "a window is either recurring (start, duration, every) or one-off "
                "(from, to), not both"
            )
        if one_off:
            if self.from_ is None or self.to is None:
                raise ValueError("a one-off window needs both from and to")
            if self.to <= self.from_:
                raise ValueError("to must be after from")
            if "timezone" in self.model_fields_set:
                raise ValueError("timezone applies to recurring windows; from/to carry a zone")
            return self
        if self.start is None or self.duration is None:
            raise ValueError(
                "a window needs start and duration (recurring) or from and to (one-off)"
            )
        if not 0 < self.duration <= MAX_RECURRING.total_seconds():
            raise ValueError("duration of a recurring window must be more than 0 and at most 168h")
        return self

    def covers(self, name: str, tags: list[str]) -> bool:
        """Whether the window selects a check of this name and tags."""
        by_name = not self.checks or any(
            name == pattern or fnmatchcase(name, pattern) for pattern in self.checks
        )
        by_tag = not self.tags or bool(set(self.tags).intersection(tags))
        return by_name and by_tag


def maintenance_problems(document: object, reader: PositionedReader) -> Iterator[Problem]:
    """Window selections matching no check (a typo would silence nothing, quietly),
    and duplicate window names. Reads the raw document, like the other rules."""
    if not isinstance(document, dict):
        return
    windows, checks = document.get("maintenance"), document.get("checks")
    if not isinstance(windows, list) or not isinstance(checks, list):
        return
    names = [c["name"] for c in checks if isinstance(c, dict) and isinstance(c.get("name"), str)]
    tags = sorted(
        {
            t
            for c in checks
            if isinstance(c, dict) and isinstance(c.get("tags"), list)
            for t in c["tags"]
            if isinstance(t, str)
        }
    )
    seen: dict[str, int] = {}
    for index, window in enumerate(windows):
        if not isinstance(window, dict):
            continue
        name = window.get("name")
        if isinstance(name, str) and name in seen:
            yield reader.problem(
                ("maintenance", index, "name"),
                f"duplicate window name {name!r} (also maintenance[{seen[name]}])",
            )
        elif isinstance(name, str):
            seen[name] = index
        unmatched = 0
        for position, pattern in _items(window.get("checks")):
            if not any(n == pattern or fnmatchcase(n, pattern) for n in names):
                unmatched += 1
                yield reader.problem(
                    ("maintenance", index, "checks", position),
                    f"{pattern!r} matches no check{did_you_mean(pattern, names)}",
                )
        for position, tag in _items(window.get("tags")):
            if tag not in tags:
                unmatched += 1
                yield reader.problem(
                    ("maintenance", index, "tags", position),
                    f"tag {tag!r} is on no check{did_you_mean(tag, tags)}",
                )
        both = window.get("checks") and window.get("tags")
        if both and not unmatched and not _selects_any(window, checks):
            yield reader.problem(
                ("maintenance", index),
                "no check matches both the window's checks and its tags",
            )


def _selects_any(window: dict[str, Any], checks: list[Any]) -> bool:
    patterns = [p for _, p in _items(window.get("checks"))]
    wanted = {t for _, t in _items(window.get("tags"))}
    for check in checks:
        if not isinstance(check, dict) or not isinstance(check.get("name"), str):
            continue
        name, tags = check["name"], check.get("tags")
        by_name = any(name == p or fnmatchcase(name, p) for p in patterns)
        if by_name and isinstance(tags, list) and wanted.intersection(map(str, tags)):
            return True
    return False


def _items(value: object) -> Iterator[tuple[int, str]]:
    if isinstance(value, list):
        for position, item in enumerate(value):
            if isinstance(item, str):
                yield position, item
