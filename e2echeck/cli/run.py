"""`e2echeck run`: load the config, run the checks, report, page.

The runner resolves the selection and the location once (`prepare`); this
module only shows the run: progress, reports, warnings, metrics, all through
the run's one redactor.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from e2echeck.cli.boundary import Command
from e2echeck.cli.options import (
    ENV_FILE_HELP,
    click_options,
    clock,
    complete_check_names,
    complete_tags,
    config_paths,
    configs_argument,
    load_suite,
    option,
)
from e2echeck.defaults import DEFAULT_CONCURRENCY, MAX_CONCURRENCY
from e2echeck.errors import UsageError

if TYPE_CHECKING:
    from e2echeck.engine.results import CheckResult, Outcome
    from e2echeck.report.text import Progress
    from e2echeck.runner import PreparedRun, RunOutcome


@dataclass(frozen=True)
class RunArgs:
    """The options of `e2echeck run`, parsed."""

    only: tuple[str, ...] = option(
        "--only",
        default=(),
        multiple=True,
        metavar="NAME",
        help="Run only checks of this name or glob.",
        shell_complete=complete_check_names,
    )
    tags: tuple[str, ...] = option(
        "--tag",
        default=(),
        multiple=True,
        metavar="TAG",
        help="Run only checks with this tag.",
        shell_complete=complete_tags,
    )
    no_alert: bool = option(
        "--no-alert", default=False, is_flag=True, help="Send nothing; print the events instead."
    )
    output_format: str = option(
        "--format",
        default="text",
        type=click.Choice(["text", "json"]),
        show_default=True,
        help="The report on standard output.",
    )
    junit_path: str | None = option(
        "--junit",
        default=None,
        type=click.Path(dir_okay=False),
        help="Write a JUnit XML report here.",
    )
    json_path: str | None = option(
        "--json", default=None, type=click.Path(dir_okay=False), help="Write a JSON report."
    )
    concurrency: int = option(
        "--concurrency",
        default=DEFAULT_CONCURRENCY,
        type=click.IntRange(1, MAX_CONCURRENCY),
        metavar="N",
        show_default=True,
        help="Checks running at once.",
    )
    deadline: str | None = option(
        "--deadline",
        default=None,
        metavar="DURATION",
        help="Skip checks not started by then (e.g. 4m).",
    )
    state_path: str | None = option(
        "--state",
        default=None,
        type=click.Path(dir_okay=False),
        help="The alert state file (overrides state.path).",
    )
    location: str | None = option(
        "--location",
        default=None,
        metavar="NAME",
        help="Where this run runs, one of locations.expected "
        "(default: $E2ECHECK_LOCATION, else $AWS_REGION).",
    )
    verbose: int = option(
        "-v", "--verbose", default=0, count=True, help="More detail (repeatable)."
    )
    quiet: bool = option(
        "-q", "--quiet", default=False, is_flag=True, help="Print only failures and the summary."
    )
    ignore_maintenance: bool = option(
        "--ignore-maintenance",
        default=False,
        is_flag=True,
        help="Run as if no maintenance window or silence were active.",
    )

    color: str = option(
        "--color",
        default="auto",
        type=click.Choice(["auto", "always", "never"]),
        show_default=True,
        help="Colour the text report (auto: on a terminal, unless NO_COLOR; FORCE_COLOR forces).",
    )
    env_files: tuple[str, ...] = option(
        "--env-file",
        default=(),
        multiple=True,
        metavar="PATH",
        type=click.Path(dir_okay=False),
        help=ENV_FILE_HELP,
    )
    list_only: bool = option(
        "--list",
        default=False,
        is_flag=True,
        help="List the checks a run would run (kind, role, tags, dependencies, "
        "maintenance) and run nothing.",
    )
    metrics_path: str | None = option(
        "--metrics",
        default=None,
        type=click.Path(dir_okay=False),
        help="Write Prometheus metrics here (textfile format, replaced atomically).",
    )

    @property
    def verbosity(self) -> int:
        return -1 if self.quiet else self.verbose


@click.command(cls=Command)
@configs_argument
@click_options(RunArgs)
def run(configs: tuple[str, ...], **options: Any) -> int:
    """Run every check of CONFIG once and page (or un-page) PagerDuty. Several
    files, or a directory of them, run as one suite.

    Exit 0: all passed (failures in maintenance included); 1: a check failed;
    2: usage or config error; 3: an event could not be delivered."""
    return run_command(config_paths(configs), RunArgs(**options), now=clock())


def run_command(paths: list[Path], args: RunArgs, *, now: datetime | None = None) -> int:
    """`e2echeck run`: load, run, report. Returns the exit code of the run; raises
    an E2ECheckError for a usage or config error. `now`: the instant maintenance
    windows and silences are judged at (default: the real clock)."""
    from e2echeck.config.secret_refs import resolving
    from e2echeck.report.text import Progress
    from e2echeck.runner import RunOptions, prepare

    if args.list_only:
        from e2echeck.cli.listing import list_checks

        return list_checks(
            load_suite(paths, args.env_files),
            only=args.only,
            tags=args.tags,
            state_path=args.state_path,
            output_format=args.output_format,
            now=now,
        )
    deadline_seconds = _deadline(args.deadline)
    if args.metrics_path is not None:
        from e2echeck.metrics import MetricsUnavailable, require_prometheus

        try:
            require_prometheus()
        except MetricsUnavailable as exc:
            raise UsageError(f"--metrics: {exc}") from exc
    with resolving():
        config = load_suite(paths, args.env_files)
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
    prepared = prepare(config, options)
    _writable_outputs(args.junit_path, args.json_path, args.metrics_path)
    progress = Progress(len(prepared.checks), sys.stderr)
    # Not a terminal (a CI log): each check's line as it completes, the summary after.
    stream = _Stream(prepared, args, progress) if _streams(args) else None
    try:
        outcome = prepared.execute(on_result=stream or progress.update)
    finally:
        progress.finish()
    _show(outcome, args, streamed=stream)
    if args.metrics_path is not None:
        from e2echeck.metrics import write_prometheus

        try:
            write_prometheus(
                args.metrics_path,
                config,
                outcome,
                state_path=args.state_path,
                redactor=outcome.redactor,
            )
        except OSError as exc:
            raise _cannot_write(args.metrics_path, exc) from exc
    return outcome.exit_code


def _deadline(value: str | None) -> float | None:
    from e2echeck.config.types import parse_duration

    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise UsageError(f"--deadline: {exc}") from exc


class _Stream:
    """Prints each check's line the moment it completes (click.echo flushes)."""

    def __init__(self, prepared: PreparedRun, args: RunArgs, progress: Progress) -> None:
        from e2echeck.report.text import name_width, use_colour

        self.prepared, self.args, self.progress = prepared, args, progress
        self.width = name_width(check.name for check in prepared.checks)
        self.colour = use_colour(sys.stdout, args.color)
        self.outcomes: dict[str, Outcome] = {}  # what each streamed line showed

    def __call__(self, result: CheckResult) -> None:
        from e2echeck.report.text import check_line

        self.progress.update(result)
        line = check_line(
            result,
            width=self.width,
            redactor=self.prepared.redactor,
            verbosity=self.args.verbosity,
            colour=self.colour,
        )
        if line is not None:
            click.echo(line, color=self.colour)  # click would strip it off a terminal
            self.outcomes[result.name] = result.outcome


def _streams(args: RunArgs) -> bool:
    """Not a terminal (a CI log): each check's line as it completes, the summary after."""
    from e2echeck.report.text import is_terminal

    return args.output_format == "text" and not is_terminal(sys.stdout)


def _show(outcome: RunOutcome, args: RunArgs, *, streamed: _Stream | None = None) -> None:
    """The report on stdout (after streamed lines: the summary), the warnings on
    stderr, the report files."""
    from e2echeck.report.json_report import render_json
    from e2echeck.report.junit import render_junit
    from e2echeck.report.text import render_alerts, render_text, use_colour

    run, alerts, report, redactor = (
        outcome.run,
        outcome.alerts,
        outcome.alert_report,
        outcome.redactor,
    )
    if args.output_format == "json":
        click.echo(render_json(run, redactor=redactor, alerts=alerts, report=report), nl=False)
    else:
        if streamed is not None and streamed.outcomes:
            click.echo("")
        colour = use_colour(sys.stdout, args.color)
        click.echo(
            render_text(
                run,
                redactor=redactor,
                verbosity=args.verbosity,
                colour=colour,
                alerts=alerts,
                streamed=None if streamed is None else streamed.outcomes,
            ),
            nl=False,
            color=colour,
        )
        if report is not None:
            click.echo(render_alerts(report, verbosity=args.verbosity), nl=False)
    for warning in [*(report.warnings if report else []), outcome.heartbeat_warning]:
        if warning:
            click.echo(f"e2echeck: warning: {redactor.text(warning)}", err=True)
    files = []
    if args.json_path:
        files.append(
            (args.json_path, render_json(run, redactor=redactor, alerts=alerts, report=report))
        )
    if args.junit_path:
        files.append((args.junit_path, render_junit(run, redactor=redactor, alerts=alerts)))
    for path, text in files:
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise _cannot_write(path, exc) from exc


def _cannot_write(path: str, error: OSError) -> UsageError:
    return UsageError(f"cannot write {path}: {error.strerror or error}")


def _writable_outputs(*paths: str | None) -> None:
    """Before any check runs: create each report's folder and make sure the file can
    be written there, so that a bad path is exit 2 with nothing sent, never a run
    whose outcome is lost at the end."""
    import os

    for path in paths:
        if path is None:
            continue
        target = Path(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            blocking = next(p for p in target.parents if p.exists() and not p.is_dir())
            raise UsageError(f"cannot write {path}: {blocking} is a file, not a folder") from exc
        except OSError as exc:
            raise _cannot_write(path, exc) from exc
        if target.is_dir():
            raise UsageError(f"cannot write {path}: it is a directory")
        writable = os.access(target, os.W_OK) if target.exists() else None
        if writable is None:
            writable = os.access(target.parent, os.W_OK | os.X_OK)
        if not writable:
            raise UsageError(f"cannot write {path}: permission denied")
