"""The base of every model of checks.yaml."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ConfigModel(BaseModel):
    """Unknown keys are errors: a misspelt assertion must never be a check that
    silently asserts less than its author thinks."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)
