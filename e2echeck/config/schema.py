"""The JSON Schema of checks.yaml, generated from the models, for editors."""

from __future__ import annotations

from typing import Any

SCHEMA_ID = "https://e2echeck.dev/schema/checks-v1.json"


def json_schema() -> dict[str, Any]:
    from e2echeck.config.models import Config

    schema = Config.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    return schema
