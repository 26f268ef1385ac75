"""Every error e2echeck explains to its user, and the exit code each one means.

All of them derive from `E2ECheckError`, so a caller of the library can catch
e2echeck's own failures apart from bugs. Internal exceptions that never leave
their module (a failed HTTP request, a non-2xx answer of the Events API) are
not part of this hierarchy.

Kept free of heavy imports: the CLI names these classes at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from e2echeck import exit_codes


@dataclass(frozen=True)
class Problem:
    """One error or warning in a config file, placed at its line, column and field
    path: what a ConfigError carries and the CLI prints. Defined here, with the
    errors, so that this module imports nothing of the config."""

    file: str
    line: int
    column: int
    path: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def __post_init__(self) -> None:
        # One line per problem, whatever the YAML library or the value says.
        object.__setattr__(self, "message", " ".join(self.message.split()))

    def __str__(self) -> str:
        # Line 0: the file as a whole (not found, too large): no position to give.
        where = f"{self.file}:{self.line}:{self.column}" if self.line > 0 else self.file
        field_path = f" {self.path}:" if self.path else ""
        label = "warning: " if self.severity == "warning" else ""
        return f"{where}:{field_path} {label}{self.message}"

    def as_dict(self) -> dict[str, str | int]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
            "severity": self.severity,
        }


class E2ECheckError(Exception):
    """The base of every error e2echeck reports to its user."""

    #: The exit code of the CLI when this error ends a command.
    exit_code: int = exit_codes.CONFIG_ERROR


class ConfigError(E2ECheckError):
    """checks.yaml is not usable; `problems` lists every reason found, each placed
    at its file, line, column and field."""

    exit_code = exit_codes.CONFIG_ERROR

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class SelectionError(E2ECheckError, ValueError):
    """--only or --tag selects nothing: a usage error, never a green run."""

    exit_code = exit_codes.CONFIG_ERROR


class LocationError(E2ECheckError, ValueError):
    """With `locations`, the run has no location name or one not expected."""

    exit_code = exit_codes.CONFIG_ERROR


class StateError(E2ECheckError):
    """The alert state cannot be read or written; the message says why.

    A run that meets it goes on without state and says so in a warning."""

    exit_code = exit_codes.CONFIG_ERROR


class UsageError(E2ECheckError):
    """A bad value on the command line (`--deadline`, `--for`, ...), a file it
    names that cannot be written, or a command its arguments do not allow."""

    exit_code = exit_codes.CONFIG_ERROR


class PackagingError(E2ECheckError):
    """The Lambda zip could not be built (pip failed, bad arguments, ...)."""

    exit_code = exit_codes.FAILED


class ConstraintsError(PackagingError):
    """The constraints file of `package --constraints` cannot be read, holds a line
    that is not a `name==version` pin, or pins no version of a dependency."""

    exit_code = exit_codes.CONFIG_ERROR


class UndeliveredEventsError(E2ECheckError, RuntimeError):
    """At least one PagerDuty event could not be delivered (the CLI's exit 3).

    Raised by the Lambda handler after the run, so the invocation is marked
    failed; the CLI returns exit code 3 instead of raising."""

    exit_code = exit_codes.UNDELIVERED


def exit_code_for(error: BaseException) -> int:
    """The exit code of the CLI for `error`: each e2echeck error carries its own;
    anything else is an internal error, reported as a failed command. The CLI's
    error boundary (`e2echeck.cli.boundary`) is its one caller at run time."""
    if isinstance(error, E2ECheckError):
        return error.exit_code
    return exit_codes.FAILED


__all__ = [
    "ConfigError",
    "ConstraintsError",
    "E2ECheckError",
    "LocationError",
    "PackagingError",
    "Problem",
    "SelectionError",
    "StateError",
    "UndeliveredEventsError",
    "UsageError",
    "exit_code_for",
]
