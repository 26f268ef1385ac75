"""What the commands share: options declared once as typed dataclass fields,
the CONFIG argument and its default, and the clock.

An `option` field is also its Click option: `click_options(RunArgs)` adds them
to a command, and the command rebuilds the dataclass from what Click parsed:
`RunArgs(**params)`.

Imports only click, like the whole command layer at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field, fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from e2echeck.config import Config

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
#: Several files or directories: one suite, one run (see e2echeck/config/suites.py).
configs_argument = click.argument("configs", nargs=-1, type=click.Path(), metavar="[CONFIG|DIR]...")

ENV_FILE_HELP = (
    "Read ${VAR}s from this file too (NAME=value lines; repeatable, a later file wins). "
    "The process environment wins over every file, and the files over the .env beside "
    "the checks file."
)


def config_environment(config: Path, env_files: tuple[str, ...]) -> dict[str, str]:
    """What checks.yaml's ${VAR} read: the process environment over the
    --env-file files over the .env beside `config` (see config/dotenv.py)."""
    import os

    from e2echeck.config.dotenv import environment_for

    return environment_for(config, env_files, os.environ)


def config_path(value: str | None) -> Path:
    """CONFIG as given, else $E2ECHECK_CONFIG, else ./checks.yaml."""
    if value:
        return Path(value)
    from e2echeck.config import default_config_path

    return default_config_path()


def config_paths(values: tuple[str, ...]) -> list[Path]:
    """CONFIG|DIR... as given, else the default file."""
    return [Path(v) for v in values] or [config_path(None)]


def load_suite(paths: list[Path], env_files: tuple[str, ...]) -> Config:
    """The one config of the files and directories in `paths`, each file reading
    its own .env and the --env-file files."""
    from e2echeck.config.suites import load_suite as load

    return load(paths, env_for=lambda path: config_environment(path, env_files))


def clock() -> datetime | None:
    """The instant maintenance is judged at: None (the real clock), unless a caller
    of the library (a test through CliRunner) passes obj={"now": datetime}."""
    obj = click.get_current_context().find_root().obj
    now = obj.get("now") if isinstance(obj, dict) else None
    return now if isinstance(now, datetime) else None


def complete_check_names(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[click.shell_completion.CompletionItem]:
    """Shell completion of --only: the names of the checks in CONFIG|DIR... (or the
    default file), read as plain YAML. Completion never fails: a missing or broken file
    completes nothing."""
    return _complete(ctx, incomplete, lambda check: [check.get("name")])


def complete_tags(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[click.shell_completion.CompletionItem]:
    """Shell completion of --tag: the tags used in CONFIG."""
    return _complete(ctx, incomplete, lambda check: list(check.get("tags") or []))


def _complete(
    ctx: click.Context, incomplete: str, values: Callable[[dict[str, Any]], list[Any]]
) -> list[click.shell_completion.CompletionItem]:
    from click.shell_completion import CompletionItem

    found: list[str] = []
    try:
        import yaml

        from e2echeck.config_files import expand_paths  # not the models: every TAB

        # Completing an option, click leaves CONFIG|DIR... unparsed, in ctx.args.
        given = ctx.params.get("configs") or tuple(ctx.args)
        if ctx.params.get("config"):
            given = (ctx.params["config"],)
        for path in expand_paths(config_paths(tuple(given))):
            if path.stat().st_size > 8 * 1024 * 1024:
                continue
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
            for check in document.get("checks") or []:
                if isinstance(check, dict) and check.get("enabled", True) is not False:
                    found.extend(str(v) for v in values(check) if isinstance(v, str | int))
    except Exception:  # completion must never print a traceback into the shell
        return []
    return [CompletionItem(v) for v in dict.fromkeys(found) if v.startswith(incomplete)]
