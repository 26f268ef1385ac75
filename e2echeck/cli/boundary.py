"""The one place a command ends: errors become a message on stderr and an exit code.

Commands never exit by themselves. They return their exit code (`run`'s 0, 1 or
3, `validate`'s 0 or 2) or raise; `Command.invoke` turns what they raised into
the message and the code of `e2echeck.errors.exit_code_for`:

- an `E2ECheckError` prints `<prefix>: <message>` (a `ConfigError` prints each
  problem at its file, line and column, then their count), never a traceback;
- anything else is a bug: one short line naming it, exit 1, no traceback either;
- click's own exceptions (usage errors, `--help`, Ctrl-C) pass through to click.

Imports only click and the error classes, like the rest of the command layer.
"""

from __future__ import annotations

from typing import Any

import click

from e2echeck import exit_codes
from e2echeck.errors import ConfigError, E2ECheckError, exit_code_for

#: How a command's messages start unless it says otherwise.
DEFAULT_PREFIX = "e2echeck"


class Command(click.Command):
    """A command whose errors end at the boundary. `error_prefix` starts its
    messages (`e2echeck silence: ...`)."""

    def __init__(self, *args: Any, error_prefix: str = DEFAULT_PREFIX, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.error_prefix = error_prefix

    def invoke(self, ctx: click.Context) -> Any:
        try:
            code = super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            code = report(error, self.error_prefix)
        ctx.exit(code if isinstance(code, int) else exit_codes.OK)


def report(error: BaseException, prefix: str = DEFAULT_PREFIX) -> int:
    """Print `error` to stderr as its user should see it; the exit code it means."""
    for line in error_lines(error, prefix):
        click.echo(line, err=True)
    return exit_code_for(error)


def error_lines(error: BaseException, prefix: str = DEFAULT_PREFIX) -> list[str]:
    """The lines shown for `error`: a config error's every problem and their count,
    an e2echeck error's message, or one line naming an unexpected exception."""
    if isinstance(error, ConfigError):
        if len(error.problems) == 1 and error.problems[0].line == 0:
            return [str(error.problems[0])]  # the file as a whole: not found, too large
        count = sum(1 for p in error.problems if p.severity == "error")
        plural = "s" if count != 1 else ""
        return [
            *(str(p) for p in error.problems),
            f"{DEFAULT_PREFIX}: {count} config error{plural}",
        ]
    if isinstance(error, E2ECheckError):
        return [f"{prefix}: {error}"]
    return [f"{prefix}: internal error: {type(error).__name__}: {error}"]
