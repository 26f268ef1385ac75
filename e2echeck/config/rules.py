"""The rules that span several fields: unique names and dedup keys, captures
referenced only after a step captured them, and `depends_on` (dependencies.py).

They read the raw document, so they are reported even when a field elsewhere is
invalid: `validate` shows every error of a file in one go.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from e2echeck.config._suggest import did_you_mean
from e2echeck.config.dependencies import dependency_problems
from e2echeck.config.flapping import history_problems
from e2echeck.config.kind_fields import kind_field_problems
from e2echeck.config.maintenance import maintenance_problems
from e2echeck.config.problems import Loc, Problem
from e2echeck.config.urls import TEMPLATE_REFERENCE

if TYPE_CHECKING:
    from e2echeck.config.yaml_reader import PositionedReader

RESERVED_DEDUP_KEYS = frozenset({"e2echeck-control"})
RESERVED_DEDUP_PREFIX = "e2echeck-storm-"  # the storm budget's alerts (alerting/budget.py)
_REQUEST_FIELDS = ("url", "headers", "params", "body", "json", "form")


def cross_field_problems(document: object, reader: PositionedReader) -> Iterator[Problem]:
    """Every broken cross-field rule of `document`, placed by `reader`."""
    yield from maintenance_problems(document, reader)
    yield from history_problems(document, reader)
    checks = document.get("checks") if isinstance(document, dict) else None
    if not isinstance(checks, list):
        return
    names: dict[str, int] = {}
    dedup_keys: dict[str, int] = {}
    for index, check in enumerate(checks):
        if not isinstance(check, dict):
            continue
        loc: Loc = ("checks", index)
        name = check.get("name")
        name = name if isinstance(name, str) else None
        duplicate_name = name is not None and name in names
        if name is not None and duplicate_name:
            yield reader.problem(
                (*loc, "name"),
                f"duplicate check name {name!r} (also checks[{names[name]}]); names are unique",
            )
        elif name is not None:
            names[name] = index
        own_key = check.get("dedup_key")
        own_key = own_key if isinstance(own_key, str) and own_key else None
        key = own_key or name
        key_loc = (*loc, "dedup_key") if own_key else (*loc, "name")
        if key is None or (duplicate_name and own_key is None):
            pass  # the same mistake as the duplicate name: one message is enough
        elif key in RESERVED_DEDUP_KEYS or key.startswith(RESERVED_DEDUP_PREFIX):
            yield reader.problem(key_loc, f"dedup key {key!r} is reserved for e2echeck itself")
        elif key in dedup_keys:
            yield reader.problem(
                key_loc,
                f"dedup key {key!r} is also used by checks[{dedup_keys[key]}]; two checks "
                "sharing a dedup key would trigger and resolve the same alert",
            )
        else:
            dedup_keys[key] = index
        yield from _reference_problems(check, loc, reader)
        yield from _tls_on_plain_http(check, loc, reader)
        yield from kind_field_problems(check, loc, reader)
    yield from dependency_problems(checks, names, reader)


def _reference_problems(
    check: dict[str, object], loc: Loc, reader: PositionedReader
) -> Iterator[Problem]:
    steps = check.get("steps")
    if not isinstance(steps, list):
        for field_loc, name in _references(check, loc):
            yield reader.problem(
                field_loc,
                f"{{{{ {name} }}}} refers to a captured value, but only the steps of a "
                "scenario capture values; use ${VAR} for the environment",
            )
        return
    available: set[str] = set()
    step_names: set[str] = set()
    for index, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        step_loc = (*loc, "steps", index)
        step_name = step.get("name")
        if isinstance(step_name, str) and step_name in step_names:
            yield reader.problem((*step_loc, "name"), f"duplicate step name {step_name!r}")
        if isinstance(step_name, str):
            step_names.add(step_name)
        for field_loc, name in _references(step, step_loc):
            if name not in available:
                known = sorted(available)
                hint = did_you_mean(name, known)
                where = f"captured so far: {', '.join(known)}" if known else "nothing captured yet"
                yield reader.problem(
                    field_loc,
                    f"{{{{ {name} }}}} is not captured by an earlier step{hint} ({where})",
                )
        capture = step.get("capture")
        if isinstance(capture, dict):
            available.update(str(key) for key in capture)


def _references(request: dict[str, object], loc: Loc) -> Iterator[tuple[Loc, str]]:
    for name in _REQUEST_FIELDS:
        if name in request:
            yield from _references_in(request[name], (*loc, name))


def _references_in(value: object, loc: Loc) -> Iterator[tuple[Loc, str]]:
    if isinstance(value, str):
        for match in TEMPLATE_REFERENCE.finditer(value):
            yield loc, match.group(1)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _references_in(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _references_in(item, (*loc, index))


def _tls_on_plain_http(
    check: dict[str, object], loc: Loc, reader: PositionedReader
) -> Iterator[Problem]:
    """`tls_cert_min_days` on a URL written as a literal http:// URL can never pass.

    A URL from the environment (`${BASE_URL}/health`) is left alone: the same file
    may run against https in production and a local http service elsewhere.
    """
    steps = check.get("steps")
    requests = (
        [((*loc, "steps", index), step) for index, step in enumerate(steps)]
        if isinstance(steps, list)
        else [(loc, check)]
    )
    for request_loc, request in requests:
        if not isinstance(request, dict):
            continue
        url, expect = request.get("url"), request.get("expect")
        if not (isinstance(url, str) and isinstance(expect, dict)):
            continue
        if expect.get("tls_cert_min_days") is None or url in reader.interpolate.substituted:
            continue
        if url[:7].lower() == "http://":
            yield reader.problem(
                (*request_loc, "expect", "tls_cert_min_days"),
                "tls_cert_min_days needs an https:// URL, but the url is http:// "
                "(there is no certificate to check); use https:// or remove it",
            )
