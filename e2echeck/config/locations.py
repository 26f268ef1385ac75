"""The `locations` section: the places that run the same checks.yaml, how many
of them must see a failure before it pages, and how old an observation may be.

    locations:
      expected: [us-east-1, eu-west-1, ap-southeast-2]
      quorum: 2        # default: a majority of expected
      max_age: 15m     # default

The rules that span sections (a quorum within 1..len(expected), `state`
required) are in `location_problems`, placed in the file like every rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, StringConstraints

from e2echeck.config._base import ConfigModel
from e2echeck.config.types import Duration, PositiveWhole

if TYPE_CHECKING:
    from e2echeck.config.problems import Problem
    from e2echeck.config.yaml_reader import PositionedReader

LOCATION_NAME_PATTERN = r"^[A-Za-z0-9._-]+$"
DEFAULT_MAX_AGE_S = 900.0

LocationName = Annotated[
    str, StringConstraints(pattern=LOCATION_NAME_PATTERN, min_length=1, max_length=64)
]


class LocationsConfig(ConfigModel):
    """Several locations run this file; a check pages when a quorum of them sees it fail."""

    expected: list[LocationName] = Field(
        min_length=1,
        description="The names of the locations that run this file (e.g. AWS regions).",
    )
    quorum: PositiveWhole | None = Field(
        default=None,
        description="Failing locations needed to page; default: a majority of expected.",
    )
    max_age: Duration = Field(
        default=DEFAULT_MAX_AGE_S,
        description="An older observation does not count, and its location is silent. Default 15m.",
    )

    @property
    def effective_quorum(self) -> int:
        return self.quorum if self.quorum is not None else len(self.expected) // 2 + 1


def location_problems(document: object, reader: PositionedReader) -> Iterator[Problem]:
    """A quorum out of range, a duplicate location, or locations without state."""
    if not isinstance(document, dict) or not isinstance(document.get("locations"), dict):
        return
    section = document["locations"]
    if document.get("state") is None:
        yield reader.problem(
            ("locations",),
            "locations need a shared state (state: {path: s3://bucket/key} or a file on a "
            "shared filesystem): the locations decide together through it",
            at_key=True,
        )
    expected = section.get("expected")
    if not isinstance(expected, list):
        return
    seen: set[str] = set()
    for index, name in enumerate(expected):
        if isinstance(name, str) and name in seen:
            yield reader.problem(("locations", "expected", index), f"duplicate location {name!r}")
        if isinstance(name, str):
            seen.add(name)
    quorum = _whole_number(section.get("quorum"))
    if quorum is not None and expected and quorum > len(expected):  # < 1: the model's
        yield reader.problem(
            ("locations", "quorum"),
            f"quorum {quorum} is out of range: between 1 and {len(expected)}, the number "
            "of expected locations",
        )


def _whole_number(value: object) -> int | None:
    """The quorum as the model reads it (a number, or text such as "2")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value.strip().replace("_", "")))
        except ValueError:
            return None
    return None
