"""The assertions of a check's `expect`, each failure said in plain words.

`evaluate(expect, exchange)` returns every failure reason; an empty list passes.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from e2echeck.config.models import Expect, JsonAssertion
from e2echeck.config.types import describe_status, format_duration, status_matches
from e2echeck.kinds.http.exchange import TOO_DEEP, Exchange, format_size

_DAY = 86400.0


def evaluate(expect: Expect, exchange: Exchange, *, now: datetime | None = None) -> list[str]:
    """Every way `exchange` falls short of `expect` (empty when it passes)."""
    failures: list[str] = []
    if not status_matches(expect.status, exchange.status_code):
        failures.append(
            f"expected status {describe_status(expect.status)}, got {exchange.status_code}"
        )
    if expect.max_response_time is not None and exchange.elapsed > expect.max_response_time:
        failures.append(
            f"response took {format_elapsed(exchange.elapsed)}, "
            f"maximum {format_duration(expect.max_response_time)}"
        )
    if expect.tls_cert_min_days is not None:
        failure = _check_certificate(expect.tls_cert_min_days, exchange, now)
        if failure:
            failures.append(failure)
    if expect.headers:
        failures.extend(_check_headers(expect.headers, exchange))
    if expect.body_contains or expect.body_not_contains or expect.body_matches:
        failures.extend(_check_body(expect, exchange))
    if expect.json_assertions:
        failures.extend(check_json(expect.json_checks, exchange))
    return failures


def format_elapsed(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    return f"{seconds:.2f}s"


def _cut_note(exchange: Exchange) -> str:
    return f" (only the first {format_size(exchange.body_limit)} of the body was read)"


def _check_body(expect: Expect, exchange: Exchange) -> list[str]:
    failures: list[str] = []
    text = exchange.text
    for needle in expect.body_contains:
        if needle not in text:
            note = _cut_note(exchange) if exchange.truncated else ""
            failures.append(f"body does not contain {quote(needle)}{note}")
    for needle in expect.body_not_contains:
        if needle in text:
            failures.append(f"body contains {quote(needle)}")
        elif exchange.truncated:
            failures.append(
                f"cannot tell whether the body contains {quote(needle)}: it is larger than "
                f"{format_size(exchange.body_limit)} and only its start was read"
            )
    if expect.body_matches is not None and not compiled_regex(expect.body_matches).search(text):
        note = _cut_note(exchange) if exchange.truncated else ""
        failures.append(f"body does not match /{expect.body_matches}/{note}")
    return failures


def _check_headers(expected: dict[str, str], exchange: Exchange) -> list[str]:
    failures: list[str] = []
    for name, value in expected.items():
        actual = exchange.headers.get(name)
        if actual is None:
            failures.append(f"header {name} is missing, expected {quote(value)}")
        elif value.lower() not in actual.lower():
            failures.append(f"header {name} was {quote(actual)}, expected {quote(value)}")
    return failures


def _check_certificate(min_days: int, exchange: Exchange, now: datetime | None) -> str | None:
    if not exchange.is_tls:
        return f"tls_cert_min_days needs an https:// URL, but {exchange.url} is not TLS"
    not_after = exchange.cert_not_after
    if not_after is None:
        return "the TLS certificate of the server could not be read"
    left = (not_after - (now or datetime.now(UTC))).total_seconds()
    on = not_after.strftime("%Y-%m-%d")
    if left <= 0:
        return f"TLS certificate expired {_days(-left)} ago (on {on})"
    if left < min_days * _DAY:
        return f"TLS certificate expires in {_days(left)} (on {on}), minimum {min_days}"
    return None


def _days(seconds: float) -> str:
    if seconds < _DAY:
        hours = max(1, round(seconds / 3600))
        return f"{hours} hour{'s' if hours != 1 else ''}"
    days = round(seconds / _DAY)
    return f"{days} day{'s' if days != 1 else ''}"


@lru_cache(maxsize=1024)
def compiled_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def quote(value: Any) -> str:
    """'text' for strings, JSON for the rest (true, null, 1.5, [1, 2])."""
    if isinstance(value, str):
        text = value if len(value) <= 200 else value[:200] + "..."
        return repr(text)
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 200 else text[:200] + "..."


def check_json(assertions: list[JsonAssertion], exchange: Exchange) -> list[str]:
    try:
        document = exchange.json()
    except ValueError as exc:
        return [str(exc)]
    failures: list[str] = []
    for assertion in assertions:
        try:
            failure = check_json_value(assertion, document)
        except RecursionError:  # a document that parsed, too deep for the path or a value
            failure = f"{assertion.path}: the body is {TOO_DEEP} to evaluate"
        if failure:
            failures.append(failure)
    return failures


def check_json_value(assertion: JsonAssertion, document: Any) -> str | None:
    """The failure of one JSONPath assertion against a parsed document, or None.

    A path that selects several values passes only when every value does
    (`exists` asks only whether there is any)."""
    from e2echeck.config.jsonpath import find_all

    path, op, expected = assertion.path, assertion.op, assertion.value
    matches = find_all(path, document)
    if op == "exists":
        if expected and not matches:
            return f"{path} does not exist, expected it to exist"
        if not expected and matches:
            return f"{path} exists (it was {quote(matches[0])}), expected it not to exist"
        return None
    if not matches:
        return f"{path} was not found, expected {_expectation(op, expected)}"
    for value in matches:
        failure = _compare(op, value, expected)
        if failure is not None:
            many = f" (one of {len(matches)} values)" if len(matches) > 1 else ""
            return f"{path} was {failure}{many}, expected {_expectation(op, expected)}"
    return None


def _expectation(op: str, expected: Any) -> str:
    words = {
        "eq": "",
        "ne": "anything but ",
        "gt": "greater than ",
        "ge": "at least ",
        "lt": "less than ",
        "le": "at most ",
        "contains": "it to contain ",
        "matches": "it to match ",
        "type": "",
    }
    if op == "matches":
        return f"it to match /{expected}/"
    if op == "type":
        return _type_phrase(expected)
    return words[op] + quote(expected)


def _type_phrase(type_name: str) -> str:
    return {
        "array": "an array",
        "object": "an object",
        "integer": "an integer",
        "null": "null",
    }.get(type_name, f"a {type_name}")


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values: true is not 1, 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and bool(a == b)


def _compare(op: str, value: Any, expected: Any) -> str | None:
    """None when `value` satisfies `op expected`, else how to describe `value`."""
    shown = quote(value)
    if op == "eq":
        return None if json_equal(value, expected) else shown
    if op == "ne":
        return shown if json_equal(value, expected) else None
    if op in ("gt", "ge", "lt", "le"):
        if _is_number(expected):
            if not _is_number(value) or (isinstance(value, float) and math.isnan(value)):
                return f"{shown} ({_type_phrase(json_type(value))}, not a number)"
        elif not isinstance(value, str):
            return f"{shown} ({_type_phrase(json_type(value))}, not a string)"
        ok = {
            "gt": value > expected,
            "ge": value >= expected,
            "lt": value < expected,
            "le": value <= expected,
        }[op]
        return None if ok else shown
    if op == "contains":
        if isinstance(value, str):
            return None if isinstance(expected, str) and expected in value else shown
        if isinstance(value, list):
            return None if any(json_equal(item, expected) for item in value) else shown
        if isinstance(value, dict):
            return None if isinstance(expected, str) and expected in value else shown
        return f"{shown} ({_type_phrase(json_type(value))}, which cannot contain anything)"
    if op == "matches":
        if isinstance(value, bool) or value is None or isinstance(value, list | dict):
            return f"{shown} ({_type_phrase(json_type(value))}, not a string)"
        return None if compiled_regex(expected).search(str(value)) else shown
    if op == "type":
        actual = json_type(value)
        if expected == "number" and actual in ("number", "integer"):
            return None
        if expected == actual:
            return None
        return _type_phrase(actual)
    raise ValueError(f"unknown JSON operator {op!r}")  # the config model prevents this
