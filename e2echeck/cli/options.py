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
    from e2echeck.config import LoadResult

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


def clock() -> datetime | None:
    """The instant maintenance is judged at: None (the real clock), unless a caller
    of the library (a test through CliRunner) passes obj={"now": datetime}."""
    obj = click.get_current_context().find_root().obj
    now = obj.get("now") if isinstance(obj, dict) else None
    return now if isinstance(now, datetime) else None


def complete_check_names(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[click.shell_completion.CompletionItem]:
    """Shell completion of --only: the names of the checks in CONFIG (or the default
    file), read as plain YAML. Completion never fails: a missing or broken file
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

        path = config_path(ctx.params.get("config"))
        if path.stat().st_size > 8 * 1024 * 1024:
            return []
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for check in document.get("checks") or []:
            if isinstance(check, dict) and check.get("enabled", True) is not False:
                found.extend(str(v) for v in values(check) if isinstance(v, str | int))
    except Exception:  # completion must never print a traceback into the shell
        return []
    return [CompletionItem(v) for v in dict.fromkeys(found) if v.startswith(incomplete)]


CONFIG_SUFFIXES = (".yaml", ".yml")


def expand_config_paths(paths: list[Path]) -> list[list[Path]]:
    """The suites named on the command line: a file is a suite of its own, and a
    directory one suite of the .yaml and .yml files under it, sorted (hidden
    folders and files skipped); a directory holding none is a usage error."""
    from e2echeck.errors import UsageError

    expanded: list[list[Path]] = []
    for path in paths:
        if not path.is_dir():
            expanded.append([path])
            continue
        found = sorted(
            p
            for p in path.rglob("*")
            if p.suffix in CONFIG_SUFFIXES
            and p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        if not found:
            raise UsageError(f"{path}: no .yaml or .yml file in this directory")
        expanded.append(found)
    return expanded


def unique_names_across(results: list[LoadResult]) -> list[LoadResult]:
    """Check names are unique across the files of one suite (a directory: one
    run's checks, where --only, the dedup keys and the reports name checks
    alone). A name already used by an earlier file is an error at the later
    file's name."""
    from dataclasses import replace

    from e2echeck.config import Problem

    first: dict[str, str] = {}
    checked: list[LoadResult] = []
    for result in results:
        duplicates = [
            Problem(
                result.source,
                *result.name_positions.get(name, (1, 1)),
                f"checks[{index}].name",
                f"duplicate check name {name!r} (also in {first[name]}); "
                "names are unique across the files",
            )
            for index, name in enumerate(
                c.name for c in (result.config.checks if result.config else [])
            )
            if name in first and first[name] != result.source
        ]
        for check in result.config.checks if result.config else []:
            first.setdefault(check.name, result.source)
        if duplicates:
            problems = sorted([*result.problems, *duplicates], key=lambda p: (p.line, p.column))
            result = replace(result, config=None, problems=problems)
        checked.append(result)
    return checked
