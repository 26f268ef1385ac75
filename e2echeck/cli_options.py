"""The options of the commands, each declared once: a typed dataclass field that
is also its Click option. `click_options(RunArgs)` adds them to a command, and
the command rebuilds the dataclass from what Click parsed: `RunArgs(**params)`.

Imports only click, like the CLI itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

import click

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def option(*decls: str, default: T, **attrs: Any) -> T:
    """A field of an options dataclass that is also its Click option, declared here once."""
    spec = {"decls": decls, "attrs": {"default": default, **attrs}}
    return field(default=default, metadata={"click": spec})


def click_options(cls: type[Any]) -> Callable[[F], F]:
    """The decorator adding a dataclass's `option` fields to a command, in field order.

    Each Click parameter is named after its field, so `cls(**params)` rebuilds it."""

    def decorate(command: F) -> F:
        for item in reversed(fields(cls)):
            spec = item.metadata["click"]
            command = click.option(*spec["decls"], item.name, **spec["attrs"])(command)
        return command

    return decorate


config_argument = click.argument("config", required=False, type=click.Path())


@dataclass(frozen=True)
class RunArgs:
    """The options of `e2echeck run`, parsed."""

    only: tuple[str, ...] = option(
        "--only",
        default=(),
        multiple=True,
        metavar="NAME",
        help="Run only checks of this name or glob.",
    )
    tags: tuple[str, ...] = option(
        "--tag", default=(), multiple=True, help="Run only checks with this tag."
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
        default=50,
        type=click.IntRange(1, 1000),
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

    metrics_path: str | None = option(
        "--metrics",
        default=None,
        type=click.Path(dir_okay=False),
        help="Write Prometheus metrics here (textfile format, replaced atomically).",
    )

    @property
    def verbosity(self) -> int:
        return -1 if self.quiet else self.verbose
