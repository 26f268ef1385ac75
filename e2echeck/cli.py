"""The command line: a thin layer over the library (config, runner, packaging).

Only click is imported at start-up; each command imports what it needs, so
`e2echeck --version` stays instant and `validate` never loads the HTTP stack.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from e2echeck import __version__

if TYPE_CHECKING:
    from e2echeck.config import LoadResult

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_CONFIG_ERROR = 2
EXIT_UNDELIVERED = 3

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(
    __version__, "--version", prog_name="e2echeck", message="%(prog)s %(version)s"
)
def main() -> None:
    """End-to-end checks of public endpoints that page PagerDuty on failure and
    resolve the page when the endpoint recovers."""


def _config_path(value: str | None) -> Path:
    if value:
        return Path(value)
    from e2echeck.config import default_config_path

    return default_config_path()


def fail_with_config_errors(problems: list[Any]) -> NoReturn:
    """Print every config problem to stderr and exit 2."""
    for problem in problems:
        click.echo(str(problem), err=True)
    count = sum(1 for p in problems if getattr(p, "severity", "error") == "error")
    click.echo(f"e2echeck: {count} config error{'s' if count != 1 else ''}", err=True)
    sys.exit(EXIT_CONFIG_ERROR)


@main.command()
@click.argument("configs", nargs=-1, type=click.Path(dir_okay=True))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="github prints ::error annotations for GitHub Actions.",
)
@click.option(
    "--strict-env",
    is_flag=True,
    help="An unset ${VAR} is an error instead of a warning.",
)
def validate(configs: tuple[str, ...], output_format: str, strict_env: bool) -> None:
    """Check CONFIG files (default $E2ECHECK_CONFIG, then ./checks.yaml) without
    running anything. Exit 0 when valid, 2 when not."""
    from e2echeck.config import check_config

    paths = [Path(c) for c in configs] or [_config_path(None)]
    results = [check_config(path, strict_env=strict_env) for path in paths]
    if output_format == "json":
        click.echo(json.dumps({"files": [_validate_json(r) for r in results]}, indent=2))
    elif output_format == "github":
        for result in results:
            for problem in result.problems:
                kind = "error" if problem.severity == "error" else "warning"
                message = f"{problem.path}: {problem.message}" if problem.path else problem.message
                click.echo(
                    f"::{kind} file={problem.file},line={problem.line},col={problem.column},"
                    f"title=e2echeck::{_github_escape(message)}"
                )
    else:
        for result in results:
            for problem in result.problems:
                click.echo(str(problem))
            if result.config is not None:
                count = len(result.config.checks)
                click.echo(f"{result.source}: valid ({count} check{'s' if count != 1 else ''})")
            else:
                count = len(result.errors)
                click.echo(f"{result.source}: invalid ({count} error{'s' if count != 1 else ''})")
    sys.exit(EXIT_OK if all(r.config is not None for r in results) else EXIT_CONFIG_ERROR)


def _validate_json(result: LoadResult) -> dict[str, Any]:
    return {
        "file": result.source,
        "valid": result.config is not None,
        "checks": len(result.config.checks) if result.config else None,
        "problems": [p.as_dict() for p in result.problems],
    }


def _github_escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


@main.command()
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
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


@main.command()
@click.argument("config", required=False, type=click.Path())
@click.option("--only", multiple=True, metavar="NAME", help="Run only checks of this name or glob.")
@click.option("--tag", multiple=True, help="Run only checks with this tag.")
@click.option("--no-alert", is_flag=True, help="Send nothing; print the events instead.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@click.option("--junit", type=click.Path(dir_okay=False), help="Write a JUnit XML report here.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write a JSON report.")
@click.option("--concurrency", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--deadline", metavar="DURATION", help="Skip checks not started by then (e.g. 4m).")
@click.option("--state", "state_path", type=click.Path(dir_okay=False), help="State file.")
@click.option("-v", "--verbose", count=True, help="More detail (repeatable).")
@click.option("-q", "--quiet", is_flag=True, help="Print only failures and the summary.")
def run(
    config: str | None,
    only: tuple[str, ...],
    tag: tuple[str, ...],
    no_alert: bool,
    output_format: str,
    junit: str | None,
    json_path: str | None,
    concurrency: int,
    deadline: str | None,
    state_path: str | None,
    verbose: int,
    quiet: bool,
) -> None:
    """Run every check of CONFIG once and page (or un-page) PagerDuty.

    Exit 0: all passed; 1: a check failed; 2: usage or config error;
    3: an event could not be delivered."""
    # TODO(engine): build the run from e2echeck.runner and the report modules.
    raise click.UsageError("run is not built yet")
    sys.exit(
        run_command(  # noqa: F821
            config_path=_config_path(config),
            only=only,
            tags=tag,
            no_alert=no_alert,
            output_format=output_format,
            junit_path=junit,
            json_path=json_path,
            concurrency=concurrency,
            deadline=deadline,
            state_path=state_path,
            verbosity=-1 if quiet else verbose,
        )
    )


@main.command()
@click.argument("config", required=False, type=click.Path())
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
    type=click.Choice(["3.12", "3.13"]),
    default="3.12",
    show_default=True,
)
@click.option("--arch", type=click.Choice(["x86_64", "arm64"]), default="x86_64", show_default=True)
def package(config: str | None, output: str, python_version: str, arch: str) -> None:
    """Build the AWS Lambda zip: the package, its dependencies for the target
    Python and architecture, and CONFIG as checks.yaml at the root."""
    # TODO(packaging): e2echeck.packaging builds the zip.
    raise click.UsageError("package is not built yet")
    sys.exit(
        package_command(  # noqa: F821
            config_path=_config_path(config),
            output=Path(output),
            python_version=python_version,
            arch=arch,
        )
    )


if __name__ == "__main__":  # pragma: no cover
    main()
