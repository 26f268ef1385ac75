"""What a scenario step captures for later steps: a JSONPath, a header or a regex."""

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

CAPTURE_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class HeaderCapture(ConfigModel):
    header: str = Field(description="Capture the value of this response header.")


class RegexCapture(ConfigModel):
    regex: str = Field(description="Capture the first group of this regular expression.")

    @field_validator("regex")
    @classmethod
    def _valid_regex(cls, value: str) -> str:
        check_regex(value)
        if re.compile(value).groups < 1:
            raise ValueError(f"the regular expression {value!r} needs a group: (...)")
        return value


_CAPTURE_HELP = 'a JSONPath such as "$.id", {header: Name} or {regex: pattern}'


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
    if isinstance(value, str | HeaderCapture | RegexCapture):
        return value
    if not isinstance(value, dict):
        raise ValueError(f"expected {_CAPTURE_HELP}; got {value!r}")
    kinds = [key for key in ("header", "regex") if key in value]
    if len(kinds) > 1:
        raise ValueError("give one of header or regex, not both")
    if not kinds:
        from e2echeck.config._suggest import did_you_mean

        keys = [str(key) for key in value]
        hint = did_you_mean(keys[0], ("header", "regex")) if keys else ""
        got = f"unknown key {keys[0]!r}{hint}; " if keys else ""
        raise ValueError(f"{got}expected {_CAPTURE_HELP}")
    return value


def _capture_kind(value: Any) -> str:
    # Tags in <> never collide with a key of the data (error locations hold both).
    if isinstance(value, HeaderCapture):
        return "<header>"
    if isinstance(value, RegexCapture):
        return "<regex>"
    if isinstance(value, dict):
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
    | Annotated[HeaderCapture, Tag("<header>")]
    | Annotated[RegexCapture, Tag("<regex>")],
    Discriminator(_capture_kind),
    BeforeValidator(_precheck_capture),
    Field(description='A JSONPath ("$.id"), {header: Name}, or {regex: pattern}.'),
]
