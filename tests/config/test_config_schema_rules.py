"""Rules the schema expresses as the loader does: a url or steps, never both, at
most one body; and forms both accept (a text or a list, any-case methods, text
numbers and booleans, ${VAR} references)."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from e2echeck.config.schema import json_schema
from tests.config.helpers import check_text

VALIDATOR = jsonschema.Draft202012Validator(json_schema())
URL = "https://a.test/"


def config(**check: Any) -> dict[str, Any]:
    return {"version": 1, "checks": [{"name": "a", **check}]}


def as_yaml(document: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(document, sort_keys=False)


@pytest.mark.parametrize(
    "document",
    [
        config(),
        config(url=None),
        config(steps=None),
        config(url=URL, steps=[{"name": "s", "url": URL}]),
        config(steps=[{"name": "s", "url": URL}], expect={"status": 200}),
        config(url=URL, body="x", json={"a": 1}),
        config(steps=[{"name": "s", "url": URL, "json": [1], "form": {"a": "b"}}]),
        config(url=URL, expect={"json": {"$.a": {"gt": True}}}),
        config(url=URL, retries="lots"),
        config(url=URL, verify_tls="maybe"),
        config(url=URL, method="fetch"),
    ],
)
def test_both_refuse(document: dict[str, Any]) -> None:
    assert list(VALIDATOR.iter_errors(document))
    assert check_text(as_yaml(document)).config is None


@pytest.mark.parametrize(
    "document",
    [
        config(url=URL, body="x", json=None),
        config(url=URL, method="post", expect={"body_contains": "Welcome"}),
        config(url=URL, expect={"body_not_contains": "x", "status": "2XX"}),
        config(url=URL, expect={"status": [" 200 ", 204, "3xx"]}),
        config(url=URL, retries="3", verify_tls="False", enabled=1, timeout=" 1.5 s"),
        config(url=URL, retries="${RETRIES}", timeout="${TIMEOUT}", severity="${SEVERITY}"),
        config(steps=[{"name": "s", "url": URL, "method": "Delete", "capture": {"id": "$.id"}}]),
    ],
)
def test_both_accept(document: dict[str, Any]) -> None:
    assert not list(VALIDATOR.iter_errors(document))
    env = {"RETRIES": "2", "TIMEOUT": "3s", "SEVERITY": "info"}
    result = check_text(as_yaml(document), env=env)
    assert result.config is not None, [str(p) for p in result.errors]


def test_a_check_without_a_url_is_refused_where_it_is() -> None:
    result = check_text("version: 1\nchecks:\n  - name: a\n    url:\n")
    (error,) = result.errors
    assert (error.line, error.column, error.path) == (3, 5, "checks[0]")
    assert "needs a url" in error.message


def test_python_field_names_are_not_keys_of_the_file() -> None:
    """`json` is the key; the models' Python names (json_body, json_assertions) are not."""
    document = config(url=URL, json_body={"a": 1}, expect={"json_assertions": {}})
    assert list(VALIDATOR.iter_errors(document))
    messages = [p.message for p in check_text(as_yaml(document)).errors]
    assert "unknown key 'json_body'; did you mean \"json\"?" in messages
    assert any(m.startswith("unknown key 'json_assertions'") for m in messages), messages


def test_a_method_is_upper_cased_in_ascii_only() -> None:
    # The long s (U+017F) upper-cases to "S": "po\u017ft" must not become POST.
    result = check_text(as_yaml(config(url=URL, method="po\u017ft")))
    assert result.config is None
    assert result.errors[0].path == "checks[0].method"
    assert check_text(as_yaml(config(url=URL, method="pOsT"))).config is not None
