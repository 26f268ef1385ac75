"""The JSON assertions of `expect.json`: a JSONPath mapped to a literal or to one
operator, parsed at load time into `JsonAssertion`s the engine evaluates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, JsonValue, WithJsonSchema

JSON_OPERATORS = ("eq", "ne", "gt", "ge", "lt", "le", "contains", "matches", "exists", "type")
JSON_TYPES = ("string", "number", "integer", "boolean", "array", "object", "null")


def check_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
    return value


# Names and indexes only ($.a.b[0].c): valid JSONPath by construction, so
# `validate` need not import python-jsonpath (80 ms) for the common case.
# Anything else is compiled by the library, as it will be at run time.
SIMPLE_JSONPATH = re.compile(r"\$(?:\.[A-Za-z_][A-Za-z0-9_]*|\[(?:0|[1-9][0-9]*)\])*")


def check_jsonpath(path: str) -> str:
    if SIMPLE_JSONPATH.fullmatch(path):
        return path
    from e2echeck.config.jsonpath import compile_jsonpath

    compile_jsonpath(path)
    return path


@dataclass(frozen=True)
class JsonAssertion:
    """One JSONPath assertion: the operator and its operand, e.g. ("gt", 1)."""

    path: str
    op: str
    value: JsonValue


def _check_json_path_key(path: str) -> str:
    if not path.startswith("$"):
        raise ValueError(f"expected a JSONPath starting with '$'; got {path!r}")
    return check_jsonpath(path)


def _parse_json_operand(expected: Any) -> JsonAssertion:
    """A literal (equality) or {operator: operand}; the path is filled in later."""
    path = ""
    if isinstance(expected, JsonAssertion):
        return expected
    if not isinstance(expected, dict):
        return JsonAssertion(path, "eq", expected)
    if len(expected) != 1:
        raise ValueError(
            f"expected one operator ({', '.join(JSON_OPERATORS)}), got {len(expected)} keys; "
            "to compare with an object, write {eq: {...}}"
        )
    ((op, operand),) = expected.items()
    if op not in JSON_OPERATORS:
        from e2echeck.config._suggest import did_you_mean

        raise ValueError(
            f"unknown operator {op!r}{did_you_mean(str(op), JSON_OPERATORS)}; "
            f"expected one of {', '.join(JSON_OPERATORS)}"
        )
    if op in ("gt", "ge", "lt", "le") and (
        isinstance(operand, bool) or not isinstance(operand, int | float | str)
    ):
        raise ValueError(f"{op} needs a number or a string; got {operand!r}")
    if op == "matches":
        if not isinstance(operand, str):
            raise ValueError(f"matches needs a regular expression; got {operand!r}")
        check_regex(operand)
    if op == "exists" and not isinstance(operand, bool):
        raise ValueError(f"exists needs true or false; got {operand!r}")
    if op == "type" and operand not in JSON_TYPES:
        raise ValueError(f"type needs one of {', '.join(JSON_TYPES)}; got {operand!r}")
    return JsonAssertion(path, str(op), operand)


def _json_operator_schema() -> dict[str, Any]:
    scalar = {"type": ["string", "number"]}
    ops: dict[str, Any] = {
        "eq": {"description": "Equal to this value."},
        "ne": {"description": "Not equal to this value."},
        "gt": {**scalar, "description": "Greater than this number (or string)."},
        "ge": {**scalar, "description": "Greater than or equal to this number (or string)."},
        "lt": {**scalar, "description": "Less than this number (or string)."},
        "le": {**scalar, "description": "Less than or equal to this number (or string)."},
        "contains": {"description": "The string contains this text, or the array this item."},
        "matches": {
            "type": "string",
            "description": "The string matches this regular expression (search).",
        },
        "exists": {"type": "boolean", "description": "The path selects something (or nothing)."},
        "type": {
            "enum": list(JSON_TYPES),
            "description": "The JSON type of the selected value.",
        },
    }
    return {
        "anyOf": [
            {
                "type": ["string", "number", "integer", "boolean", "null", "array"],
                "description": "A literal: the selected value must equal it.",
            },
            {
                "type": "object",
                "properties": ops,
                "additionalProperties": False,
                "minProperties": 1,
                "maxProperties": 1,
                "description": "One operator and its operand, e.g. {gt: 1}.",
            },
        ]
    }


JsonPathKey = Annotated[str, AfterValidator(_check_json_path_key)]
JsonOperand = Annotated[
    JsonAssertion,
    BeforeValidator(_parse_json_operand),
    WithJsonSchema(_json_operator_schema()),
]
