"""Silences: ad-hoc maintenance set from the command line, kept in the alert state.

    e2echeck silence 'payments-*' --for 2h --reason "card provider outage"

A silence is identified by its pattern (a check name or a glob): silencing the same
pattern again replaces it, and `--remove PATTERN` ends it. It lives in the state
document's top-level "silences" list, so every run reading that state (the CLI,
a Lambda on the same S3 object) honours it:

    "silences": [{"pattern": "payments-*", "until": "2026-11-28T12:00:00+00:00",
                  "created_at": "2026-11-28T10:00:00+00:00", "reason": "..."}]

A silence ends by itself at `until`; an expired one is dropped from the state the
next time the state is written. A state document without the key has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any


@dataclass(frozen=True)
class Silence:
    pattern: str
    until: datetime  # aware
    created_at: datetime
    reason: str | None = None

    def covers(self, name: str) -> bool:
        return name == self.pattern or fnmatchcase(name, self.pattern)

    def active(self, now: datetime) -> bool:
        return now < self.until

    @property
    def label(self) -> str:
        """How reports name it (JUnit's skipped message, the text MAINT line)."""
        until = self.until.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        why = f": {self.reason}" if self.reason else ""
        return f"silence {self.pattern} until {until}{why}"

    def to_json(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "until": self.until.isoformat(),
            "created_at": self.created_at.isoformat(),
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, data: Any) -> Silence:
        """ValueError when `data` is not a silence."""
        if not isinstance(data, dict) or not isinstance(data.get("pattern"), str):
            raise ValueError("a silence needs a pattern")
        reason = data.get("reason")
        return cls(
            pattern=data["pattern"],
            until=_instant(data.get("until"), "until"),
            created_at=_instant(data.get("created_at"), "created_at"),
            reason=reason if isinstance(reason, str) else None,
        )


def _instant(value: Any, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValueError(f"a silence needs {name} as a timestamp with a zone")
    return moment


def silences_from_json(data: Any) -> list[Silence]:
    """The "silences" value of a state document (absent: none); ValueError when broken."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise ValueError("silences must be a list")
    return [Silence.from_json(item) for item in data]


def add_silences(
    silences: list[Silence],
    patterns: list[str],
    seconds: float,
    reason: str | None,
    now: datetime,
) -> list[Silence]:
    """`silences` with one silence per pattern until now + seconds (replacing any of
    the same pattern), expired ones dropped."""
    until = now + timedelta(seconds=seconds)
    added = [Silence(p, until, now, reason) for p in dict.fromkeys(patterns)]
    kept = [s for s in active_silences(silences, now) if s.pattern not in patterns]
    return [*kept, *added]


def remove_silences(
    silences: list[Silence], patterns: list[str], now: datetime
) -> tuple[list[Silence], list[str]]:
    """(`silences` without those of these patterns and expired ones, patterns not found)."""
    live = active_silences(silences, now)
    missing = [p for p in patterns if not any(s.pattern == p for s in live)]
    return [s for s in live if s.pattern not in patterns], missing


def active_silences(silences: list[Silence], now: datetime) -> list[Silence]:
    return [s for s in silences if s.active(now)]
