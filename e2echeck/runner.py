"""One run, start to finish: the engine, then alerting, then the heartbeat.

The CLI and the Lambda handler both call `execute`; neither knows how checks
run or how events are delivered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from e2echeck.config.models import Config
from e2echeck.engine.results import CheckResult, RunResult


@dataclass
class RunOptions:
    only: Sequence[str] = ()  # check names or globs
    tags: Sequence[str] = ()
    concurrency: int = 50
    deadline: float | None = None  # seconds from the start of the run
    alert: bool = True  # False: --no-alert, build the events but send nothing
    state_path: str | None = None  # overrides config.state.path


@dataclass
class RunOutcome:
    run: RunResult
    exit_code: int


def execute(
    config: Config,
    options: RunOptions,
    *,
    on_result: Callable[[CheckResult], None] | None = None,
) -> RunOutcome:
    raise NotImplementedError  # built by the engine issue (#3), alerting plugs in (#4)
