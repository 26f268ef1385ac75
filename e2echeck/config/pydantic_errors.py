"""pydantic's validation errors, translated into problems placed in the file and
worded for people who write YAML, not Python."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from e2echeck.config._suggest import did_you_mean
from e2echeck.config.fields import NAME_PATTERN
from e2echeck.config.known_keys import known_keys
from e2echeck.config.problems import Loc, Problem, format_path

if TYPE_CHECKING:
    from e2echeck.config.yaml_reader import PositionedReader

_PATTERN_HELP = {
    NAME_PATTERN: "letters, digits, '.', '_' and '-' only",
}


def problems_from_validation_error(
    exc: ValidationError,
    document: object,
    reader: PositionedReader,
    already: Sequence[Problem] = (),
) -> list[Problem]:
    """One problem per distinct error, skipping values the reader already reported."""
    errors = exc.errors(include_url=False)
    located = [(error, _data_loc(error["loc"], document)) for error in errors]
    # "unknown key 'pth'; did you mean "path"?" already says that path is missing.
    suggested = {
        (*loc[:-1], hint)
        for error, loc in located
        if error["type"] == "extra_forbidden" and loc
        for hint in [_closest_key(loc)]
        if hint
    }
    taken = [p.path for p in already]
    problems: list[Problem] = []
    seen: set[tuple[Loc, str]] = set()
    for error, loc in located:
        if error["type"] == "missing" and loc in suggested:
            continue
        at_key = error["type"] == "extra_forbidden" or error["loc"][-1:] == ("[key]",)
        ctx = error.get("ctx") or {}
        if error["type"] == "conflicting_fields" and ctx.get("field"):
            loc = (*loc, str(ctx["field"]))
            at_key = True
        path = format_path(loc)
        if any(path == t or path.startswith((t + ".", t + "[")) for t in taken if t):
            continue  # the reader already reported this value
        message = _message(error, loc)
        if (loc, message) in seen:
            continue
        seen.add((loc, message))
        problems.append(reader.problem(loc, message, at_key=at_key))
    return problems


def _closest_key(loc: Loc) -> str | None:
    from e2echeck.config._suggest import closest

    return closest(str(loc[-1]), known_keys(loc[:-1]))


def _data_loc(raw: tuple[int | str, ...], document: object) -> Loc:
    """Drop the parts of pydantic's location that are not in the data (union tags)."""
    loc: list[str | int] = []
    node: object = document
    for index, part in enumerate(raw):
        last = index == len(raw) - 1
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            node = node[part]
            loc.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            loc.append(part)
        elif isinstance(node, dict) and isinstance(part, str) and last and part != "[key]":
            loc.append(part)  # a missing or unknown key: name it
            node = None
    return tuple(loc)


def _plural(count: object, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _message(error: ErrorDetails, loc: Loc) -> str:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else "?"
        known = known_keys(loc[:-1])
        hint = did_you_mean(key, known)
        if hint:
            return f"unknown key {key!r}{hint}"
        if known:
            return f"unknown key {key!r}; expected one of {', '.join(sorted(known))}"
        return f"unknown key {key!r}"
    if kind == "missing":
        return f"required field {str(loc[-1])!r} is missing" if loc else "required field missing"
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    if kind == "conflicting_fields":
        return message
    got = _describe(value)
    if kind == "literal_error":
        expected = message.removeprefix("Input should be ")
        return f"expected {expected}; got {value!r}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"expected a mapping; got {got}"
    if kind == "list_type":
        return f"expected a list; got {got}"
    if kind == "string_type":
        hint = " (quote it)" if isinstance(value, int | float | bool) else ""
        return f"expected a string; got {got}{hint}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number; got {got}"
    if kind in ("float_type", "float_parsing", "finite_number"):
        return f"expected a number; got {got}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false; got {got}"
    if kind == "greater_than_equal":
        return f"expected {ctx.get('ge')} or more; got {got}"
    if kind == "less_than_equal":
        return f"expected {ctx.get('le')} or less; got {got}"
    if kind == "string_too_long":
        length = len(value) if isinstance(value, str) else "?"
        return f"expected at most {_plural(ctx.get('max_length'), 'character')}; got {length}"
    if kind == "string_too_short":
        return f"expected at least {_plural(ctx.get('min_length'), 'character')}; got {got}"
    if kind == "too_short":
        return f"expected at least {_plural(ctx.get('min_length'), 'item')}; got {got}"
    if kind == "too_long":
        return f"expected at most {_plural(ctx.get('max_length'), 'item')}; got {got}"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return f"expected {_PATTERN_HELP.get(pattern, f'text matching {pattern}')}; got {got}"
    message = message.replace("Input should be", "expected").replace(
        "Input should have", "expected"
    )
    return f"{message}; got {got}"


def _describe(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping" if value else "an empty mapping"
    if isinstance(value, list):
        return f"a list of {_plural(len(value), 'item')}" if value else "an empty list"
    if value is None:
        return "nothing (null)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
