"""The one way tests run the real CLI: in-process through click's CliRunner
(`run_cli`), or as a child process `python -m e2echeck` (`run_cli_process`).
Both return a `CliResult` with the exit code, stdout, stderr and both interleaved."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from click.testing import CliRunner

from e2echeck.cli import main
from tests.support.delivery import FAST_POLICY_ENV

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str
    output: str  # stdout and stderr as the user saw them, interleaved
    exception: BaseException | None = None  # in-process only: what escaped, SystemExit included


def run_cli(
    *args: str,
    env: Mapping[str, str | None] | None = None,
    catch_exceptions: bool = True,
    input: str | None = None,
    now: datetime | None = None,
) -> CliResult:
    """`e2echeck *args` in this process; `env` adds to (None: removes from) os.environ.
    `now`: the instant maintenance windows and silences are judged at (the CLI's
    clock, passed as click's obj; default the real clock)."""
    result = CliRunner().invoke(
        main,
        list(args),
        env=env,
        catch_exceptions=catch_exceptions,
        input=input,
        obj={"now": now} if now is not None else None,
    )
    return CliResult(
        result.exit_code, result.stdout, result.stderr, result.output, result.exception
    )


def run_cli_process(
    *args: str,
    env: Mapping[str, str | None] | None = None,
    cwd: Path | str | None = None,
    timeout: float = 120,
) -> CliResult:
    """`python -m e2echeck *args` in a child process, with this environment plus
    the fast delivery policy plus `env` (a None value removes a variable)."""
    environment = {**os.environ, **FAST_POLICY_ENV}
    for name, value in (env or {}).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    completed = subprocess.run(
        [sys.executable, "-m", "e2echeck", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=cwd if cwd is not None else ROOT,
        timeout=timeout,
        check=False,
    )
    output = completed.stdout + completed.stderr
    return CliResult(completed.returncode, completed.stdout, completed.stderr, output)
