"""`e2echeck package`: build the AWS Lambda zip.

A `PackagingError` (pip failed, ...) is shown as `Error: <message>` and exits 1;
a config error, or a `ConstraintsError` (a bad `--constraints` file), exits 2.
"""

from __future__ import annotations

from pathlib import Path

import click

from e2echeck import lambda_targets
from e2echeck.cli.boundary import Command
from e2echeck.cli.options import config_argument, config_path


@click.command(cls=Command, error_prefix="Error")
@config_argument
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    default="e2echeck-lambda.zip",
    show_default=True,
)
@click.option(
    "--python",
    "python_version",
    type=click.Choice(lambda_targets.PYTHON_VERSIONS),
    default=lambda_targets.DEFAULT_PYTHON,
    show_default=True,
    help="The Lambda function's Python runtime.",
)
@click.option(
    "--arch",
    type=click.Choice(list(lambda_targets.ARCHITECTURES)),
    default=lambda_targets.DEFAULT_ARCH,
    show_default=True,
    help="The Lambda function's architecture.",
)
@click.option(
    "--constraints",
    type=click.Path(exists=True, dir_okay=False),
    metavar="FILE",
    help="Pin the bundled dependencies to this pip requirements file's `name==version` "
    "lines (e.g. requirements/ci.txt) instead of the versions installed beside e2echeck.",
)
def package(
    config: str | None, output: str, python_version: str, arch: str, constraints: str | None
) -> None:
    """Build the AWS Lambda zip: the package, its dependencies for the target
    Python and architecture, and CONFIG as checks.yaml at the root."""
    from e2echeck.packaging import build_lambda_zip

    click.echo(f"building the Lambda zip for Python {python_version} on {arch}...", err=True)
    info = build_lambda_zip(
        config_path(config), Path(output), python_version, arch, constraints=constraints
    )
    click.echo(f"zip:     {info.path}")
    click.echo(f"size:    {info.size_bytes} bytes ({info.size_bytes / 1_048_576:.1f} MiB)")
    click.echo(f"handler: {info.handler}")
    click.echo(f"pinned:  {len(info.packages)} packages, to {info.pins_source}")
    click.echo(f"manifest: {info.manifest} in the zip, logged by the handler at each cold start")
