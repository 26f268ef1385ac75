"""`flapping` and `failure_rate`: when an alert's recent history, not only its
consecutive runs, decides a page (alerting/flapping.py applies them).

    defaults:
      flapping: {window: 20, high: 50, low: 25}   # on by default; false turns it off
      failure_rate: {failures: 3, of: 10}         # off by default
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Discriminator, Field, Tag

from e2echeck.config._base import ConfigModel
from e2echeck.config.types import (
    Flag,
    FlapWindow,
    Percent,
    PositivePercent,
    PositiveWhole,
    RunCount,
)

if TYPE_CHECKING:
    from e2echeck.config.problems import Loc, Problem
    from e2echeck.config.yaml_reader import PositionedReader

MAX_HISTORY = 100  # runs an alert remembers: the largest window or `of`


class Flapping(ConfigModel):
    """Flap detection over the last `window` runs: the share of runs whose
    outcome differs from the run before."""

    window: FlapWindow = Field(default=20, description="Runs looked at. Default 20.")
    high: PositivePercent = Field(
        default=50,
        description="Percent of changes above which the check is flapping. Default 50.",
    )
    low: Percent = Field(
        default=25,
        description="Percent of changes below which it stops flapping. Default 25.",
    )


class FailureRate(ConfigModel):
    """Trigger when `failures` of the last `of` runs failed, consecutive or not."""

    failures: PositiveWhole = Field(description="Failed runs that trigger.")
    of: RunCount = Field(description="Among the last this many runs (at most 100).")


def _on_or_off(value: Any) -> str:
    return "settings" if isinstance(value, dict | Flapping) else "switch"


# `flapping: {...}` or `flapping: false`: one branch is validated, so a bad
# setting gets one message, not one per branch.
FlappingSetting = Annotated[
    Annotated[Flapping, Tag("settings")] | Annotated[Flag, Tag("switch")],
    Discriminator(_on_or_off),
]


def history_problems(document: object, reader: PositionedReader) -> Iterator[Problem]:
    """`low` above `high`, or more `failures` than runs `of`, in defaults or a check."""
    if not isinstance(document, dict):
        return
    places: list[tuple[Loc, object]] = [(("defaults",), document.get("defaults"))]
    checks = document.get("checks")
    if isinstance(checks, list):
        places += [(("checks", i), check) for i, check in enumerate(checks)]
    for loc, section in places:
        if not isinstance(section, dict):
            continue
        flapping, rate = section.get("flapping"), section.get("failure_rate")
        if isinstance(flapping, dict):
            low, high = _number(flapping.get("low", 25)), _number(flapping.get("high", 50))
            if low is not None and high is not None and low > high:
                yield reader.problem(
                    (*loc, "flapping", "low"),
                    f"low ({low}) must not be above high ({high}): a check would start and "
                    "stop flapping in the same run",
                )
        if isinstance(rate, dict):
            failures, of = _number(rate.get("failures")), _number(rate.get("of"))
            if failures is not None and of is not None and failures > of:
                yield reader.problem(
                    (*loc, "failure_rate", "failures"),
                    f"failures ({failures}) must not be more than of ({of}): it would never page",
                )


def _number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None
