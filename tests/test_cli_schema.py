"""`e2echeck schema`: generated from the models, accepts the example, documented."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.support.cli import run_cli

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    result = run_cli("schema")
    assert result.exit_code == 0
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_the_schema_is_valid_json_schema(schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["version", "checks"]


def test_the_schema_accepts_the_example(schema: dict[str, Any]) -> None:
    example = yaml.safe_load((REPO / "checks.yaml").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(example)


@pytest.mark.parametrize(
    "bad",
    [
        {"version": 2, "checks": [{"name": "a", "url": "https://x.test/"}]},
        {"version": 1, "checks": []},
        {"version": 1, "checks": [{"name": "a", "url": "https://x.test/", "expct": {}}]},
        {"version": 1, "checks": [{"name": "a", "url": "u", "expect": {"status": "20x"}}]},
        {"version": 1, "checks": [{"name": "a", "url": "u", "timeout": "10sec"}]},
        {"version": 1, "checks": [{"name": "a", "url": "u", "expect": {"json": {"a": 1}}}]},
        {
            "version": 1,
            "checks": [{"name": "a", "url": "u", "expect": {"json": {"$.a": {"gtt": 1}}}}],
        },
        {
            "version": 1,
            "checks": [
                {
                    "name": "a",
                    "steps": [{"name": "s", "url": "u", "capture": {"x": {"heder": "A"}}}],
                }
            ],
        },
    ],
)
def test_the_schema_refuses_what_validate_refuses(schema: dict[str, Any], bad: Any) -> None:
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(bad))
    assert errors


def _properties(node: Any, where: str = "#") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            found += [(f"{where}/{k}", v) for k, v in node["properties"].items()]
        for key, value in node.items():
            found += _properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _properties(value, f"{where}/{index}")
    return found


def test_every_property_has_a_description(schema: dict[str, Any]) -> None:
    properties = _properties(schema)
    assert len(properties) > 50
    missing = [where for where, value in properties if not value.get("description")]
    assert not missing


def test_every_model_field_is_in_the_schema(schema: dict[str, Any]) -> None:
    from e2echeck.config import models

    for model in (
        models.Config,
        models.Check,
        models.Step,
        models.Expect,
        models.Defaults,
        models.PagerDutyConfig,
        models.StateConfig,
        models.HeartbeatConfig,
    ):
        name = model.__name__
        node = schema if model is models.Config else schema["$defs"][name]
        assert node.get("additionalProperties") is False, name
        keys = {info.alias or field for field, info in model.model_fields.items()}
        assert keys == set(node["properties"]), name


def test_the_committed_schema_is_up_to_date(schema: dict[str, Any]) -> None:
    committed = json.loads((REPO / "checks.schema.json").read_text(encoding="utf-8"))
    assert committed == schema, "run: e2echeck schema -o checks.schema.json"


def test_the_example_points_editors_at_the_schema() -> None:
    first = (REPO / "checks.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=./checks.schema.json"


def test_schema_output_file(tmp_path: Path) -> None:
    target = tmp_path / "schema.json"
    result = run_cli("schema", "--output", str(target))
    assert result.exit_code == 0
    assert f"wrote {target}" in result.stderr
    assert json.loads(target.read_text(encoding="utf-8"))["title"] == "e2echeck checks.yaml"
    printed = run_cli("schema").stdout
    assert target.read_text(encoding="utf-8") == printed


def test_schema_to_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("schema", "-o", str(tmp_path))
    assert result.exit_code == 2
