"""Fields that do not belong to a check's kind: `send` on an https:// check,
`headers` or `expect.status` on a tcp:// one. Each is an error at its own
position, so a check never silently asserts less than its author wrote.

The kind follows from the URL's scheme (config/kinds.py lists each kind's
fields); a URL whose scheme comes from ${VAR} is not judged here.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from e2echeck.config.kinds import KIND_OF_SCHEME, KINDS, KindEntry, scheme_of
from e2echeck.config.sockets import STARTTLS_PORTS
from e2echeck.config.types import GRPC_HEALTH_STATUSES as GRPC_HEALTH

if TYPE_CHECKING:
    from e2echeck.config.problems import Loc, Problem
    from e2echeck.config.yaml_reader import PositionedReader

_SCENARIO_KIND = "http"  # only HTTP checks have steps
# The fields that belong to some kind: another kind's is an error here; a key
# that no kind has is the model's "unknown key" error, with its suggestion.
KIND_FIELDS = frozenset().union(*(entry.fields for entry in KINDS)) | {"starttls"}
KIND_EXPECT = frozenset().union(*(entry.expect for entry in KINDS))
_DEFAULT_PORTS = {"tls": 443, "dns": 53, "grpcs": 443}


def kind_field_problems(
    check: dict[str, object], loc: Loc, reader: PositionedReader
) -> Iterator[Problem]:
    """Each field of `check` (and of its `expect`) that its kind does not read."""
    steps = check.get("steps")
    if isinstance(steps, list):
        for index, step in enumerate(steps):
            url = step.get("url") if isinstance(step, dict) else None
            entry = _entry(url)
            if entry is not None and entry.name != _SCENARIO_KIND:
                yield reader.problem(
                    (*loc, "steps", index, "url"),
                    f"a scenario's steps are HTTP requests; {scheme_of(str(url))}:// is a "
                    "check of its own (give it its own url, without steps)",
                )
        return
    url = check.get("url")
    entry = _entry(url)
    if entry is None or not isinstance(url, str):
        return
    scheme = scheme_of(url)
    where = f"{scheme}:// checks"
    for key in check:
        if not isinstance(key, str) or key not in KIND_FIELDS:
            continue  # a neutral field, or an unknown one (the model's error says so)
        if key not in entry.fields or (key == "starttls" and scheme != "starttls"):
            yield reader.problem(
                (*loc, key), f"{key} does not apply to {where}{_owner(key)}", at_key=True
            )
    expect = check.get("expect")
    if isinstance(expect, dict):
        for key in expect:
            if isinstance(key, str) and key in KIND_EXPECT and key not in entry.expect:
                yield reader.problem(
                    (*loc, "expect", key),
                    f"expect.{key} does not apply to {where}{_owner(key, expect=True)}",
                    at_key=True,
                )
    if entry.name != _SCENARIO_KIND:
        yield from _address_problems(url, scheme, check, loc, reader)
    yield from _status_problems(entry, scheme, check, loc, reader)
    yield from _extra_problems(entry, scheme, loc, reader)
    if entry.name == "dns" and check.get("dns") is None:
        yield reader.problem(
            (*loc, "url"),
            "a dns:// check asks its resolver a question: add dns: {name: ..., type: A}",
        )


def _status_problems(
    entry: KindEntry, scheme: str, check: dict[str, object], loc: Loc, reader: PositionedReader
) -> Iterator[Problem]:
    """`expect.status`: an HTTP status on http(s)://, a gRPC health status on grpc(s)://."""
    expect = check.get("expect")
    status = expect.get("status") if isinstance(expect, dict) else None
    if status is None or (isinstance(status, str) and "${" in status):
        return
    words = status if isinstance(status, list) else [status]
    grpc_words = [w for w in words if isinstance(w, str) and w.strip().upper() in GRPC_HEALTH]
    where = (*loc, "expect", "status")
    if entry.name == "grpc" and (isinstance(status, list) or not grpc_words):
        yield reader.problem(
            where,
            f"a {scheme}:// check expects one gRPC health status: " + ", ".join(GRPC_HEALTH),
        )
    elif entry.name == "http" and grpc_words:
        yield reader.problem(
            where,
            f"{grpc_words[0]} is a gRPC health status (for grpc:// checks); "
            "an HTTP check expects a status such as 200 or 2xx",
        )


def _extra_problems(
    entry: KindEntry, scheme: str, loc: Loc, reader: PositionedReader
) -> Iterator[Problem]:
    """A kind whose libraries come with an extra that is not installed."""
    if entry.module_needed is None or importlib.util.find_spec(entry.module_needed) is not None:
        return
    yield reader.problem(
        (*loc, "url"),
        f"{scheme}:// checks need the {entry.extra} extra, which is not installed: "
        f"install e2echeck with its {entry.extra} extra",
    )


def _entry(url: object) -> KindEntry | None:
    return KIND_OF_SCHEME.get(scheme_of(url)) if isinstance(url, str) else None


def _owner(key: str, *, expect: bool = False) -> str:
    """'; it is for tcp://' naming the kinds whose field `key` is."""
    owners = [
        f"{entry.schemes[0]}://"
        for entry in KIND_OF_SCHEME.values()
        if key in (entry.expect if expect else entry.fields)
    ]
    if key == "starttls":
        owners = ["starttls://"]
    unique = list(dict.fromkeys(owners))
    return f" (it is for {' and '.join(unique)} checks)" if unique else ""


def _address_problems(
    url: str, scheme: str, check: dict[str, object], loc: Loc, reader: PositionedReader
) -> Iterator[Problem]:
    """host:port: a port where the kind has no default, no path or query."""
    if "${" in url or "{{" in url:
        return
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        yield reader.problem((*loc, "url"), f"invalid port in {url!r}")
        return
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        yield reader.problem(
            (*loc, "url"), f"a {scheme}:// URL is {scheme}://host:port, without a path or query"
        )
    if port is None and scheme not in _DEFAULT_PORTS:
        yield reader.problem((*loc, "url"), f"a {scheme}:// URL needs a port: {scheme}://host:port")
    if scheme == "starttls" and check.get("starttls") is None and port not in STARTTLS_PORTS:
        known = ", ".join(f"{p} {name}" for p, name in sorted(STARTTLS_PORTS.items()))
        yield reader.problem(
            (*loc, "url"),
            f"say which protocol speaks STARTTLS on port {port} with starttls: smtp, imap or "
            f"pop3 (by port: {known})",
        )


def kind_fields_schema(schema: dict[str, Any]) -> None:
    """JSON Schema: a check's URL scheme picks its kind's fields; the fields
    of the other kinds are not allowed (an editor marks them)."""
    every_field = set().union(*(entry.fields for entry in KIND_OF_SCHEME.values()))
    every_expect = set().union(*(entry.expect for entry in KIND_OF_SCHEME.values()))
    rules = schema.setdefault("allOf", [])
    for scheme, entry in KIND_OF_SCHEME.items():
        foreign = sorted(every_field - entry.fields | ({"starttls"} if scheme == "tls" else set()))
        foreign_expect = sorted(every_expect - entry.expect)
        then: dict[str, Any] = {"not": {"anyOf": [{"required": [key]} for key in foreign]}}
        if entry.name == "dns":
            then["required"] = ["dns"]
        if foreign_expect:
            then["properties"] = {
                "expect": {
                    "not": {"anyOf": [{"required": [key]} for key in foreign_expect]},
                    "description": f"Only the expectations of a {scheme}:// check.",
                }
            }
        rules.append(
            {
                "if": {
                    "required": ["url"],
                    "properties": {
                        "url": {
                            "type": "string",
                            "pattern": _scheme_pattern(scheme),
                            "description": f"A {scheme}:// URL.",
                        }
                    },
                },
                "then": then,
                "description": f"A {scheme}:// check has only the fields of its kind.",
            }
        )


def _scheme_pattern(scheme: str) -> str:
    """^scheme:// in any case (JSON Schema has no (?i))."""
    letters = "".join(f"[{c.upper()}{c.lower()}]" for c in scheme)
    return f"^{letters}://"
