"""`e2echeck schema`: the JSON Schema of checks.yaml, for editors."""

from __future__ import annotations

import json
from pathlib import Path

import click

from e2echeck.cli.boundary import Command
from e2echeck.errors import UsageError


@click.command(cls=Command)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the schema to this file instead of standard output.",
)
def schema(output: str | None) -> None:
    """Print the JSON Schema of checks.yaml, for editors (yaml-language-server)."""
    from e2echeck.config.schema import json_schema

    text = json.dumps(json_schema(), indent=2) + "\n"
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from exc
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)
