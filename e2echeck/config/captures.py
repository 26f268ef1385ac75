"""What a scenario step captures for later steps: a JSONPath, a header or a regex.

A capture marked `secret: true` (or whose name looks sensitive) holds a secret:
its value is masked in every output of the run.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
    field_validator,
)

from e2echeck.config._base import ConfigModel
from e2echeck.config.json_assertions import check_jsonpath, check_regex
from e2echeck.config.types import Flag

CAPTURE_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


_SECRET_HELP = (
    "The captured value is a secret: masked in every report, log line and event of the "
    "run. Captures whose name looks sensitive (token, key, session...) are secret anyway."
)


class HeaderCapture(ConfigModel):
    header: str = Field(description="Capture the value of this response header.")
    secret: Flag = Field(default=False, description=_SECRET_HELP)


class JsonPathCapture(ConfigModel):
    json_path: str = Field(
        alias="json", description='Capture the first match of this JSONPath, e.g. "$.token".'
    )
    secret: Flag = Field(default=False, description=_SECRET_HELP)

    @field_validator("json_path")
    @classmethod
    def _valid_path(cls, value: str) -> str:
        return _check_capture_path(value)


class RegexCapture(ConfigModel):
    regex: str = Field(description="Capture the first group of this regular expression.")
    secret: Flag = Field(default=False, description=_SECRET_HELP)

    @field_validator("regex")
    @classmethod
    def _valid_regex(cls, value: str) -> str:
        check_regex(value)
        if re.compile(value).groups < 1:
            raise ValueError(f"the regular expression {value!r} needs a group: (...)")
        return value


_CAPTURE_HELP = 'a JSONPath such as "$.id", {json: "$.id"}, {header: Name} or {regex: pattern}'
_KINDS = ("json", "header", "regex")


def _check_capture_name(name: str) -> str:
    if not re.match(CAPTURE_NAME_PATTERN, name):
        raise ValueError(
            "expected a capture name of letters, digits and _, not starting with a digit; "
            f"got {name!r}"
        )
    return name


def _check_capture_path(path: str) -> str:
    if not path.startswith("$"):
        raise ValueError(f"expected {_CAPTURE_HELP}; got {path!r}")
    return check_jsonpath(path)


def _precheck_capture(value: Any) -> Any:
    """One clear message for a capture that is none of the three kinds."""
    if isinstance(value, str | HeaderCapture | RegexCapture | JsonPathCapture):
        return value
    if not isinstance(value, dict):
        raise ValueError(f"expected {_CAPTURE_HELP}; got {value!r}")
    kinds = [key for key in _KINDS if key in value]
    if len(kinds) > 1:
        raise ValueError(f"give one of json, header or regex; got {' and '.join(kinds)}")
    if not kinds:
        from e2echeck.config._suggest import did_you_mean

        keys = [str(key) for key in value if key != "secret"] or [str(k) for k in value]
        hint = did_you_mean(keys[0], _KINDS) if keys else ""
        got = f"unknown key {keys[0]!r}{hint}; " if keys else ""
        raise ValueError(f"{got}expected {_CAPTURE_HELP}")
    return value


def _capture_kind(value: Any) -> str:
    # Tags in <> never collide with a key of the data (error locations hold both).
    if isinstance(value, HeaderCapture):
        return "<header>"
    if isinstance(value, RegexCapture):
        return "<regex>"
    if isinstance(value, JsonPathCapture):
        return "<json>"
    if isinstance(value, dict):
        if "json" in value:
            return "<json>"
        return "<regex>" if "regex" in value else "<header>"
    return "<jsonpath>"


CaptureName = Annotated[str, AfterValidator(_check_capture_name)]
Capture = Annotated[
    Annotated[
        str,
        AfterValidator(_check_capture_path),
        WithJsonSchema(
            {"type": "string", "pattern": r"^\$", "description": 'A JSONPath, e.g. "$.id".'}
        ),
        Tag("<jsonpath>"),
    ]
    | Annotated[JsonPathCapture, Tag("<json>")]
    | Annotated[HeaderCapture, Tag("<header>")]
    | Annotated[RegexCapture, Tag("<regex>")],
    Discriminator(_capture_kind),
    BeforeValidator(_precheck_capture),
    Field(
        description='A JSONPath ("$.id"), {json: "$.id"}, {header: Name} or {regex: pattern}; '
        "the dict forms take `secret: true`."
    ),
]
