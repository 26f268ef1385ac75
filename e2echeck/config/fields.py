"""The field types of the request and check models that are not plain text:
methods, severities, roles and regions (any case or from ${VAR} where the loader
allows it), one text or a list, and query parameter values."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, WithJsonSchema

from e2echeck.config.types import ENV_TEXT_SCHEMA, AlsoAsText, case_insensitive_pattern

NAME_PATTERN = r"^[A-Za-z0-9._-]+$"  # a check's or a step's name
Severity = Literal["critical", "error", "warning", "info"]
Method = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
Role = Literal["service", "control"]
METHODS: tuple[str, ...] = Method.__args__  # type: ignore[attr-defined]


def _upper_method(value: Any) -> Any:
    # ASCII only: a few other letters upper-case to ASCII ones (the long s to S).
    return value.upper() if isinstance(value, str) and value.isascii() else value


MethodName = Annotated[
    Method,
    BeforeValidator(_upper_method),
    WithJsonSchema(
        {
            "anyOf": [
                {"enum": list(METHODS)},
                {"type": "string", "pattern": case_insensitive_pattern(METHODS)},
                ENV_TEXT_SCHEMA,
            ]
        }
    ),
]
SeverityName = Annotated[Severity, AlsoAsText()]
RoleName = Annotated[Role, AlsoAsText()]
Region = Annotated[Literal["us", "eu"], AlsoAsText()]


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


# One text or a list of them, read as a list.
Texts = Annotated[
    list[str],
    BeforeValidator(_one_or_many),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}),
]


ParamScalar = str | int | float | bool


def _check_param(value: Any) -> Any:
    scalar = (str, int, float, bool)
    if isinstance(value, scalar) or (
        isinstance(value, list) and all(isinstance(item, scalar) for item in value)
    ):
        return value
    kind = "a mapping" if isinstance(value, dict) else repr(value)
    if isinstance(value, list):
        kind = "a list with a mapping, list or null in it"
    raise ValueError(f"expected a string, number, boolean, or a list of them; got {kind}")


ParamValue = Annotated[ParamScalar | list[ParamScalar], BeforeValidator(_check_param)]
