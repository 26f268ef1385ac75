"""Reading checks.yaml: the steps in order, each done by its own module.

Bytes to text (size, binary, UTF-8), YAML to positioned data (yaml_reader),
the version, the models (pydantic_errors translates their errors), the
cross-field rules (rules); every problem is placed at file:line:column.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from e2echeck._gc import gc_paused
from e2echeck.config.interpolation import Interpolator
from e2echeck.config.locations import location_problems
from e2echeck.config.models import Config
from e2echeck.config.problems import ConfigError, Loc, Problem, ReadError, format_path
from e2echeck.config.pydantic_errors import problems_from_validation_error
from e2echeck.config.redact import identity_problems, mask_problems
from e2echeck.config.routing_keys import key_positions, malformed_key_warnings
from e2echeck.config.rules import cross_field_problems
from e2echeck.config.urls import UNRESOLVED_CONTEXT_KEY
from e2echeck.config.webhooks import notify_problems
from e2echeck.config.yaml_loaders import MAX_DEPTH
from e2echeck.config.yaml_reader import PositionedReader

# Room for real suites (20,000 checks of a few lines each, generated files
# included), yet bounded: with the reader's caps on values, aliases and depth
# (yaml_loaders.py) a hostile file cannot exhaust memory or time.
MAX_FILE_BYTES = 8 * 1024 * 1024
#: Top-level keys starting with this are the file's own (YAML anchors of shared
#: settings, as docker compose allows): read, then ignored.
EXTENSION_PREFIX = "x-"
SUPPORTED_VERSION = 1

__all__ = [
    "EXTENSION_PREFIX",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "SUPPORTED_VERSION",
    "ConfigError",
    "LoadResult",
    "Problem",
    "check_config",
    "check_config_text",
    "default_config_path",
    "format_path",
    "load_config",
    "load_config_text",
]


@dataclass
class LoadResult:
    """What `check_config` found: the config when valid, and every problem."""

    source: str
    config: Config | None
    problems: list[Problem] = field(default_factory=list)
    # Where a value is written (line, column), for the rules across the files of a
    # suite; at_key=True: where its key is written.
    locate: Callable[..., tuple[int, int]] | None = field(default=None, repr=False)

    def position(self, loc: Loc, *, at_key: bool = False) -> tuple[int, int]:
        return (1, 1) if self.locate is None else self.locate(loc, at_key=at_key)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def load_config(
    path: str | os.PathLike[str],
    *,
    env: Mapping[str, str] | None = None,
) -> Config:
    """The validated config of `path`; ConfigError otherwise.

    Every `${VAR}` must be set, except in routing keys: those land in
    `config.unset_routing_keys`, for the caller that sends alerts to refuse.
    """
    result = check_config(path, env=env, strict_env=True, defer_routing_keys=True)
    if result.errors or result.config is None:
        raise ConfigError(result.errors)
    return result.config


def load_config_text(
    text: str | bytes,
    source: str = "<string>",
    *,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Like `load_config`, for text already in memory."""
    result = check_config_text(text, source, env=env, strict_env=True, defer_routing_keys=True)
    if result.errors or result.config is None:
        raise ConfigError(result.errors)
    return result.config


def check_config(
    path: str | os.PathLike[str],
    *,
    env: Mapping[str, str] | None = None,
    strict_env: bool = False,
    defer_routing_keys: bool = False,
) -> LoadResult:
    """Every problem of the file at `path`, never an exception.

    `strict_env`: an unset ${VAR} is an error, not a warning. `defer_routing_keys`:
    even then, an unset routing key only becomes `config.unset_routing_keys`
    (a run with --no-alert needs none).
    """
    source = os.fspath(path)
    try:
        with open(source, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        return _fail(source, "file not found")
    except IsADirectoryError:
        return _fail(source, "is a directory, expected a checks.yaml file")
    except OSError as exc:
        return _fail(source, f"cannot read the file: {exc.strerror or exc}")
    return check_config_text(
        data, source, env=env, strict_env=strict_env, defer_routing_keys=defer_routing_keys
    )


def check_config_text(
    text: str | bytes,
    source: str = "<string>",
    *,
    env: Mapping[str, str] | None = None,
    strict_env: bool = False,
    defer_routing_keys: bool = False,
) -> LoadResult:
    """Every problem of `text`, never an exception (see `check_config`)."""
    with gc_paused():
        result = _check_config_text(text, source, env, strict_env, defer_routing_keys, True)
        if result.problems:
            # Read by libyaml's parser, whose positions of some implicit empty
            # values differ from PyYAML's: report every problem the way the
            # pure-Python loader always has. (A valid file's positions are unused.)
            result = _check_config_text(text, source, env, strict_env, defer_routing_keys, False)
        return result


def default_config_path() -> Path:
    """CONFIG when none is given: $E2ECHECK_CONFIG, then ./checks.yaml."""
    return Path(os.environ.get("E2ECHECK_CONFIG") or "checks.yaml")


def _check_config_text(
    text: str | bytes,
    source: str,
    env: Mapping[str, str] | None,
    strict_env: bool,
    defer_routing_keys: bool,
    fast: bool,
) -> LoadResult:
    if len(text) > MAX_FILE_BYTES:
        return _fail(source, f"the file is larger than {MAX_FILE_BYTES // 1024 // 1024} MiB")
    if isinstance(text, bytes):
        data = text
        if b"\x00" in data:
            line, column = _byte_position(data, data.index(b"\x00"))
            return _fail(source, "the file is binary, expected YAML text", line, column)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line, column = _byte_position(data, exc.start)
            return _fail(source, f"the file is not UTF-8 text (byte {exc.start})", line, column)
    interpolate = Interpolator(os.environ if env is None else env)
    reader = PositionedReader(
        source,
        interpolate,
        strict_env=strict_env,
        defer_routing_keys=defer_routing_keys,
        fast=fast,
    )
    try:
        document = reader.read(text)
    except ReadError as exc:
        found = mask_problems([*reader.problems, exc.problem], interpolate)
        return LoadResult(source, None, _sorted(found))
    # Problems found while reading (duplicate keys, bad ${...}) do not stop the
    # validation: every error of the file is reported in one go.
    problems = list(reader.problems)
    document = {k: v for k, v in document.items() if not k.startswith(EXTENSION_PREFIX)}
    version_problem = _check_version(document, reader)
    if version_problem:
        problems.append(version_problem)
        if "version" in document:
            # Another version's file: the rest would only be noise.
            return LoadResult(source, None, _sorted(mask_problems(problems, interpolate)))
        document = {**document, "version": SUPPORTED_VERSION}
    context = {UNRESOLVED_CONTEXT_KEY: frozenset(reader.unresolved_values)}
    config: Config | None = None
    try:
        config = Config.model_validate(document, context=context, by_alias=True, by_name=False)
    except ValidationError as exc:
        already = [p for p in problems if p.severity == "error"]
        problems.extend(problems_from_validation_error(exc, document, reader, already))
    problems.extend(cross_field_problems(document, reader))
    problems.extend(location_problems(document, reader))
    problems.extend(notify_problems(document, reader))
    problems.extend(malformed_key_warnings(document, reader))
    if config is not None:
        config._secrets = frozenset(interpolate.secrets)
        config._env_values = {k: frozenset(v) for k, v in interpolate.env_values.items()}
        config._references = dict(interpolate.references)
        problems.extend(identity_problems(config, reader))
    problems = mask_problems(problems, interpolate, document)
    if config is None or any(p.severity == "error" for p in problems):
        return LoadResult(source, None, _sorted(problems))
    config._source = source
    config._unset_routing_keys = tuple(reader.unset_routing_keys)
    config._routing_key_places = key_positions(document, reader)
    return LoadResult(source, config, _sorted(problems), reader.position)


def _check_version(document: dict[str, object], reader: PositionedReader) -> Problem | None:
    if "version" not in document:
        return reader.problem(
            ("version",), "required field 'version' is missing; expected version: 1"
        )
    version = document["version"]
    if version != SUPPORTED_VERSION or isinstance(version, bool):
        return reader.problem(
            ("version",),
            f"unsupported version {version!r}; this e2echeck reads version {SUPPORTED_VERSION}",
        )
    return None


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    before = data[:offset]
    line_start = before.rfind(b"\n") + 1
    column = len(before[line_start:].decode("utf-8", errors="replace")) + 1
    return before.count(b"\n") + 1, column


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line, p.column))


def _fail(source: str, message: str, line: int = 0, column: int = 0) -> LoadResult:
    """The file as a whole is unusable: a problem at no position (line 0), unless given."""
    return LoadResult(source, None, [Problem(source, line, column, "", message)])
