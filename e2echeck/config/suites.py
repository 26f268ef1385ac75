"""Several checks files (or a directory of them) read as one suite: one run.

Each file is read and validated on its own, with its own positions and its own
`.env`, then the files are combined. A suite is one run's checks, so a check
name and a dedup key are unique across its files (`--only`, the reports and the
alerts name a check alone). The run-wide sections (`defaults`, `pagerduty`,
`state`, `heartbeat`, `redact`, `locations`) describe that one run: each may be
written in any number of the files, but wherever it is written it must be the
same, and it then applies to every file. Webhooks are merged by name (the same
name must mean the same endpoint). A maintenance window covers only checks of
its own file, as when that file runs alone: a window written for one team's
file never silences another team's failures.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from fnmatch import fnmatchcase
from pathlib import Path

from e2echeck.config.loader import ConfigError, LoadResult, check_config
from e2echeck.config.maintenance import MaintenanceWindow
from e2echeck.config.models import Check, Config
from e2echeck.config_files import CONFIG_SUFFIXES, expand_paths
from e2echeck.errors import Problem

#: Sections that describe the whole run: the same wherever they are written.
RUN_WIDE_SECTIONS = ("defaults", "pagerduty", "state", "heartbeat", "redact", "locations")

__all__ = [
    "CONFIG_SUFFIXES",
    "RUN_WIDE_SECTIONS",
    "check_suite",
    "check_suite_paths",
    "combine",
    "expand_paths",
    "load_suite",
    "suite_name",
    "unique_across",
]


def suite_name(paths: Sequence[Path]) -> str:
    """How messages and the state name a suite: its one file or directory, else
    the paths joined by ' + '."""
    return " + ".join(os.fspath(p) for p in paths)


def load_suite(
    paths: Sequence[Path],
    *,
    env_for: Callable[[Path], Mapping[str, str]],
) -> Config:
    """The one config of the files and directories in `paths` (each file read with
    `env_for(file)`); ConfigError with every file's problems otherwise."""
    combined = check_suite_paths(paths, env_for=env_for, strict_env=True, defer_routing_keys=True)
    if combined.config is None:
        raise ConfigError(combined.errors)
    return combined.config


def check_suite_paths(
    paths: Sequence[Path],
    *,
    env_for: Callable[[Path], Mapping[str, str]] | None = None,
    strict_env: bool = False,
    defer_routing_keys: bool = False,
) -> LoadResult:
    """Every problem of the files and directories in `paths` read as one run, never
    an exception (each file read like `check_config`, with `env_for(file)`, else
    the process environment)."""
    results = [
        check_config(
            path,
            env=None if env_for is None else env_for(path),
            strict_env=strict_env,
            defer_routing_keys=defer_routing_keys,
        )
        for path in expand_paths(paths)
    ]
    return combine(results, suite_name(paths), identity=_identity(paths))


def unique_across(results: list[LoadResult]) -> list[LoadResult]:
    """Check names and dedup keys are unique across the files of one suite: one
    already used by an earlier file is an error at the later file's position."""
    names: dict[str, str] = {}
    keys: dict[str, str] = {}
    checked: list[LoadResult] = []
    for result in results:
        problems: list[Problem] = []
        checks = result.config.checks if result.config else []
        for index, check in enumerate(checks):
            earlier_name, earlier_key = names.get(check.name), keys.get(check.effective_dedup_key)
            if earlier_name is not None and earlier_name != result.source:
                problems.append(
                    _problem(
                        result,
                        ("checks", index, "name"),
                        f"duplicate check name {check.name!r} (also in {earlier_name}); "
                        "names are unique across the files of a run",
                    )
                )
            elif earlier_key is not None and earlier_key != result.source:
                field = "dedup_key" if check.dedup_key else "name"
                problems.append(
                    _problem(
                        result,
                        ("checks", index, field),
                        f"dedup key {check.effective_dedup_key!r} is also used in "
                        f"{earlier_key}; two checks sharing a dedup key would trigger and "
                        "resolve the same alert",
                    )
                )
        for check in checks:
            names.setdefault(check.name, result.source)
            keys.setdefault(check.effective_dedup_key, result.source)
        if problems:
            merged = sorted([*result.problems, *problems], key=lambda p: (p.line, p.column))
            result = replace(result, config=None, problems=merged)
        checked.append(result)
    return checked


def combine(results: list[LoadResult], name: str, *, identity: str | None = None) -> LoadResult:
    """The suite of the files' results (each already loaded on its own): one
    LoadResult named `name` holding the combined config, or, when a file is
    invalid or the files disagree, no config and the problems across files.
    `identity`: what the state records as the suite's file (default: `name`)."""
    if len(results) == 1 and results[0].source == name:
        return results[0]
    results = check_suite(results)
    valid = [r for r in results if r.config is not None]
    if len(valid) != len(results):
        return LoadResult(name, None, [p for r in results for p in r.errors])
    warnings = [p for r in results for p in r.warnings]
    return LoadResult(name, _merged(valid, name, identity or name), warnings)


def check_suite(results: list[LoadResult]) -> list[LoadResult]:
    """Each file's result with the problems across files added at their place in
    that file (a name or dedup key used twice, a shared section written
    differently); a file with such a problem has no config."""
    results = unique_across(results)
    across = _disagreements(results)
    checked = []
    for result in results:
        mine = [p for p in across if p.file == result.source]
        if mine:
            merged = sorted([*result.problems, *mine], key=lambda p: (p.line, p.column))
            result = replace(result, config=None, problems=merged)
        checked.append(result)
    return checked


def _merged(results: list[LoadResult], name: str, identity: str) -> Config:
    configs = [r.config for r in results if r.config is not None]
    update: dict[str, object] = {}
    for section in RUN_WIDE_SECTIONS:
        written = [c for c in configs if section in c.model_fields_set]
        if written:
            update[section] = getattr(written[0], section)
            if section == "defaults":  # its ca_file is relative to its own file
                owner = written[0]
                ca_file = owner._ca_path(owner.defaults.ca_file)
                update[section] = owner.defaults.model_copy(update={"ca_file": ca_file})
    webhooks: dict[str, object] = {}
    for config in configs:
        webhooks.update(config.webhooks)
    update["webhooks"] = webhooks
    update["checks"] = [_anchored(check, config) for config in configs for check in config.checks]
    update["maintenance"] = [w for c in configs for w in _own_windows(c)]
    merged = configs[0].model_copy(update=update)
    env_values: dict[str, frozenset[str]] = {}
    for config in configs:
        for variable, values in config._env_values.items():
            env_values[variable] = env_values.get(variable, frozenset()) | values
    merged._source = name
    merged._identity = identity
    merged._secrets = frozenset().union(*(c._secrets for c in configs))
    merged._env_values = env_values
    merged._references = {k: v for c in configs for k, v in c._references.items()}
    merged._routing_key_places = {
        owner: place for c in reversed(configs) for owner, place in c._routing_key_places.items()
    }
    merged._all_secrets = None
    merged._unset_routing_keys = tuple(p for c in configs for p in c.unset_routing_keys)
    return merged


def _anchored(check: Check, config: Config) -> Check:
    """The check with its `ca_file` as its own file resolves it (relative to that
    file's folder, through that file's defaults), so that the suite's one set of
    defaults does not move it."""
    written = config.defaults.ca_file if check.ca_file is None else check.ca_file
    ca_file = config._ca_path(written)  # what settings_for would give, without the rest
    return check if ca_file == check.ca_file else check.model_copy(update={"ca_file": ca_file})


def _own_windows(config: Config) -> list[MaintenanceWindow]:
    """The file's windows narrowed to the file's own checks (by exact name), so
    that in a suite a window covers what it covers when its file runs alone."""
    names = [c.name for c in config.checks]
    own: list[MaintenanceWindow] = []
    for window in config.maintenance:
        covered = [n for n in names if not window.checks or _matches(n, window.checks)]
        if covered:  # an empty `checks` would mean every check of the suite
            own.append(window.model_copy(update={"checks": covered}))
    return own


def _matches(name: str, patterns: list[str]) -> bool:
    return any(name == p or fnmatchcase(name, p) for p in patterns)


def _disagreements(results: list[LoadResult]) -> list[Problem]:
    """A run-wide section (or webhook) written differently in two files: an error
    at the later file's key, naming the earlier file."""
    problems: list[Problem] = []
    first: dict[tuple[str, ...], tuple[str, object]] = {}
    for result in results:
        config = result.config
        if config is None:
            continue
        written: list[tuple[tuple[str, ...], object]] = [
            ((section,), getattr(config, section))
            for section in RUN_WIDE_SECTIONS
            if section in config.model_fields_set
        ]
        written += [(("webhooks", hook), value) for hook, value in config.webhooks.items()]
        for loc, value in written:
            earlier = first.setdefault(loc, (result.source, value))
            if earlier[0] != result.source and earlier[1] != value:
                what = "webhook " + repr(loc[1]) if len(loc) > 1 else repr(loc[0])
                problems.append(
                    _problem(
                        result,
                        loc,
                        f"{what} differs from the one in {earlier[0]}; the files of a run "
                        "share it, so write it the same in each file, or in one file only",
                        at_key=True,
                    )
                )
    return problems


def _problem(result: LoadResult, loc: tuple[str | int, ...], message: str, **how: bool) -> Problem:
    from e2echeck.config.problems import format_path

    line, column = result.position(loc, **how)
    return Problem(result.source, line, column, format_path(loc), message)


def _identity(paths: Sequence[Path]) -> str:
    """What the state records as the suite's file: the absolute paths, so that the
    same suite run from another folder still owns its state."""
    return " + ".join(os.path.abspath(p) for p in paths)
