"""`run`'s options are declared once, as RunArgs fields, and Click parses into them."""

from __future__ import annotations

from dataclasses import fields

from e2echeck.cli import main
from e2echeck.cli.run import RunArgs


def test_run_parameters_are_the_runargs_fields() -> None:
    run = main.commands["run"]
    assert [p.name for p in run.params] == ["configs", *(f.name for f in fields(RunArgs))]


def test_parsed_options_rebuild_runargs() -> None:
    run = main.commands["run"]
    argv = ["checks.yaml", "--only", "a*", "--only", "b", "--tag", "web", "-vv", "--no-alert"]
    argv += ["--format", "json", "--concurrency", "7", "--deadline", "4m", "--state", "s.json"]
    params = dict(run.make_context("run", argv).params)
    assert params.pop("configs") == ("checks.yaml",)
    args = RunArgs(**params)
    assert args == RunArgs(
        only=("a*", "b"),
        tags=("web",),
        no_alert=True,
        output_format="json",
        concurrency=7,
        deadline="4m",
        state_path="s.json",
        verbose=2,
    )
    assert args.verbosity == 2


def test_defaults_match_the_dataclass() -> None:
    params = dict(main.commands["run"].make_context("run", []).params)
    params.pop("configs")
    assert RunArgs(**params) == RunArgs()
    assert RunArgs(quiet=True, verbose=2).verbosity == -1
