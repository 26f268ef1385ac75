"""PagerDuty's shape of a routing key, judged once its value is known.

A key from `${VAR}` or a secret reference is only known once resolved: `validate`
warns where the value is known (a `run --no-alert` with a placeholder key is
fine), and a run that sends refuses a malformed key before anything runs, at the
key's line and column, rather than paging into a 400. The key itself is never
quoted, only its length.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from e2echeck.config.problems import Loc, Problem
from e2echeck.config.yaml_reader import PositionedReader

#: A PagerDuty Events API v2 routing (integration) key: 32 letters and digits.
ROUTING_KEY_LENGTH = 32


def shape_problem(key: str) -> str | None:
    """Why PagerDuty would refuse this key, or None when it has the right shape."""
    if len(key) == ROUTING_KEY_LENGTH and key.isalnum():
        return None
    return (
        f"a PagerDuty routing key is {ROUTING_KEY_LENGTH} letters and digits; this one is "
        f"{len(key)} characters"
        + ("" if key.isalnum() else ", not all letters and digits")
        + " (check the integration key the variable or secret holds)"
    )


def key_locations(document: dict[str, Any]) -> Iterator[tuple[Loc, Any]]:
    """(where, value) of every routing key written in the file."""
    pagerduty = document.get("pagerduty")
    if isinstance(pagerduty, dict) and "routing_key" in pagerduty:
        yield ("pagerduty", "routing_key"), pagerduty["routing_key"]
    checks = document.get("checks")
    for index, check in enumerate(checks if isinstance(checks, list) else []):
        if isinstance(check, dict) and "routing_key" in check:
            yield ("checks", index, "routing_key"), check["routing_key"]


def key_positions(document: dict[str, Any], reader: PositionedReader) -> dict[str, Problem]:
    """{the check's name, or "" for the pagerduty section: a problem placed at
    its routing key, its message empty}, for the run to fill in once it knows
    the key is malformed."""
    places = {}
    checks = document.get("checks")
    for loc, _ in key_locations(document):
        owner = ""
        if loc[0] == "checks" and isinstance(checks, list):
            owner = str(checks[int(loc[1])].get("name", ""))
        places[owner] = reader.problem(loc, "")
    return places


def malformed_key_warnings(document: dict[str, Any], reader: PositionedReader) -> list[Problem]:
    """A warning at every routing key whose known value PagerDuty would refuse."""
    warnings = []
    for loc, value in key_locations(document):
        if not isinstance(value, str) or value in reader.unresolved_values or "${" in value:
            continue
        message = shape_problem(value)
        if message is not None:
            problem = reader.problem(loc, message + "; PagerDuty would refuse every event")
            warnings.append(replace(problem, severity="warning"))
    return warnings
