"""One error boundary: every command ends in `e2echeck.cli.boundary`, which maps
the errors.py hierarchy to the documented exit codes and prints the message."""

from __future__ import annotations

import ast
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from e2echeck import errors, exit_codes
from e2echeck.cli import main
from e2echeck.cli.boundary import Command
from e2echeck.config import Problem

PACKAGE = Path(__file__).resolve().parents[1] / "e2echeck"
PROBLEM = Problem("c.yaml", 4, 10, "checks[0].url", "not a URL")


def _raising(error: BaseException, prefix: str = "e2echeck") -> click.Group:
    """A group with one boundary command that raises `error`."""

    @click.command(cls=Command, error_prefix=prefix)
    def boom() -> None:
        raise error

    group = click.Group("e2echeck")
    group.add_command(boom)
    return group


@pytest.mark.parametrize(
    ("error", "code", "stderr"),
    [
        (
            errors.ConfigError([PROBLEM]),
            exit_codes.CONFIG_ERROR,
            f"{PROBLEM}\ne2echeck: 1 config error\n",
        ),
        (
            errors.ConfigError([PROBLEM, PROBLEM]),
            exit_codes.CONFIG_ERROR,
            f"{PROBLEM}\n{PROBLEM}\ne2echeck: 2 config errors\n",
        ),
        (
            errors.SelectionError("--only 'x' matches no enabled check"),
            exit_codes.CONFIG_ERROR,
            "e2echeck: --only 'x' matches no enabled check\n",
        ),
        (
            errors.LocationError("c.yaml: no location"),
            exit_codes.CONFIG_ERROR,
            "e2echeck: c.yaml: no location\n",
        ),
        (
            errors.StateError("cannot read"),
            exit_codes.CONFIG_ERROR,
            "e2echeck: cannot read\n",
        ),
        (
            errors.UsageError("--deadline: bad"),
            exit_codes.CONFIG_ERROR,
            "e2echeck: --deadline: bad\n",
        ),
        (errors.PackagingError("pip failed"), exit_codes.FAILED, "e2echeck: pip failed\n"),
        (
            errors.UndeliveredEventsError("1 event"),
            exit_codes.UNDELIVERED,
            "e2echeck: 1 event\n",
        ),
        (
            KeyError("a bug"),
            exit_codes.FAILED,
            "e2echeck: internal error: KeyError: 'a bug'\n",
        ),
    ],
)
def test_each_error_ends_with_its_code_and_message(
    error: BaseException, code: int, stderr: str
) -> None:
    result = CliRunner().invoke(_raising(error), ["boom"])
    assert (result.exit_code, result.stderr, result.stdout) == (code, stderr, "")
    assert isinstance(result.exception, SystemExit) or result.exception is None
    assert code == errors.exit_code_for(error)


def test_every_public_error_class_is_mapped() -> None:
    public = {getattr(errors, n) for n in errors.__all__ if n.endswith("Error")}
    codes = {cls: cls.exit_code for cls in public}
    assert set(codes.values()) <= {exit_codes.FAILED, exit_codes.CONFIG_ERROR, 3}
    assert codes[errors.UndeliveredEventsError] == exit_codes.UNDELIVERED


def test_a_command_says_who_speaks() -> None:
    result = CliRunner().invoke(
        _raising(errors.UsageError("how long?"), "e2echeck silence"), ["boom"]
    )
    assert (result.exit_code, result.stderr) == (2, "e2echeck silence: how long?\n")


def test_a_returned_code_is_the_exit_code_and_click_errors_stay_clicks() -> None:
    @click.command(cls=Command)
    @click.argument("code", type=int)
    def give(code: int) -> int:
        return code

    group = click.Group("e2echeck")
    group.add_command(give)
    assert CliRunner().invoke(group, ["give", "3"]).exit_code == 3
    assert CliRunner().invoke(group, ["give", "0"]).exit_code == 0
    usage = CliRunner().invoke(group, ["give", "x"])
    assert usage.exit_code == 2 and "Invalid value for 'CODE'" in usage.stderr


def test_the_real_commands_end_at_the_boundary(tmp_path: Path) -> None:
    for name, command in main.commands.items():
        assert isinstance(command, Command), name
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="utf-8")
    result = CliRunner().invoke(main, ["schema", "-o", str(blocked / "schema.json")])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"e2echeck: cannot write {blocked / 'schema.json'}: ")
    assert "Traceback" not in result.output


def _exits(tree: ast.AST) -> list[str]:
    """Every `sys.exit(...)`, `exit(...)`, `<ctx>.exit(...)`, `raise SystemExit` and
    `raise click.exceptions.Exit` in `tree`, as `line: text`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in {"exit", "_exit", "abort"}:
                found.append(f"{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.Raise) and node.exc is not None:
            raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            name = ast.unparse(raised).rsplit(".", 1)[-1]
            if name in {"SystemExit", "Exit"}:
                found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_only_the_boundary_exits() -> None:
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "cli" / "boundary.py":
            continue
        exits = _exits(ast.parse(path.read_text(encoding="utf-8")))
        if exits:
            offenders[str(path.relative_to(PACKAGE))] = exits
    assert offenders == {}
    sample = "import sys\nsys.exit(2)\nraise SystemExit(1)\nraise click.exceptions.Exit(3)\n"
    assert len(_exits(ast.parse(sample))) == 3
    assert _exits(ast.parse((PACKAGE / "cli" / "boundary.py").read_text(encoding="utf-8")))
