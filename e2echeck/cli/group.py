"""The `e2echeck` command group: its version, its help, and its commands.

Importing it loads every command module, and each of those imports only click
and light modules at start-up: `e2echeck --version` and `validate` never load
the engine, the HTTP stack or boto3. What a command needs it imports when it runs.
"""

from __future__ import annotations

import click

from e2echeck import __version__
from e2echeck.cli.change import change
from e2echeck.cli.init import init
from e2echeck.cli.package import package
from e2echeck.cli.run import run
from e2echeck.cli.schema import schema
from e2echeck.cli.silence import silence
from e2echeck.cli.validate import validate

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(
    __version__, "--version", prog_name="e2echeck", message="%(prog)s %(version)s"
)
def main() -> None:
    """End-to-end checks of public endpoints that page PagerDuty on failure and
    resolve the page when the endpoint recovers."""


# `--help` lists them alphabetically.
for command in (init, validate, schema, run, silence, change, package):
    main.add_command(command)
