"""The configuration guide's tables name every key the models accept, so a new
key cannot ship documented only in the generated reference; the synopsis of
docs/cli.md and the README is generated, so no command or option is left out."""

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


def test_the_readme_synopsis_is_generated_and_current() -> None:
    import contextlib
    import io

    from cogapp import Cog

    root = GUIDE.parent.parent
    out, err = io.StringIO(), io.StringIO()
    cog = Cog()
    cog.set_output(stdout=out, stderr=err)
    with contextlib.chdir(root):
        status = cog.main(["cog", "--check", "--diff", "README.md"])
    assert status == 0, f"README.md is stale; run `cog -r README.md`\n{out.getvalue()}"


def test_the_synopsis_names_every_command_and_option() -> None:
    import click

    from e2echeck.cli import main

    readme = (GUIDE.parent.parent / "README.md").read_text(encoding="utf-8")
    cli = (GUIDE.parent / "cli.md").read_text(encoding="utf-8")
    context = click.Context(main)
    for name in main.list_commands(context):
        command = main.get_command(context, name)
        assert command is not None
        for text in (readme, cli):
            assert f"e2echeck {name} " in text or f"e2echeck {name}\n" in text, name
            for param in command.params:
                if isinstance(param, click.Option) and "--help" not in param.opts:
                    assert max(param.opts, key=len) in text, (name, param.opts)
