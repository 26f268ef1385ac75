"""The configuration guide's tables name every key the models accept, so a new
key cannot ship documented only in the generated reference."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from e2echeck.config.http import Expect
from e2echeck.config.models import Check, Config, Defaults, PagerDutyConfig

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
# The row of a check that stands for every key it shares with `defaults`.
SHARED_ROW = "`timeout` ... `success_threshold`"


def _keys(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


def _table_keys(heading: str) -> set[str]:
    """The keys in the first column of the table under `heading`, in the guide
    (the part before the generated reference)."""
    guide = GUIDE.read_text(encoding="utf-8").split("\n## Reference", 1)[0]
    section = guide.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]
    keys: set[str] = set()
    for row in re.findall(r"^\| (.+?) \|", section, re.MULTILINE):
        if row == SHARED_ROW:
            keys |= _keys(Defaults) - {"headers"}
        keys.update(re.findall(r"`([^`]+)`", row))
    return keys


@pytest.mark.parametrize(
    ("heading", "model", "extra"),
    [
        ("## Top level", Config, {"x-..."}),
        ("## `defaults` (and the same keys on a check)", Defaults, set()),
        ("## `pagerduty`", PagerDutyConfig, set()),
        ("## A check", Check, set()),
        ("## `expect`", Expect, set()),
    ],
)
def test_the_guide_tables_name_every_key(
    heading: str, model: type[BaseModel], extra: set[str]
) -> None:
    documented = _table_keys(heading)
    missing = (_keys(model) | extra) - documented
    assert not missing, f"{GUIDE.name} {heading}: no row for {sorted(missing)}"
