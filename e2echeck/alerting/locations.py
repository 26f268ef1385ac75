"""Several locations, one decision: what each location saw, the quorum decision
per check, and the watch every location keeps on the others.

The observations live in the shared state document under the top-level key
`locations` (the `alerts` next to it are shared by every location):

    "locations": {
      "first_at": "2026-11-27T10:00:00+00:00",      # first report of any location
      "seen": {
        "eu-west-1": {
          "at": "2026-11-27T10:05:00+00:00",         # its last run (S3's time, on S3)
          "clock_offset_s": 3600,                    # its own clock minus S3's, if known
          "checks": {"api-health": {"outcome": "failed", "at": "...",
                                     "reason": "expected status 200, got 503"}}}},
      "sending": [{"dedup_key": "api-health", "created_at": "...", "run": "<id>",
                   "location": "eu-west-1", "since": "..."}]}

`sending` lists the undelivered events a run has claimed and is delivering
now: no other run sends them again (until the claim is max_age old: its run
died before it could say how delivery went).

Outcomes are "ok", "failed" and "unknown" (the location was cut off). Reasons
are redacted before they are stored. Nothing here reads a file or sends
anything; `strategies.Located` drives it.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from e2echeck.alerting.clocks import Freshness
from e2echeck.alerting.sinks.base import Pending
from e2echeck.alerting.state import State
from e2echeck.alerting.transitions import (
    CONTROL_DEDUP_KEY,
    NOTE_SKIPPED,
    Observation,
    Transition,
    check_trigger,
)
from e2echeck.config.locations import LocationsConfig
from e2echeck.config.models import Check, Config
from e2echeck.engine.results import Outcome, RunResult
from e2echeck.redaction import Redactor

SECTION = "locations"
WATCH_PREFIX = "e2echeck-location-"
MAX_REASON = 300
QuorumDecision = Literal["fail", "pass", "undecided", "held"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


# The clock of every age and timestamp here (tests replace it; nothing sleeps).
clock: Callable[[], datetime] = _utc_now


def control_key(location: str) -> str:
    """The control alert is per location: one cut-off location must not be
    resolved by another's working connectivity."""
    return f"{CONTROL_DEDUP_KEY}-{location}"


def watch_key(location: str) -> str:
    return WATCH_PREFIX + location


@dataclass
class Seen:
    """One location's last report."""

    at: str
    checks: dict[str, dict[str, str]] = field(default_factory=dict)
    seq: int | None = None  # the document's write count when it was written
    # Its own clock minus S3's at that run, in seconds (None: it had no shared clock).
    offset: float | None = None

    def to_json(self) -> dict[str, Any]:
        """A check observed in the location's last run leaves out its `at` and
        `seq` (the same as the location's): a third less for 1,000 checks."""
        at = self.at
        found: dict[str, Any] = {"at": at}
        if self.seq is not None:
            found["seq"] = self.seq
        if self.offset is not None:
            found["clock_offset_s"] = round(self.offset)
        found["checks"] = {
            name: entry
            if entry["at"] != at
            else {k: v for k, v in entry.items() if k not in ("at", "seq")}
            for name, entry in sorted(self.checks.items())
        }
        return found


@dataclass
class LocationsDoc:
    """The `locations` section of the state: every location's observations."""

    first_at: str | None = None
    seen: dict[str, Seen] = field(default_factory=dict)
    sending: list[dict[str, str]] = field(default_factory=list)
    seq: int = 0  # writes so far: a clock every location shares (see clocks.py)

    @classmethod
    def from_state(cls, state: State) -> LocationsDoc:
        """Read leniently: a malformed entry is dropped (it is rewritten at the
        next report of its location), never a reason to stop paging."""
        raw = state.sections.get(SECTION)
        if not isinstance(raw, dict):
            return cls()
        first = raw.get("first_at")
        doc = cls(first if isinstance(first, str) and _parse(first) else None)
        doc.seq = _count(raw.get("seq")) or 0
        seen = raw.get("seen")
        for name, entry in seen.items() if isinstance(seen, dict) else ():
            if not isinstance(entry, dict) or not _parse(entry.get("at")):
                continue
            checks = entry.get("checks")
            at: str = entry["at"]
            seq = _count(entry.get("seq"))
            doc.seen[str(name)] = Seen(
                at,
                {
                    str(k): {
                        **{f: str(x) for f, x in v.items()},
                        "at": str(v.get("at", at)),
                        "seq": str(seq if "at" not in v else _count(v.get("seq"))),
                    }
                    for k, v in (checks.items() if isinstance(checks, dict) else ())
                    if isinstance(v, dict)
                    and v.get("outcome") in ("ok", "failed", "unknown")
                    and _parse(v.get("at", at))
                },
                seq,
                _seconds(entry.get("clock_offset_s")),
            )
        sending = raw.get("sending")
        doc.sending = [
            {str(k): str(v) for k, v in claim.items()}
            for claim in (sending if isinstance(sending, list) else ())
            if isinstance(claim, dict) and _parse(claim.get("since"))
        ]
        return doc

    def store(self, state: State) -> None:
        state.sections[SECTION] = {
            "seq": self.seq,
            "first_at": self.first_at,
            "seen": {name: seen.to_json() for name, seen in sorted(self.seen.items())},
            "sending": self.sending,
        }

    def record(
        self, location: str, own: dict[str, dict[str, str]], now: str, config: Config
    ) -> None:
        """This run's observations replace the location's earlier ones, check by
        check (a check this run did not observe keeps its older, ageing entry);
        checks and locations no longer in the file are forgotten."""
        names = {c.name for c in config.checks}
        before = self.seen.get(location)
        self.seq += 1
        own = {name: {**entry, "seq": str(self.seq)} for name, entry in own.items()}
        checks = {**(before.checks if before else {}), **own}
        self.seen[location] = Seen(now, {k: v for k, v in checks.items() if k in names}, self.seq)
        self.first_at = self.first_at or now
        if config.locations is not None:  # a location taken out of `expected` is forgotten
            expected = set(config.locations.expected)
            self.seen = {k: v for k, v in self.seen.items() if k in expected}

    def claim(self, pending: list[Pending], run: str, location: str, now: str) -> None:
        """This run is delivering `pending`: other runs leave them to it."""
        self.sending = [c for c in self.sending if c.get("run") != run]
        claimed = dict.fromkeys((p.transition.dedup_key, p.transition.created_at) for p in pending)
        self.sending.extend(
            {
                "dedup_key": key,
                "created_at": created_at,
                "run": run,
                "location": location,
                "since": now,
            }
            for key, created_at in claimed
        )

    def release(self, run: str) -> None:
        self.sending = [c for c in self.sending if c.get("run") != run]

    def claimed_by_others(self, run: str, now: datetime, max_age: float) -> set[tuple[str, str]]:
        """(dedup_key, created_at) of the events other runs are delivering now. A
        claim older than max_age is of a run that died: it is dropped, and its
        event is anyone's to send again."""
        self.sending = [c for c in self.sending if _age(c["since"], now) <= max_age]
        return {
            (c.get("dedup_key", ""), c.get("created_at", ""))
            for c in self.sending
            if c.get("run") != run
        }


def own_observations(run: RunResult, redactor: Redactor, now: str) -> dict[str, dict[str, str]]:
    """What this run saw of each service check (skipped ones say nothing)."""
    found: dict[str, dict[str, str]] = {}
    for result in run.results:
        if result.check.is_control or result.outcome is Outcome.SKIPPED:
            continue
        if run.connectivity_lost or result.outcome is Outcome.UNKNOWN:
            found[result.name] = {"outcome": "unknown", "at": now}
        elif result.outcome in (Outcome.FAILED, Outcome.MAINTENANCE):  # it did fail
            reason = redactor.text(result.reason or "failed")
            if len(reason) > MAX_REASON:
                reason = reason[: MAX_REASON - 1] + "…"
            found[result.name] = {"outcome": "failed", "at": now, "reason": reason}
        else:
            found[result.name] = {"outcome": "ok", "at": now}
    return found


@dataclass(frozen=True)
class QuorumView:
    """A check's decision from every expected location's fresh observation."""

    decision: QuorumDecision
    failed: list[str]  # locations that saw it fail
    silent: list[str]  # no fresh observation, or only an unknown one
    expected: int
    quorum: int
    why: str
    by_location: dict[str, dict[str, str | None]]

    def to_json(self) -> dict[str, Any]:
        return {
            "label": f"{len(self.failed)}/{self.expected} locations",
            "decision": self.decision,
            "why": self.why,
            "failing": len(self.failed),
            "expected": self.expected,
            "quorum": self.quorum,
            "locations": self.by_location,
        }


def quorum_view(
    check: str,
    doc: LocationsDoc,
    settings: LocationsConfig,
    now: datetime,
    fresh: Freshness | None = None,
) -> QuorumView:
    """fail: at least `quorum` locations saw it fail. pass: the failing ones and
    the silent ones together can no longer reach the quorum. Else undecided."""
    fresh = fresh or Freshness(now, settings.max_age)
    failed: list[str] = []
    silent: list[str] = []
    by_location: dict[str, dict[str, str | None]] = {}
    for name in settings.expected:
        seen = doc.seen.get(name)
        entry = seen.checks.get(check) if seen else None
        if entry is None:
            by_location[name] = {"outcome": "not reported", "at": None, "reason": None}
            silent.append(name)
            continue
        by_location[name] = {
            "outcome": entry["outcome"],
            "at": entry["at"],
            "reason": entry.get("reason"),
        }
        stale = not fresh.fresh(entry["at"], _count(entry.get("seq")))
        if stale or entry["outcome"] == "unknown":
            silent.append(name)
        elif entry["outcome"] == "failed":
            failed.append(name)
    quorum, total = settings.effective_quorum, len(settings.expected)
    if len(failed) >= quorum:
        return QuorumView("fail", failed, silent, total, quorum, "", by_location)
    if len(failed) + len(silent) < quorum:
        return QuorumView("pass", failed, silent, total, quorum, "", by_location)
    why = (
        f"failing in {len(failed)} of {total} locations; {len(silent)} "
        f"{'has' if len(silent) == 1 else 'have'} not reported in {_duration(settings.max_age)} "
        f"(quorum {quorum})"
    )
    return QuorumView("undecided", failed, silent, total, quorum, why, by_location)


def located_observations(
    config: Config,
    observations: list[Observation],
    doc: LocationsDoc,
    location: str,
    now: datetime,
    redactor: Redactor,
    open_keys: frozenset[str] = frozenset(),
    held: Collection[str] = (),
    fresh: Freshness | None = None,
) -> tuple[list[Observation], dict[str, QuorumView]]:
    """This run's observations turned into the quorum's: each service check's
    signal is the decision of every location; the control alert is this
    location's own (its dedup key names the location). A failure whose alert
    is open already (`open_keys`) sends nothing: its trigger is not built. A
    check in maintenance (`held`) keeps its own observation: nothing pages."""
    settings = config.locations
    assert settings is not None
    views: dict[str, QuorumView] = {}
    found: list[Observation] = []
    for obs in observations:
        if obs.check is None:
            found.append(_own_control(obs, location, redactor))
            continue
        if obs.check.is_control or obs.note == NOTE_SKIPPED:
            found.append(obs)  # says nothing here
            continue
        view = quorum_view(obs.check.name, doc, settings, now, fresh)
        if obs.dedup_key in held:  # maintenance: whatever the locations saw, nothing pages
            views[obs.check.name] = replace(view, decision="held", why=obs.note)
            found.append(obs)
            continue
        views[obs.check.name] = view
        if view.decision == "fail":
            event = None
            if obs.dedup_key not in open_keys:
                event = quorum_trigger(config, obs.check, obs.trigger, view, now, redactor)
            found.append(Observation(obs.name, obs.dedup_key, obs.check, "fail", trigger=event))
        elif view.decision == "pass":
            found.append(Observation(obs.name, obs.dedup_key, obs.check, "pass"))
        else:
            note = f"not sent (undecided: {view.why})"
            found.append(Observation(obs.name, obs.dedup_key, obs.check, None, note))
    return found, views


def quorum_trigger(
    config: Config,
    check: Check,
    own: Transition | None,
    view: QuorumView,
    now: datetime,
    redactor: Redactor,
) -> Transition:
    """The trigger of a quorum failure: where it failed, and each location's
    observation. Built on this location's own trigger when it saw the failure
    too, else from the stored observations."""
    first = next((view.by_location[n]["reason"] for n in view.failed), None) or "failed"
    summary = (
        f"{check.name} failed in {len(view.failed)} of {view.expected} locations "
        f"({', '.join(view.failed)}): {first}"
    )
    if own is not None:
        trigger = replace(own, details=copy.deepcopy(own.details), links=copy.deepcopy(own.links))
        trigger.created_at = datetime.now(UTC).isoformat()
    else:
        url = check.first_url
        source = urlsplit(url).hostname or check.name
        details: dict[str, Any] = {"check": check.name, "url": url}
        trigger = check_trigger(config, check, url, source, now.isoformat(), summary, details)
    trigger.summary = summary
    trigger.details["locations"] = view.by_location
    trigger.details["quorum"] = (
        f"{len(view.failed)} of {view.expected} failing, {view.quorum} needed"
    )
    return trigger.redacted(redactor)


def _own_control(obs: Observation, location: str, redactor: Redactor) -> Observation:
    key = control_key(location)
    trigger = None
    if obs.trigger is not None:
        own = obs.trigger
        trigger = replace(
            own,
            dedup_key=key,
            summary=f"[{location}] {own.summary}",
            details={**copy.deepcopy(own.details), "location": location},
            created_at=datetime.now(UTC).isoformat(),
        ).redacted(redactor)
    return Observation(key, key, None, obs.signal, obs.note, trigger)


def watch_observations(
    config: Config,
    doc: LocationsDoc,
    state: State,
    location: str,
    now: datetime,
    redactor: Redactor,
    fresh: Freshness | None = None,
) -> list[Observation]:
    """One alert per other expected location that has not reported within
    max_age. A location that never reported is silent only once max_age has
    passed since any location first reported (a rollout region by region pages
    nobody). Fresh again: its alert resolves (when one was ever raised)."""
    settings = config.locations
    assert settings is not None
    fresh = fresh or Freshness(now, settings.max_age)
    found: list[Observation] = []
    for name in settings.expected:
        if name == location:
            continue
        key = watch_key(name)
        seen = doc.seen.get(name)
        if seen is not None and fresh.fresh(seen.at, seen.seq):
            if key in state.alerts:
                found.append(Observation(key, key, None, "pass"))
            continue
        if seen is not None:
            summary = f"e2echeck location {name} has not reported since {seen.at}"
        elif doc.first_at is not None and _age(doc.first_at, now) > settings.max_age:
            summary = f"e2echeck location {name} has not reported since {doc.first_at} (never)"
        else:
            continue
        trigger = Transition(
            "trigger",
            key,
            None,
            summary=summary,
            severity="warning",
            source=location,
            timestamp=now.isoformat(),
            component="e2echeck",
            group="locations",
            details={
                "location": name,
                "last_report": seen.at if seen else None,
                "max_age_s": settings.max_age,
                "reported_by": location,
            },
        ).redacted(redactor)
        found.append(Observation(key, key, None, "fail", trigger=trigger))
    return found


def known_keys(settings: LocationsConfig) -> set[str]:
    """The dedup keys the locations use besides the checks'."""
    return {k for n in settings.expected for k in (watch_key(n), control_key(n))}


def _parse(value: Any) -> datetime | None:
    return _parse_text(value) if isinstance(value, str) else None


@functools.lru_cache(maxsize=8192)
def _parse_text(value: str) -> datetime | None:
    """Cached: 1,000 checks in 3 locations share a handful of timestamps."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _count(value: Any) -> int | None:
    """A write count read leniently: a whole number of 0 or more, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def _seconds(value: Any) -> float | None:
    """A number of seconds read leniently: None unless a finite int or float."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if abs(value) < 1e12 else None


def _age(value: str, now: datetime) -> float:
    moment = _parse(value)
    return float("inf") if moment is None else (now - moment).total_seconds()


def _duration(seconds: float) -> str:
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)}h"
    if seconds % 60 == 0:
        return f"{int(seconds // 60)}m"
    return f"{seconds:g}s"
