"""`e2echeck validate`: check config files without running anything.

Must stay light: it never loads the engine, the HTTP stack or boto3 (unless
`--resolve` reads secret references).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from e2echeck import exit_codes
from e2echeck.cli.boundary import Command
from e2echeck.cli.options import ENV_FILE_HELP, config_environment, config_paths

if TYPE_CHECKING:
    from e2echeck.config import LoadResult


@click.command(cls=Command)
@click.argument("configs", nargs=-1, type=click.Path(dir_okay=True), metavar="[CONFIG|DIR]...")
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
@click.option(
    "--resolve",
    is_flag=True,
    help="Read every ${ssm:...} and ${secretsmanager:...} reference (by default only "
    "their syntax is checked; AWS is never called).",
)
@click.option(
    "--each",
    is_flag=True,
    help="Validate each file on its own, as a separate run (the pre-commit hook does: "
    "a staging and a production file may share check names).",
)
@click.option(
    "--env-file",
    "env_files",
    multiple=True,
    metavar="PATH",
    type=click.Path(dir_okay=False),
    help=ENV_FILE_HELP,
)
def validate(
    configs: tuple[str, ...],
    output_format: str,
    strict_env: bool,
    resolve: bool,
    each: bool,
    env_files: tuple[str, ...],
) -> int:
    """Check CONFIG files (default $E2ECHECK_CONFIG, then ./checks.yaml) without
    running anything: several files, or a directory, as the one run that `run`
    would make of them. Exit 0 when valid, 2 when not."""
    from e2echeck.config.secret_refs import collecting, resolving
    from e2echeck.config.suites import check_suite, expand_paths

    results, references = [], []
    for path in expand_paths(config_paths(configs)):
        with resolving() if resolve else collecting() as session:
            results.append(_check_one(path, strict_env, config_environment(path, env_files)))
        references.append(_reference_lines(path, session.references, resolve))
    if not each:
        results = check_suite(results)
    if output_format == "json":
        files = [
            {**_validate_json(r), "secret_references": refs}
            for r, refs in zip(results, references, strict=True)
        ]
        click.echo(json.dumps({"files": files}, indent=2))
    elif output_format == "github":
        for refs in references:
            for ref in refs:
                click.echo(
                    f"::notice file={_github_property(ref['file'])},line={ref['line']},"
                    f"col={ref['column']},title=e2echeck::"
                    f"{_github_escape(ref['reference'] + ': ' + ref['status'])}"
                )
        for result in results:
            for problem in result.problems:
                kind = "error" if problem.severity == "error" else "warning"
                message = f"{problem.path}: {problem.message}" if problem.path else problem.message
                where = f",line={problem.line},col={problem.column}" if problem.line > 0 else ""
                click.echo(
                    f"::{kind} file={_github_property(problem.file)}{where},"
                    f"title=e2echeck::{_github_escape(message)}"
                )
    else:
        for result, refs in zip(results, references, strict=True):
            for problem in result.problems:
                click.echo(str(problem))
            for ref in refs:
                click.echo(
                    f"{ref['file']}:{ref['line']}:{ref['column']}: "
                    f"secret reference {ref['reference']}: {ref['status']}"
                )
            if result.config is not None:
                count = len(result.config.checks)
                click.echo(f"{result.source}: valid ({count} check{'s' if count != 1 else ''})")
            elif _unreadable(result):
                pass  # one line already says why (file not found, too large)
            else:
                count = len(result.errors)
                click.echo(f"{result.source}: invalid ({count} error{'s' if count != 1 else ''})")
    valid = all(r.config is not None for r in results)
    return exit_codes.OK if valid else exit_codes.CONFIG_ERROR


def _unreadable(result: LoadResult) -> bool:
    """The file could not be read as a whole: its one problem has no position."""
    return len(result.problems) == 1 and result.problems[0].line == 0


def _check_one(path: Path, strict_env: bool, env: dict[str, str]) -> LoadResult:
    """check_config never raises by design; should it, still no traceback."""
    from e2echeck.config import LoadResult, Problem, check_config

    try:
        return check_config(path, strict_env=strict_env, env=env)
    except Exception as exc:  # pragma: no cover - a bug, reported as a config error
        message = f"internal error while reading the file ({type(exc).__name__}: {exc})"
        return LoadResult(str(path), None, [Problem(str(path), 1, 1, "", message)])


def _reference_lines(path: Path, found: dict[Any, str | None], resolved: bool) -> list[Any]:
    """Each secret reference of the file, where it first appears and what became of it."""
    from e2echeck.config.secret_refs import positions

    if not found:
        return []
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        text = ""
    where = positions(text, list(found))
    lines = []
    for ref, status in found.items():
        line, column = where.get(ref, (1, 1))
        if not resolved:
            status = "syntax checked, not read (validate --resolve reads it)"
        elif status != "read":
            continue  # a config error at each place it is used says why, once
        lines.append(
            {
                "file": str(path),
                "line": line,
                "column": column,
                "reference": str(ref),
                "status": status,
            }
        )
    return lines


def _validate_json(result: LoadResult) -> dict[str, Any]:
    return {
        "file": result.source,
        "valid": result.config is not None,
        "checks": len(result.config.checks) if result.config else None,
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "problems": [p.as_dict() for p in result.problems],
    }


def _github_escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    return _github_escape(text).replace(":", "%3A").replace(",", "%2C")
