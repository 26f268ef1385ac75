"""The command line: a thin layer over the library (config, runner, packaging).

Only click is imported at start-up; each command imports what it needs, so
`e2echeck --version` stays instant and `validate` never loads the HTTP stack.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from e2echeck import __version__, exit_codes, lambda_targets
from e2echeck.cli_options import RunArgs, click_options, config_argument
from e2echeck.errors import ConfigError, exit_code_for

if TYPE_CHECKING:
    from e2echeck.config import LoadResult

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
    sys.exit(ConfigError.exit_code)


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
@click.option(
    "--resolve",
    is_flag=True,
    help="Read every ${ssm:...} and ${secretsmanager:...} reference (by default only "
    "their syntax is checked; AWS is never called).",
)
def validate(configs: tuple[str, ...], output_format: str, strict_env: bool, resolve: bool) -> None:
    """Check CONFIG files (default $E2ECHECK_CONFIG, then ./checks.yaml) without
    running anything. Exit 0 when valid, 2 when not."""
    from e2echeck.config.secret_refs import collecting, resolving

    paths = [Path(c) for c in configs] or [_config_path(None)]
    results, references = [], []
    for path in paths:
        with resolving() if resolve else collecting() as session:
            results.append(_check_one(path, strict_env))
        references.append(_reference_lines(path, session.references, resolve))
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
                click.echo(
                    f"::{kind} file={_github_property(problem.file)},line={problem.line},"
                    f"col={problem.column},title=e2echeck::{_github_escape(message)}"
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
            else:
                count = len(result.errors)
                click.echo(f"{result.source}: invalid ({count} error{'s' if count != 1 else ''})")
    valid = all(r.config is not None for r in results)
    sys.exit(exit_codes.OK if valid else exit_codes.CONFIG_ERROR)


def _check_one(path: Path, strict_env: bool) -> LoadResult:
    """check_config never raises by design; should it, still no traceback."""
    from e2echeck.config import LoadResult, Problem, check_config

    try:
        return check_config(path, strict_env=strict_env)
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
            status = f"cannot be read: {status}"
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


def _clock() -> datetime | None:
    """The instant maintenance is judged at: None (the real clock), unless a caller
    of the library (a test through CliRunner) passes obj={"now": datetime}."""
    obj = click.get_current_context().find_root().obj
    now = obj.get("now") if isinstance(obj, dict) else None
    return now if isinstance(now, datetime) else None


@main.command()
@config_argument
@click_options(RunArgs)
def run(config: str | None, **options: Any) -> None:
    """Run every check of CONFIG once and page (or un-page) PagerDuty.

    Exit 0: all passed (failures in maintenance included); 1: a check failed;
    2: usage or config error; 3: an event could not be delivered."""
    sys.exit(run_command(_config_path(config), RunArgs(**options), now=_clock()))


@main.command()
@click.argument("patterns", nargs=-1, metavar="[NAME_OR_GLOB]...")
@click.option("--for", "duration", metavar="DURATION", help="How long, e.g. 2h or 30m.")
@click.option("--reason", help="Why; shown in reports.")
@click.option("--list", "list_only", is_flag=True, help="List the active silences.")
@click.option("--remove", multiple=True, metavar="PATTERN", help="End the silence of this pattern.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    help="The config (default $E2ECHECK_CONFIG, then ./checks.yaml), for state.path.",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False),
    help="The alert state file or s3://bucket/key (overrides state.path).",
)
def silence(
    patterns: tuple[str, ...],
    duration: str | None,
    reason: str | None,
    list_only: bool,
    remove: tuple[str, ...],
    config_file: str | None,
    state_path: str | None,
) -> None:
    """Silence checks for a while: they still run, but page nobody.

    Stored in the alert state, so every run on that state honours it; it ends by
    itself. Exit 0 done; 2 usage, config or state error."""
    from e2echeck.silence_command import SilenceArgs, silence_command

    args = SilenceArgs(
        patterns=patterns,
        duration=duration,
        reason=reason,
        list_only=list_only,
        remove=remove,
        config_path=_config_path(config_file),
        config_given=config_file is not None,
        state_path=state_path,
    )
    sys.exit(silence_command(args, now=_clock()))


def run_command(config_path: Path, args: RunArgs, *, now: datetime | None = None) -> int:
    """`e2echeck run`: load, run, report. Returns the exit code. `now`: the instant
    maintenance windows and silences are judged at (default: the real clock)."""
    from e2echeck.config import load_config
    from e2echeck.config.types import parse_duration
    from e2echeck.redaction import run_redactor
    from e2echeck.report.json_report import render_json
    from e2echeck.report.junit import render_junit
    from e2echeck.report.text import Progress, render_alerts, render_text, use_colour
    from e2echeck.runner import (
        LocationError,
        RunOptions,
        SelectionError,
        execute,
        run_location,
        select_checks,
    )

    deadline_seconds = None
    if args.deadline is not None:
        try:
            deadline_seconds = parse_duration(args.deadline)
        except ValueError as exc:
            click.echo(f"e2echeck: --deadline: {exc}", err=True)
            return exit_codes.CONFIG_ERROR
    if args.metrics_path is not None:
        from e2echeck.metrics import MetricsUnavailable, require_prometheus

        try:
            require_prometheus()
        except MetricsUnavailable as exc:
            click.echo(f"e2echeck: --metrics: {exc}", err=True)
            return exit_codes.CONFIG_ERROR
    from e2echeck.config.secret_refs import resolving

    try:
        with resolving():
            config = load_config(config_path)
    except ConfigError as exc:
        fail_with_config_errors(exc.problems)
    options = RunOptions(
        only=args.only,
        tags=args.tags,
        concurrency=args.concurrency,
        deadline=deadline_seconds,
        alert=not args.no_alert,
        state_path=args.state_path,
        ignore_maintenance=args.ignore_maintenance,
        now=now,
        location=args.location,
    )
    try:
        selected = select_checks(config, args.only, args.tags)
        run_location(config, args.location)
    except (SelectionError, LocationError) as exc:
        click.echo(f"e2echeck: {exc}", err=True)
        return exit_code_for(exc)
    progress = Progress(len(selected), sys.stderr)
    try:
        outcome = execute(config, options, on_result=progress.update)
    except ConfigError as exc:  # alerts cannot be sent: nothing has run
        fail_with_config_errors(exc.problems)
    finally:
        progress.finish()
    redactor = run_redactor(config, outcome.run)
    run, alerts, report = outcome.run, outcome.alerts, outcome.alert_report
    if args.output_format == "json":
        click.echo(render_json(run, redactor=redactor, alerts=alerts, report=report), nl=False)
    else:
        click.echo(
            render_text(
                run,
                redactor=redactor,
                verbosity=args.verbosity,
                colour=use_colour(sys.stdout),
                alerts=alerts,
            ),
            nl=False,
        )
        if report is not None:
            click.echo(render_alerts(report, verbosity=args.verbosity), nl=False)
    for warning in [*(report.warnings if report else []), outcome.heartbeat_warning]:
        if warning:
            click.echo(f"e2echeck: warning: {redactor.text(warning)}", err=True)
    for path, text in (
        (
            args.json_path,
            render_json(run, redactor=redactor, alerts=alerts, report=report)
            if args.json_path
            else "",
        ),
        (
            args.junit_path,
            render_junit(run, redactor=redactor, alerts=alerts) if args.junit_path else "",
        ),
    ):
        if path:
            try:
                Path(path).write_text(text, encoding="utf-8")
            except OSError as exc:
                click.echo(f"e2echeck: cannot write {path}: {exc.strerror or exc}", err=True)
                return exit_codes.CONFIG_ERROR
    if args.metrics_path is not None:
        from e2echeck.metrics import write_prometheus

        try:
            write_prometheus(
                args.metrics_path,
                config,
                outcome,
                state_path=args.state_path,
                redactor=redactor,
            )
        except OSError as exc:
            click.echo(
                f"e2echeck: cannot write {args.metrics_path}: {exc.strerror or exc}", err=True
            )
            return exit_codes.CONFIG_ERROR
    return outcome.exit_code


@main.command()
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
    from e2echeck.packaging import PackagingError, build_lambda_zip

    config_path = _config_path(config)
    click.echo(f"building the Lambda zip for Python {python_version} on {arch}...", err=True)
    try:
        info = build_lambda_zip(
            config_path, Path(output), python_version, arch, constraints=constraints
        )
    except ConfigError as exc:
        fail_with_config_errors(exc.problems)
    except PackagingError as exc:
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(exit_code_for(exc)) from exc
    click.echo(f"zip:     {info.path}")
    click.echo(f"size:    {info.size_bytes} bytes ({info.size_bytes / 1_048_576:.1f} MiB)")
    click.echo(f"handler: {info.handler}")
    click.echo(f"pinned:  {len(info.packages)} packages, to {info.pins_source}")
    click.echo(f"manifest: {info.manifest} in the zip, logged by the handler at each cold start")


if __name__ == "__main__":  # pragma: no cover
    main()
