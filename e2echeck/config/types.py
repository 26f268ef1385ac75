"""Value types of checks.yaml that YAML has no word for: durations and HTTP statuses.

Each is parsed once, at load time, into a plain Python value, so a typo such as
"10sec" or "20x" is a config error with a position instead of a failure at 3 a.m.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
DURATION_PATTERN = r"^\s*\d+(\.\d+)?\s*(ms|s|m|h)?\s*$"


def parse_duration(value: Any) -> float:
    """Seconds from "250ms", "10s", "1m", "1h" or a plain number of seconds."""
    if isinstance(value, bool):
        raise ValueError(f'expected a duration such as "250ms", "10s" or "1m"; got {value!r}')
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"expected a finite duration; got {value!r}")
        if value < 0:
            raise ValueError(f"expected a duration of 0 or more; got {value!r}")
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    raise ValueError(f'expected a duration such as "250ms", "10s" or "1m"; got {value!r}')


def format_duration(seconds: float) -> str:
    """The shortest of "250ms", "10s", "1.5s", "2m" that says the same."""
    if seconds < 1:
        return f"{seconds * 1000:g}ms"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "pattern": DURATION_PATTERN},
            ],
            "description": 'A duration: "250ms", "10s", "1m", "1h", or a number of seconds.',
        }
    ),
]

_STATUS_CLASS = re.compile(r"^[1-5]xx$", re.IGNORECASE)
_STATUS_HELP = 'an HTTP status (100-599), a class such as "2xx", or a list of them'


def _parse_one_status(value: Any) -> int | str:
    if isinstance(value, bool):
        raise ValueError(f"expected {_STATUS_HELP}; got {value!r}")
    if isinstance(value, int) and 100 <= value <= 599:
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit() and 100 <= int(text) <= 599:
            return int(text)
        if _STATUS_CLASS.match(text):
            return text.lower()
    raise ValueError(f"expected {_STATUS_HELP}; got {value!r}")


def parse_status(value: Any) -> tuple[int | str, ...]:
    """A tuple of accepted statuses: exact codes and classes like "2xx"."""
    if isinstance(value, list | tuple):
        if not value:
            raise ValueError(f"expected {_STATUS_HELP}; got an empty list")
        return tuple(_parse_one_status(item) for item in value)
    return (_parse_one_status(value),)


def status_matches(accepted: tuple[int | str, ...], code: int) -> bool:
    for item in accepted:
        if isinstance(item, int):
            if item == code:
                return True
        elif code // 100 == int(item[0]):
            return True
    return False


def describe_status(accepted: tuple[int | str, ...]) -> str:
    """'200', '200 or 204', '2xx'."""
    words = [str(item) for item in accepted]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


_STATUS_ITEM_SCHEMA = {
    "anyOf": [
        {"type": "integer", "minimum": 100, "maximum": 599},
        {"type": "string", "pattern": "^([1-5][0-9][0-9]|[1-5][xX][xX])$"},
    ]
}

StatusSpec = Annotated[
    tuple[int | str, ...],
    BeforeValidator(parse_status),
    WithJsonSchema(
        {
            "anyOf": [
                _STATUS_ITEM_SCHEMA,
                {"type": "array", "items": _STATUS_ITEM_SCHEMA, "minItems": 1},
            ],
            "description": 'Accepted status: 200, [200, 204], or a class such as "2xx".',
        }
    ),
]
