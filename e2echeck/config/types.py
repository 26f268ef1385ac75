"""Value types of checks.yaml that YAML has no word for (durations, HTTP statuses),
and the scalars a file may also write as text.

Each is parsed once, at load time, into a plain Python value, so a typo such as
"10sec" or "20x" is a config error with a position instead of a failure at 3 a.m.
Each type's JSON Schema accepts exactly the forms its parser accepts, so that an
editor never paints red a file that `e2echeck validate` accepts.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import BeforeValidator, GetJsonSchemaHandler, WithJsonSchema
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

#: A `${VAR}` reference: substituted before validation, so the schema, which sees
#: the file as written, accepts it wherever a typed value is expected.
ENV_REFERENCE_PATTERN = r"\$\{[^}]*\}"  # closed: an unclosed "${" is an error
ENV_TEXT_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": ENV_REFERENCE_PATTERN,
    "description": "A ${VAR} reference, checked once substituted.",
}


@dataclass(frozen=True)
class AlsoAsText:
    """JSON Schema: the value may also be text, e.g. from a ${VAR} reference.

    `pattern` is the text the loader converts to the value (`retries: "3"`);
    text holding a ${VAR} reference is always accepted."""

    pattern: str | None = None
    also_values: tuple[int, ...] = ()  # other values the loader accepts, e.g. 0 and 1

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        text: list[dict[str, Any]] = [ENV_TEXT_SCHEMA]
        if self.pattern is not None:
            text.insert(0, {"type": "string", "pattern": self.pattern})
        if self.also_values:
            text.insert(0, {"enum": list(self.also_values)})
        return {"anyOf": [schema, *text]}


def case_insensitive_pattern(words: tuple[str, ...]) -> str:
    """A pattern matching any of `words` in any case (JSON Schema has no (?i))."""

    def letters(word: str) -> str:
        return "".join(
            f"[{c.upper()}{c.lower()}]" if c.upper() != c.lower() else re.escape(c) for c in word
        )

    return "^(" + "|".join(letters(w) for w in words) + ")$"


def _not_a_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number; got {value!r}")
    return value


# The text pydantic reads as a whole number: "3", " 3 ", "+3", "1_000", "3.0".
WHOLE_NUMBER_TEXT = r"^\s*[+-]?[0-9][0-9_]*(\.0*)?\s*$"
# The words pydantic reads as true or false, in any case.
FLAG_WORDS = ("true", "false", "yes", "no", "on", "off", "t", "f", "y", "n", "1", "0")

WholeNumber = Annotated[int, BeforeValidator(_not_a_bool), AlsoAsText(WHOLE_NUMBER_TEXT)]


def whole_number_text(minimum: int, maximum: int | None = None) -> str:
    """The text pydantic reads as a whole number from `minimum` to `maximum`:
    "3", " +3 ", "3.0", "-0"; without a maximum, `minimum` is 0 or 1."""
    if maximum is not None and maximum > 100:  # 1 to 10^k
        digits = len(str(maximum)) - 1
        if maximum != 10**digits or minimum not in (0, 1):  # pragma: no cover
            raise ValueError(f"no text pattern for whole numbers to {maximum}")
        low = "|0" if minimum == 0 else ""
        body = rf"\+?0*([1-9][0-9]{{0,{digits - 1}}}|{maximum}{low})"
    elif maximum is not None:
        numbers = "|".join(str(n) for n in range(maximum, max(minimum, 0) - 1, -1))
        body = rf"\+?0*({numbers})"
    elif minimum == 1:
        body = r"\+?[0_]*[1-9][0-9_]*"
    elif minimum == 0:
        body = r"\+?[0-9][0-9_]*"
    else:  # pragma: no cover - no field has another lower bound
        raise ValueError(f"no text pattern for whole numbers from {minimum}")
    zero = "|-0[0_]*" if minimum <= 0 else ""
    return rf"^\s*({body}{zero})(\.0*)?\s*$"


@dataclass(frozen=True)
class BoundedWholeSchema:
    """JSON Schema of a whole number between bounds, also as text: the bounds are
    JSON Schema's `minimum`/`maximum` on the number and a pattern on the text, so
    an editor rejects what `validate` rejects (`retries: 20`, `"0"`)."""

    minimum: int
    maximum: int | None = None

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        number: dict[str, Any] = {"type": "integer", "minimum": self.minimum}
        if self.maximum is not None:
            number["maximum"] = self.maximum
        text = {"type": "string", "pattern": whole_number_text(self.minimum, self.maximum)}
        if self.maximum is not None:
            words = f"from {self.minimum} to {self.maximum}"
        else:
            words = f"of {self.minimum} or more"
        return {
            "anyOf": [number, text, ENV_TEXT_SCHEMA],
            "description": f'A whole number {words}, also as text ("3").',
        }


_WHOLE = BeforeValidator(_not_a_bool)
#: A whole number of 0 or more (tls_cert_min_days).
NonNegativeWhole = Annotated[int, _WHOLE, Ge(0), BoundedWholeSchema(0)]
#: A whole number of 1 or more (thresholds, a quorum).
PositiveWhole = Annotated[int, _WHOLE, Ge(1), BoundedWholeSchema(1)]
#: Percentages: 0 to 100 and 1 to 100; runs remembered: 1 to 100, 4 to 100.
Percent = Annotated[int, _WHOLE, Ge(0), Le(100), BoundedWholeSchema(0, 100)]
PositivePercent = Annotated[int, _WHOLE, Ge(1), Le(100), BoundedWholeSchema(1, 100)]
RunCount = Annotated[int, _WHOLE, Ge(1), Le(100), BoundedWholeSchema(1, 100)]
FlapWindow = Annotated[int, _WHOLE, Ge(4), Le(100), BoundedWholeSchema(4, 100)]
#: Events a minute: 1 to 10,000.
EventBudget = Annotated[int, _WHOLE, Ge(1), Le(10000), BoundedWholeSchema(1, 10000)]
#: Retries: 0 to 10.
RetryCount = Annotated[int, _WHOLE, Ge(0), Le(10), BoundedWholeSchema(0, 10)]
Flag = Annotated[bool, AlsoAsText(case_insensitive_pattern(FLAG_WORDS), also_values=(0, 1))]

DURATION_PATTERN = r"^\s*[0-9]+(\.[0-9]+)?\s*(ms|s|m|h)?\s*$"
_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)?\s*$", re.ASCII)
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(value: Any) -> float:
    """Seconds from "250ms", "10s", "1m", "1h" or a plain number of seconds."""
    if isinstance(value, bool):
        raise ValueError(f'expected a duration such as "250ms", "10s" or "1m"; got {value!r}')
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"expected a duration of 0 or more; got {value!r}")
        return _finite(float(value) if isinstance(value, float) else _int_seconds(value), value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
            return _finite(seconds, value)
    raise ValueError(f'expected a duration such as "250ms", "10s" or "1m"; got {value!r}')


def _int_seconds(value: int) -> float:
    try:
        return float(value)
    except OverflowError:  # more digits than a float holds
        return math.inf


# The longest duration any setting or silence takes: a year. Past it a value is
# a typo (87600000h), and datetime arithmetic would overflow.
MAX_DURATION_SECONDS = 366 * 24 * 3600.0


def _finite(seconds: float, value: object) -> float:
    if not math.isfinite(seconds):
        raise ValueError(f"expected a finite duration; got {value!r}")
    if seconds > MAX_DURATION_SECONDS:
        raise ValueError(f"expected a duration of at most 366 days (8784h); got {value!r}")
    return seconds


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
                ENV_TEXT_SCHEMA,
            ],
            "description": 'A duration: "250ms", "10s", "1m", "1h", or a number of seconds; '
            "at most 366 days.",
        }
    ),
]

# A duration with a digit other than 0: more than no time at all.
POSITIVE_DURATION_PATTERN = r"^\s*(?=[0-9.]*[1-9])[0-9]+(\.[0-9]+)?\s*(ms|s|m|h)?\s*$"


def parse_positive_duration(value: Any) -> float:
    """A duration longer than 0 (a timeout: 0s would fail every request)."""
    seconds = parse_duration(value)
    if seconds <= 0:
        raise ValueError(f"expected a duration longer than 0; got {value!r}")
    return seconds


PositiveDuration = Annotated[
    float,
    BeforeValidator(parse_positive_duration),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0},
                {"type": "string", "pattern": POSITIVE_DURATION_PATTERN},
                ENV_TEXT_SCHEMA,
            ],
            "description": 'A duration longer than 0: "250ms", "10s", "1m", or a number of '
            "seconds.",
        }
    ),
]

_STATUS_CLASS = re.compile(r"^[1-5]xx$", re.IGNORECASE)
_ASCII_SPACE = " \t\n\r\f\v"
_STATUS_HELP = 'an HTTP status (100-599), a class such as "2xx", or a list of them'


def _parse_one_status(value: Any) -> int | str:
    if isinstance(value, bool):
        raise ValueError(f"expected {_STATUS_HELP}; got {value!r}")
    if isinstance(value, int) and 100 <= value <= 599:
        return value
    if isinstance(value, str):
        text = value.strip(_ASCII_SPACE)
        if text.isascii() and text.isdigit() and 100 <= int(text) <= 599:
            return int(text)
        if _STATUS_CLASS.match(text):
            return text.lower()
    raise ValueError(f"expected {_STATUS_HELP}; got {value!r}")


# The statuses of the gRPC health checking protocol, which a grpc:// check's
# `expect.status` names instead of an HTTP status (config/kind_fields.py keeps
# each kind to its own).
GRPC_HEALTH_STATUSES = ("SERVING", "NOT_SERVING", "UNKNOWN", "SERVICE_UNKNOWN")


def parse_status(value: Any) -> tuple[int | str, ...]:
    """A tuple of accepted statuses: exact codes and classes like "2xx" (or a
    gRPC health status such as SERVING)."""
    if isinstance(value, str) and value.strip().upper() in GRPC_HEALTH_STATUSES:
        return (value.strip().upper(),)
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
        {"type": "string", "pattern": r"^\s*([1-5][0-9][0-9]|[1-5][xX][xX])\s*$"},
        ENV_TEXT_SCHEMA,
    ]
}

StatusSpec = Annotated[
    tuple[int | str, ...],
    BeforeValidator(parse_status),
    WithJsonSchema(
        {
            "anyOf": [
                _STATUS_ITEM_SCHEMA,
                {
                    "type": "string",
                    "pattern": "^(?:" + "|".join(GRPC_HEALTH_STATUSES) + ")$",
                    "description": "grpc:// checks: a gRPC health status.",
                },
                {"type": "array", "items": _STATUS_ITEM_SCHEMA, "minItems": 1},
            ],
            "description": 'Accepted status: 200, [200, 204], or a class such as "2xx"; '
            "for grpc:// checks SERVING (default), NOT_SERVING, UNKNOWN or SERVICE_UNKNOWN.",
        }
    ),
]
