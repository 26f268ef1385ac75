"""`depends_on`: one cause, one page.

A failing check whose dependency fails in the same run (after the dependency's
own retries and thresholds) is suppressed: it is checked and reported, but its
failure sends no trigger, and the dependency's trigger names it instead. Only
triggers are suppressed: a recovery always resolves, and a dependent still
failing when its dependency recovers pages in that same run (a suppressed
failure keeps counting towards its threshold but never marks the alert open).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Protocol, TypeVar

from e2echeck.alerting.transitions import MAX_SUMMARY, Observation, Transition, truncate
from e2echeck.redaction import Redactor

SUPPRESSED_COUNT = "suppressed_count"
SUPPRESSED_CHECKS = "suppressed_checks"


class Decided(Protocol):
    """What suppression reads of a decision (decisions.Decision, a dataclass)."""

    @property
    def observation(self) -> Observation: ...

    @property
    def transition(self) -> Transition | None: ...


D = TypeVar("D", bound=Decided)


def suppress(
    decisions: list[D],
    failing: Collection[str],
    redactor: Redactor,
    mute: Callable[[D, str], D],
) -> list[D]:
    """`decisions` with every failing dependent of a `failing` check (names of
    checks failing after their thresholds) turned into a note, and each root
    cause's trigger naming the checks it stands for. `mute(decision, note)`
    is the decision that sends nothing (and, with state, takes the suppressed
    trigger out of it)."""
    waiting_on: dict[str, list[str]] = {}
    for decision in decisions:
        obs = decision.observation
        if obs.signal != "fail" or obs.check is None or not obs.check.depends_on:
            continue
        failed = [name for name in obs.check.depends_on if name in failing]
        if failed:
            waiting_on[obs.check.name] = failed
    if not waiting_on:
        return decisions
    members: dict[str, list[str]] = {}
    for dependent in waiting_on:
        for root in _roots(dependent, waiting_on):
            members.setdefault(root, []).append(dependent)
    kept: list[D] = []
    for decision in decisions:
        check = decision.observation.check
        name = check.name if check is not None else ""
        if name in waiting_on:
            causes = ", ".join(waiting_on[name])
            note = redactor.text(f"suppressed (depends on {causes}, which failed)")
            kept.append(mute(decision, note))
            continue
        if decision.transition is not None and name in members:
            name_members(decision.transition, members[name], redactor)
        kept.append(decision)
    return kept


def name_members(trigger: Transition, names: list[str], redactor: Redactor) -> None:
    """Say in a root cause's trigger (in place: the state and the sinks hold
    the same object) which suppressed checks it stands for."""
    if trigger.action != "trigger":
        return
    trigger.details[SUPPRESSED_COUNT] = len(names)
    trigger.details[SUPPRESSED_CHECKS] = [redactor.text(name) for name in names]
    extra = f" (+{len(names)} dependent check{'s' if len(names) != 1 else ''} suppressed)"
    trigger.summary = truncate(trigger.summary + extra, MAX_SUMMARY)


def _roots(name: str, waiting_on: dict[str, list[str]]) -> list[str]:
    """The failing checks at the bottom of `name`'s chains of failing
    dependencies: the ones that page for it."""
    roots: list[str] = []
    seen = {name}
    todo = list(waiting_on[name])
    while todo:
        current = todo.pop(0)
        if current in seen:
            continue
        seen.add(current)
        if current in waiting_on:
            todo.extend(waiting_on[current])
        elif current not in roots:
            roots.append(current)
    return roots
