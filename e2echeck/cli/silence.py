"""`e2echeck silence`: set, list and remove silences in the alert state.

    e2echeck silence 'payments-*' api-health --for 2h --reason "provider outage"
    e2echeck silence --list
    e2echeck silence --remove 'payments-*'

A silence is named by its pattern: `--remove` takes the pattern exactly as it was
given, and silencing a pattern again replaces its silence. The state comes from
`--state`, else from the config's `state.path`; there is no silence without state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING

import click

from e2echeck.cli.boundary import Command
from e2echeck.cli.options import clock, config_path
from e2echeck.errors import UsageError

if TYPE_CHECKING:
    from e2echeck.alerting.change_events import ChangeEvent
    from e2echeck.config.models import Config


@dataclass(frozen=True)
class SilenceArgs:
    patterns: Sequence[str] = ()
    duration: str | None = None  # --for
    reason: str | None = None
    list_only: bool = False
    remove: Sequence[str] = ()
    config_path: Path | None = None
    config_given: bool = False  # --config given: a missing file is an error
    state_path: str | None = None


@click.command(cls=Command, error_prefix="e2echeck silence")
@click.argument("patterns", nargs=-1, metavar="[NAME_OR_GLOB]...")
@click.option("--for", "duration", metavar="DURATION", help="How long, e.g. 2h or 30m.")
@click.option("--reason", help="Why; shown in reports.")
@click.option("--list", "list_only", is_flag=True, help="List the active silences.")
@click.option("--remove", multiple=True, metavar="PATTERN", help="End the silence of this pattern.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(),
    help="The config (default $E2ECHECK_CONFIG, then ./checks.yaml), for state.path; "
    "a directory: its files as one run.",
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
    args = SilenceArgs(
        patterns=patterns,
        duration=duration,
        reason=reason,
        list_only=list_only,
        remove=remove,
        config_path=config_path(config_file),
        config_given=config_file is not None,
        state_path=state_path,
    )
    silence_command(args, now=clock())


def silence_command(args: SilenceArgs, now: datetime | None = None) -> None:
    """Run `e2echeck silence`; raises UsageError or StateError (exit 2). `now`:
    the clock (default: the real one)."""
    from e2echeck.alerting.budget import count_sent
    from e2echeck.alerting.locking import transact
    from e2echeck.alerting.state import State, StateError, open_store
    from e2echeck.silences import active_silences, add_silences, remove_silences

    moment = now if now is not None else datetime.now(UTC)
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    mode = _mode(args)
    config = _config(args)
    location = args.state_path or (config.state.path if config and config.state else None)
    if not location:
        raise UsageError(
            "silences are kept in the alert state: set state.path in checks.yaml "
            "or pass --state FILE (or s3://bucket/key)"
        )
    seconds = _duration(args) if mode == "add" else 0.0
    if mode == "add" and config is not None:
        _check_patterns(config, args.patterns)
    try:
        store = open_store(location)
        state = store.load()
    except StateError as exc:
        raise StateError(f"state {location}: {exc}") from exc
    live = active_silences(state.silences, moment)
    if mode == "list":
        if config is not None:
            _list_windows(config, moment)
        if not live:
            click.echo("no active silences")
        for silence in sorted(live, key=lambda s: s.until):
            click.echo(
                f"{silence.pattern}  {_until(silence.until, moment)}  {silence.reason or ''}"
            )
        return
    if mode == "remove":
        _, missing = remove_silences(state.silences, list(args.remove), moment)
        if missing:
            known = ", ".join(s.pattern for s in live) or "none"
            raise UsageError(
                f"no active silence {', '.join(map(repr, missing))} "
                f"(active: {known}); --remove takes the pattern as it was silenced"
            )

    changes = _changes(args, mode)

    def update(current: State) -> State:
        """Applied to the state as it is when written: a run saving meanwhile
        holds the file's lock, or makes S3's conditional write start again."""
        if mode == "add":
            current.silences = add_silences(
                current.silences, list(args.patterns), seconds, args.reason, moment
            )
        else:
            current.silences, _ = remove_silences(current.silences, list(args.remove), moment)
        if config is not None and config.pagerduty is not None:
            count_sent(current, config.pagerduty.routing_key, len(changes))
        return current

    try:
        state = transact(store, update)
    except StateError as exc:
        raise StateError(f"state {location}: {exc}") from exc
    if mode == "add":
        for pattern in dict.fromkeys(args.patterns):
            silence = next(s for s in state.silences if s.pattern == pattern)
            click.echo(f"silenced {pattern} {_until(silence.until, moment)}")
    else:
        for pattern in dict.fromkeys(args.remove):
            click.echo(f"removed the silence of {pattern}")
    if config is not None and config.pagerduty is not None:
        from e2echeck.alerting.change_events import send_change_events
        from e2echeck.config.redact import config_redactor

        _, warnings = send_change_events(config, changes, config_redactor(config))
        for warning in warnings:
            click.echo(f"warning: {warning}", err=True)


def _changes(args: SilenceArgs, mode: str) -> list[ChangeEvent]:
    """The change events of a silence added or removed: what, why and who."""
    from e2echeck.alerting.change_events import ChangeEvent, who

    by = who()
    if mode == "add":
        why = f": {args.reason}" if args.reason else ""
        return [
            ChangeEvent(
                f"silence added: {pattern} for {args.duration} by {by}{why}",
                {"pattern": pattern, "for": args.duration, "reason": args.reason, "by": by},
            )
            for pattern in dict.fromkeys(args.patterns)
        ]
    return [
        ChangeEvent(f"silence removed: {pattern} by {by}", {"pattern": pattern, "by": by})
        for pattern in dict.fromkeys(args.remove)
    ]


def _mode(args: SilenceArgs) -> str:
    modes = [bool(args.patterns), args.list_only, bool(args.remove)]
    if sum(modes) != 1:
        raise UsageError(
            "give check names or globs to silence (with --for), or --list, or --remove PATTERN"
        )
    return "add" if args.patterns else "list" if args.list_only else "remove"


def _duration(args: SilenceArgs) -> float:
    from e2echeck.config.types import parse_duration

    if args.duration is None:
        raise UsageError("how long? add --for DURATION, e.g. --for 2h or --for 30m")
    try:
        seconds = parse_duration(args.duration)
    except ValueError as exc:
        raise UsageError(f"--for: {exc}") from None
    if seconds <= 0:
        raise UsageError("--for: a silence must last more than 0s")
    return seconds


def _config(args: SilenceArgs) -> Config | None:
    """The config, when given or present: for state.path and to check the patterns.
    Secret references are not read and unset ${VAR}s are tolerated: silencing needs
    neither."""
    from e2echeck.config import default_config_path
    from e2echeck.config.secret_refs import collecting
    from e2echeck.config.suites import check_suite_paths

    path = args.config_path or default_config_path()
    if not args.config_given and not path.exists():
        return None
    with collecting():
        result = check_suite_paths([path])
    if result.config is None or result.errors:
        for problem in result.errors:
            click.echo(str(problem), err=True)
        raise UsageError(f"{path}: invalid config")
    state = result.config.state
    if state is not None and "${" in state.path:
        raise UsageError(f"{path}: state.path {state.path!r} uses an unset variable")
    return result.config


def _check_patterns(config: Config, patterns: Sequence[str]) -> None:
    """A pattern matching no check is a typo: it would silence nothing."""
    from e2echeck.config import did_you_mean

    names = [c.name for c in config.checks]
    for pattern in patterns:
        if not any(name == pattern or fnmatchcase(name, pattern) for name in names):
            raise UsageError(f"{pattern!r} matches no check{did_you_mean(pattern, names)}")


def _list_windows(config: Config, now: datetime) -> None:
    """The config's windows active now: what else is muted besides the silences."""
    from e2echeck.maintenance import window_span

    for window in config.maintenance:
        span = window_span(window, now)
        if span is not None:
            click.echo(f"window {window.name}  {_until(span[1], now)}")


def _until(until: datetime, now: datetime) -> str:
    left = int((until - now).total_seconds())
    hours, rest = divmod(max(left, 0), 3600)
    return f"until {until.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC ({hours}h{rest // 60:02d}m left)"
