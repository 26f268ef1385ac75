"""Reading checks.yaml: YAML with positions, interpolation, validation, and errors
that point at the user's mistake (file:line:column, field path, what was expected).
"""

from __future__ import annotations

import gc
import json
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast

import yaml
from pydantic import BaseModel, ValidationError

from e2echeck.config._suggest import did_you_mean
from e2echeck.config.interpolation import InterpolationError, Interpolator
from e2echeck.config.models import (
    NAME_PATTERN,
    TEMPLATE_REFERENCE,
    UNRESOLVED_CONTEXT_KEY,
    Config,
)

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 500_000
# Values reached again through an alias: generous for anchors of shared settings,
# small enough that a "billion laughs" document fails in well under a second.
MAX_ALIAS_VALUES = 100_000
MAX_DEPTH = 64
SUPPORTED_VERSION = 1
RESERVED_DEDUP_KEYS = frozenset({"e2echeck-control"})

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One error or warning, placed in the file."""

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
        where = f"{self.file}:{self.line}:{self.column}"
        field_path = f" {self.path}:" if self.path else ""
        label = "warning: " if self.severity == "warning" else ""
        return f"{where}:{field_path} {label}{self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
            "severity": self.severity,
        }


class ConfigError(Exception):
    """checks.yaml is not usable; `problems` says every reason found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class LoadResult:
    """What `check_config` found: the config when valid, and every problem."""

    source: str
    config: Config | None
    problems: list[Problem] = field(default_factory=list)

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
        return _fail(source, "", "file not found")
    except IsADirectoryError:
        return _fail(source, "", "is a directory, expected a checks.yaml file")
    except OSError as exc:
        return _fail(source, "", f"cannot read the file: {exc.strerror or exc}")
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
    with _gc_paused():
        result = _check_config_text(text, source, env, strict_env, defer_routing_keys, True)
        if result.problems:
            # Read by libyaml's parser, whose positions of some implicit empty
            # values differ from PyYAML's: report every problem the way the
            # pure-Python loader always has. (A valid file's positions are unused.)
            result = _check_config_text(text, source, env, strict_env, defer_routing_keys, False)
        return result


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Reading a file allocates a node, a value and a position per YAML value, and
    keeps them all: the cyclic GC would traverse that growing heap over and over
    for nothing (composing 10,000 checks: 2.0-3.2 s with it, 0.9 s without). The file's size
    bounds what is allocated; the collector runs again afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check_config_text(
    text: str | bytes,
    source: str,
    env: Mapping[str, str] | None,
    strict_env: bool,
    defer_routing_keys: bool,
    fast: bool,
) -> LoadResult:
    if len(text) > MAX_FILE_BYTES:
        return _fail(source, "", f"the file is larger than {MAX_FILE_BYTES // 1024} KiB")
    if isinstance(text, bytes):
        data = text
        if b"\x00" in data:
            line, column = _byte_position(data, data.index(b"\x00"))
            return _fail(source, "", "the file is binary, expected YAML text", line, column)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line, column = _byte_position(data, exc.start)
            return _fail(source, "", f"the file is not UTF-8 text (byte {exc.start})", line, column)
    interpolate = Interpolator(os.environ if env is None else env)
    reader = _PositionedReader(
        source,
        interpolate,
        strict_env=strict_env,
        defer_routing_keys=defer_routing_keys,
        fast=fast,
    )
    try:
        document = reader.read(text)
    except _ReadError as exc:
        return LoadResult(source, None, _sorted([*reader.problems, exc.problem]))
    # Problems found while reading (duplicate keys, bad ${...}) do not stop the
    # validation: every error of the file is reported in one go.
    problems = list(reader.problems)
    version_problem = _check_version(document, reader)
    if version_problem:
        problems.append(version_problem)
        if "version" in document:
            # Another version's file: the rest would only be noise.
            return LoadResult(source, None, _sorted(problems))
        document = {**document, "version": SUPPORTED_VERSION}
    context = {UNRESOLVED_CONTEXT_KEY: frozenset(reader.unresolved_values)}
    config: Config | None = None
    try:
        config = Config.model_validate(document, context=context)
    except ValidationError as exc:
        already = [p for p in problems if p.severity == "error"]
        problems.extend(_from_validation_error(exc, document, reader, already))
    problems.extend(_semantic_problems(document, reader))
    if config is None or any(p.severity == "error" for p in problems):
        return LoadResult(source, None, _sorted(problems))
    config._source = source
    config._secrets = frozenset(interpolate.secrets)
    config._unset_routing_keys = tuple(reader.unset_routing_keys)
    return LoadResult(source, config, _sorted(problems))


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    before = data[:offset]
    line_start = before.rfind(b"\n") + 1
    column = len(before[line_start:].decode("utf-8", errors="replace")) + 1
    return before.count(b"\n") + 1, column


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line, p.column))


def _fail(source: str, path: str, message: str, line: int = 1, column: int = 1) -> LoadResult:
    return LoadResult(source, None, [Problem(source, line, column, path, message)])


def format_path(loc: Loc) -> str:
    """('checks', 2, 'expect', 'status') -> 'checks[2].expect.status'."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            text += ("." if text else "") + part
        else:
            text += "[" + json.dumps(part) + "]"  # json["$.status"], headers["a b"]
    return text


_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class _ReadError(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


# The tag of a plain scalar depends on its text alone (the safe loaders have no
# path resolvers), and trying the implicit resolvers' regexes on every key of a
# large file was a fifth of its reading: recent answers are remembered here.
_PLAIN_SCALAR_TAGS: dict[str, str] = {}


class _DepthLimitedLoader(yaml.SafeLoader):
    """PyYAML's composer recurses once per nesting level: stop it early, with a
    position, instead of letting a deep document reach Python's recursion limit."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"nested deeper than {MAX_DEPTH} levels",
                    cast(yaml.error.Mark, event.start_mark),
                )
            # Composer's, named: the libyaml-based loader below shares this method.
            return yaml.composer.Composer.compose_node(self, parent, index)
        finally:
            self._depth -= 1

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0] and not self.yaml_path_resolvers:
            tag = _PLAIN_SCALAR_TAGS.get(value)
            if tag is None:
                tag = yaml.resolver.BaseResolver.resolve(self, kind, value, implicit)  # type: ignore[no-untyped-call]
                if len(_PLAIN_SCALAR_TAGS) < 4096:
                    _PLAIN_SCALAR_TAGS[value] = tag
            return tag
        return yaml.resolver.BaseResolver.resolve(self, kind, value, implicit)  # type: ignore[no-untyped-call]


_FastDepthLimitedLoader: Any = None
if getattr(yaml, "__with_libyaml__", False):
    from yaml._yaml import CParser

    class _FastDepthLimitedLoader(  # type: ignore[no-redef]
        yaml.composer.Composer,
        CParser,
        yaml.constructor.SafeConstructor,
        yaml.resolver.Resolver,
    ):
        """The same composition as `_DepthLimitedLoader` (Python, depth-limited),
        over events from libyaml's C parser: four times faster on a large file.

        Only ever used for documents it reads without error: on any error the
        file is read again by the pure-Python loader, whose messages and
        positions are the ones users (and tests) know."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            yaml.composer.Composer.__init__(self)
            self._depth = 0

        compose_node = _DepthLimitedLoader.compose_node
        resolve = _DepthLimitedLoader.resolve


_NOT_READ = object()
# The scalar tags the event path constructs itself; anything else (timestamps,
# binary, explicit tags) is left to the node-based paths.
_EVENT_SCALAR_TAGS = frozenset(
    {
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null",
    }
)


class _GiveUp(Exception):
    """The event path meets something only the node-based paths handle."""


# Text where libyaml and PyYAML may disagree (found by fuzzing both): libyaml
# accepts some tabs PyYAML refuses (`key: value<TAB>`), a comment glued to a
# block scalar's indicator (`>#`), a BOM or line separator inside the text,
# reads a bare `!` tag as a string rather than null, and takes some `?` as text
# where PyYAML sees a key indicator (`{1?1}`): only the `?` of a URL's query
# (`/path?name=value`) is left to libyaml. Such a file is read by PyYAML alone,
# whose verdict stands as it did before libyaml was used.
_LIBYAML_DIFFERS = re.compile("[\t!\ufeff\u2028\u2029\x85]|[|>][-+0-9]*#|\\?(?![\\w.%~-]+=)")

_PLAIN_TAGS = frozenset(
    {
        "tag:yaml.org,2002:str",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:binary",
    }
)
_COLLECTION_TAGS = frozenset({"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"})


class _PositionedReader:
    """Builds plain Python data from YAML nodes, remembering where each value was.

    PyYAML's own constructor forgets positions and expands aliases without
    limit; this one keeps (line, column) for every value and key and refuses
    alias bombs, deep nesting and duplicate keys.
    """

    def __init__(
        self,
        source: str,
        interpolate: Interpolator,
        *,
        strict_env: bool,
        defer_routing_keys: bool,
        fast: bool = True,
    ) -> None:
        self.source = source
        self.fast = fast  # libyaml's parser when it reads the file without error
        self.interpolate = interpolate
        self.strict_env = strict_env
        self.defer_routing_keys = defer_routing_keys or not strict_env
        # Routing keys may be unset: --no-alert needs none (the run command checks).
        self.unset_routing_keys: list[Problem] = []
        # Strings still holding an unset ${VAR} (only when that is a warning).
        self.unresolved_values: set[str] = set()
        self.values: dict[Loc, tuple[int, int]] = {}
        self.keys: dict[Loc, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self._nodes = 0
        self._alias_values = 0
        self._seen: set[int] = set()
        self._loader: Any = None  # _DepthLimitedLoader or _FastDepthLimitedLoader

    def problem(self, loc: Loc, message: str, *, at_key: bool = False) -> Problem:
        line, column = self.position(loc, at_key=at_key)
        return Problem(self.source, line, column, format_path(loc), message)

    def position(self, loc: Loc, *, at_key: bool = False) -> tuple[int, int]:
        if at_key and loc in self.keys:
            return self.keys[loc]
        probe = loc
        while probe:
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))

    def read(self, text: str) -> Any:
        document = self._read_events(text)
        if document is not _NOT_READ:
            return document
        loader, node = self._read_fast(text)
        try:
            if node is _NOT_READ:
                loader = _DepthLimitedLoader(text)
                self._loader = loader
                node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            message = _yaml_message(exc)
            if mark is None:
                raise _ReadError(Problem(self.source, 1, 1, "", message)) from None
            raise _ReadError(
                Problem(self.source, mark.line + 1, mark.column + 1, "", message)
            ) from None
        except yaml.reader.ReaderError as exc:
            line, column = _line_column(text, exc.position)
            raise _ReadError(
                Problem(
                    self.source,
                    line,
                    column,
                    "",
                    f"not valid YAML: the character {exc.character!r} is not allowed "
                    "(control characters and binary data cannot appear in YAML)",
                )
            ) from None
        except yaml.YAMLError as exc:
            raise _ReadError(Problem(self.source, 1, 1, "", f"not valid YAML: {exc}")) from None
        except RecursionError:  # pragma: no cover - the depth limit comes first
            raise _ReadError(
                Problem(self.source, 1, 1, "", f"nested deeper than {MAX_DEPTH} levels")
            ) from None
        if node is None or (
            isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null") and not node.value
        ):
            raise _ReadError(
                Problem(self.source, 1, 1, "", "the file is empty; expected version: 1 and checks")
            )
        if not isinstance(node, yaml.MappingNode):
            raise _ReadError(
                Problem(
                    self.source,
                    node.start_mark.line + 1,
                    node.start_mark.column + 1,
                    "",
                    f"expected a mapping with version and checks at the top; got {_kind(node)}",
                )
            )
        try:
            return self._build(node, (), set())
        finally:
            loader.dispose()

    def _read_events(self, text: str) -> Any:
        """The document built straight from libyaml's events, or _NOT_READ.

        The fastest path, for the plain YAML a checks.yaml is made of: no node
        tree and no second walk (half the reading time of a large file). It
        gives up on anything else (anchors, aliases, merges, explicit tags,
        timestamps, duplicate keys, ${VAR} problems, depth or size limits, any
        error), and `read` goes on with the node-based paths, whose results,
        messages and positions are the reference (a property test compares).
        """
        if not self.fast or _FastDepthLimitedLoader is None or _LIBYAML_DIFFERS.search(text):
            return _NOT_READ
        loader = _FastDepthLimitedLoader(text)
        try:
            return self._build_from_events(loader)
        except Exception:
            self.values, self.keys = {}, {}
            self._nodes = 0
            self.interpolate.unset.clear()
            return _NOT_READ
        finally:
            loader.dispose()

    def _build_from_events(self, loader: Any) -> Any:
        get_event, resolve = loader.get_event, loader.resolve
        scalar_event, mapping_start = yaml.ScalarEvent, yaml.MappingStartEvent
        sequence_start = yaml.SequenceStartEvent
        constructors = yaml.constructor.SafeConstructor.yaml_constructors
        str_tag = "tag:yaml.org,2002:str"
        values, keys, interpolate = self.values, self.keys, self.interpolate
        if not isinstance(get_event(), yaml.StreamStartEvent):
            raise _GiveUp
        if not isinstance(get_event(), yaml.DocumentStartEvent):
            raise _GiveUp
        # Open collections: [container, loc, pending key or None, its position].
        stack: list[list[Any]] = []
        root: Any = _NOT_READ
        while True:
            event = get_event()
            kind = type(event)
            if kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                frame = stack.pop()
                if frame[2] is not None:
                    raise _GiveUp
                if not stack:
                    root = frame[0]
                    break
                continue
            if getattr(event, "anchor", None) is not None or kind is yaml.AliasEvent:
                raise _GiveUp
            if event.tag is not None and event.tag != "!":
                raise _GiveUp
            mark = event.start_mark
            position = (mark.line + 1, mark.column + 1)
            if stack:
                frame = stack[-1]
                container = frame[0]
                if type(container) is dict and frame[2] is None:
                    # A key: a plain value, never a merge, never twice.
                    if kind is not scalar_event:
                        raise _GiveUp
                    key = event.value
                    if resolve(yaml.ScalarNode, key, event.implicit) != str_tag and (
                        key == "<<" or not event.implicit[0]
                    ):
                        raise _GiveUp
                    key_loc = (*frame[1], key)
                    if key in container or key_loc in keys:
                        raise _GiveUp
                    keys[key_loc] = position
                    frame[2] = key
                    continue
                loc = (
                    (*frame[1], frame[2])
                    if type(container) is dict
                    else (
                        *frame[1],
                        len(container),
                    )
                )
            else:
                loc = ()
            self._nodes += 1
            if self._nodes > MAX_NODES or len(loc) > MAX_DEPTH:
                raise _GiveUp
            values[loc] = position
            if kind is scalar_event:
                tag = resolve(yaml.ScalarNode, event.value, event.implicit)
                if tag == str_tag:
                    value: Any = interpolate(event.value) if "$" in event.value else event.value
                    if interpolate.unset:
                        raise _GiveUp
                elif tag in _EVENT_SCALAR_TAGS:
                    node = yaml.ScalarNode(tag, event.value, mark, event.end_mark, event.style)
                    value = constructors[tag](loader, node)
                else:
                    raise _GiveUp
            elif kind is mapping_start or kind is sequence_start:
                value = {} if kind is mapping_start else []
            else:
                raise _GiveUp
            if stack:
                frame = stack[-1]
                if type(frame[0]) is dict:
                    frame[0][frame[2]] = value
                    frame[2] = None
                else:
                    frame[0].append(value)
            elif kind is scalar_event:
                raise _GiveUp  # the root is not a mapping: the node paths say so
            if kind is mapping_start or kind is sequence_start:
                stack.append([value, loc, None, position])
        if not isinstance(root, dict):
            raise _GiveUp
        if not isinstance(get_event(), yaml.DocumentEndEvent):
            raise _GiveUp
        if not isinstance(get_event(), yaml.StreamEndEvent):
            raise _GiveUp
        return root

    def _read_fast(self, text: str) -> tuple[Any, Any]:
        """(loader, node) from libyaml's parser; node is _NOT_READ on any error."""
        if not self.fast or _FastDepthLimitedLoader is None or _LIBYAML_DIFFERS.search(text):
            return None, _NOT_READ
        try:
            loader = _FastDepthLimitedLoader(text)
        except Exception:  # pragma: no cover - e.g. a stream libyaml cannot take
            return None, _NOT_READ
        try:
            node = loader.get_single_node()
        except Exception:  # the pure-Python loader says what is wrong, and where
            loader.dispose()
            return None, _NOT_READ
        self._loader = loader
        return loader, node

    def _count(self, node: yaml.Node, loc: Loc) -> None:
        self._nodes += 1
        if id(node) in self._seen:
            self._alias_values += 1
        else:
            self._seen.add(id(node))
        if self._nodes > MAX_NODES or self._alias_values > MAX_ALIAS_VALUES:
            raise _ReadError(
                self._at(
                    node,
                    loc,
                    "aliases expand the document to too many values "
                    f"(more than {MAX_ALIAS_VALUES:,} repeated); refusing an alias bomb",
                )
                if self._alias_values > MAX_ALIAS_VALUES
                else self._at(node, loc, f"the document has more than {MAX_NODES:,} values")
            )

    def _build(self, node: yaml.Node, loc: Loc, active: set[int]) -> Any:
        self._count(node, loc)
        if len(loc) > MAX_DEPTH:
            raise _ReadError(self._at(node, loc, f"nested deeper than {MAX_DEPTH} levels"))
        if id(node) in active:
            raise _ReadError(self._at(node, loc, "an alias refers to itself"))
        self.values[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, loc)
        if node.tag not in _COLLECTION_TAGS:
            raise _ReadError(self._at(node, loc, f"unsupported YAML tag {node.tag!r}"))
        active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self._build(item, (*loc, i), active) for i, item in enumerate(node.value)]
            assert isinstance(node, yaml.MappingNode)
            return self._mapping(node, loc, active)
        finally:
            active.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode, loc: Loc) -> Any:
        assert self._loader is not None
        if node.tag not in _PLAIN_TAGS:
            # Timestamps and the like: keep the text; the models decide.
            if node.tag == "tag:yaml.org,2002:timestamp":
                value: Any = str(node.value)
            else:
                raise _ReadError(self._at(node, loc, f"unsupported YAML tag {node.tag!r}"))
        else:
            try:
                value = self._loader.construct_object(node, deep=True)
            except yaml.YAMLError as exc:
                raise _ReadError(self._at(node, loc, _yaml_message(exc))) from None
            except (ValueError, ArithmeticError) as exc:
                # e.g. an integer of more than 4300 digits, or "!!int abc".
                message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                self.problems.append(self._at(node, loc, f"unreadable value: {message}"))
                return str(node.value)
        if isinstance(value, str):
            try:
                value = self.interpolate(value)
            except InterpolationError as exc:
                self.problems.append(self._at(node, loc, str(exc)))
            if self.interpolate.unset:
                value = self._unset(node, loc, value)
        elif isinstance(value, bytes):
            self.problems.append(self._at(node, loc, "binary values are not supported"))
        return value

    def _unset(self, node: yaml.ScalarNode, loc: Loc, value: str) -> str | None:
        names = ", ".join(dict.fromkeys(self.interpolate.unset))
        self.interpolate.unset.clear()
        message = f"environment variable {names} is not set"
        if loc and loc[-1] == "routing_key" and self.defer_routing_keys:
            problem = self._at(node, loc, f"{message}; alerts cannot be sent without it")
            self.unset_routing_keys.append(problem)
            self.problems.append(replace(problem, severity="warning"))
            return None
        if self.strict_env:
            first = names.split(",")[0]
            self.problems.append(
                self._at(node, loc, f"{message} (set it, or give a default: ${{{first}:-value}})")
            )
        else:
            self.unresolved_values.add(value)
            self.problems.append(replace(self._at(node, loc, message), severity="warning"))
        return value

    def _mapping(self, node: yaml.MappingNode, loc: Loc, active: set[int]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged.update(self._merge_sources(value_node, loc, active))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise _ReadError(
                    self._at(key_node, loc, "a key must be a plain value, not a list or mapping")
                )
            key = str(key_node.value)
            key_loc = (*loc, key)
            if key in result:
                first = self.keys[key_loc]
                self.problems.append(
                    self._at(key_node, key_loc, f"duplicate key {key!r} (first at line {first[0]})")
                )
                continue
            self.keys[key_loc] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self._build(value_node, key_loc, active)
        for key, value in merged.items():
            result.setdefault(key, value)
        return result

    def _merge_sources(self, node: yaml.Node, loc: Loc, active: set[int]) -> dict[str, Any]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise _ReadError(self._at(source, loc, "'<<' merges mappings only"))
            if id(source) in active:
                raise _ReadError(self._at(source, loc, "an alias refers to itself"))
            self._count(source, loc)
            active.add(id(source))
            try:
                for key, value in self._mapping(source, loc, active).items():
                    merged.setdefault(key, value)
            finally:
                active.discard(id(source))
        return merged

    def _at(self, node: yaml.Node, loc: Loc, message: str) -> Problem:
        mark = node.start_mark
        return Problem(self.source, mark.line + 1, mark.column + 1, format_path(loc), message)


def _line_column(text: str, position: int) -> tuple[int, int]:
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def _yaml_message(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        parts = [exc.context, exc.problem]
        text = "; ".join(p for p in parts if p)
        return f"not valid YAML: {text}" if text else "not valid YAML"
    return f"not valid YAML: {exc}"


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.ScalarNode):
        return f"the value {node.value[:40]!r}"
    return "something else"


def _check_version(document: dict[str, Any], reader: _PositionedReader) -> Problem | None:
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


def _from_validation_error(
    exc: ValidationError,
    document: Any,
    reader: _PositionedReader,
    already: list[Problem] | None = None,
) -> list[Problem]:
    errors = exc.errors(include_url=False)
    located = [(error, _data_loc(error["loc"], document)) for error in errors]
    # "unknown key 'pth'; did you mean "path"?" already says that path is missing.
    suggested = {
        (*loc[:-1], hint)
        for error, loc in located
        if error["type"] == "extra_forbidden" and loc
        for hint in [_closest_key(loc)]
        if hint
    }
    taken = [p.path for p in already or []]
    problems: list[Problem] = []
    seen: set[tuple[Loc, str]] = set()
    for error, loc in located:
        if error["type"] == "missing" and loc in suggested:
            continue
        at_key = error["type"] == "extra_forbidden" or error["loc"][-1:] == ("[key]",)
        ctx = error.get("ctx") or {}
        if error["type"] == "conflicting_fields" and ctx.get("field"):
            loc = (*loc, str(ctx["field"]))
            at_key = True
        path = format_path(loc)
        if any(path == t or path.startswith((t + ".", t + "[")) for t in taken if t):
            continue  # the reader already reported this value
        message = _message(error, loc)
        if (loc, message) in seen:
            continue
        seen.add((loc, message))
        problems.append(reader.problem(loc, message, at_key=at_key))
    return problems


def _closest_key(loc: Loc) -> str | None:
    from e2echeck.config._suggest import closest

    return closest(str(loc[-1]), _known_keys(loc[:-1]))


def _data_loc(raw: tuple[Any, ...], document: Any) -> Loc:
    """Drop the parts of pydantic's location that are not in the data (union tags)."""
    loc: list[str | int] = []
    node = document
    for index, part in enumerate(raw):
        last = index == len(raw) - 1
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            node = node[part]
            loc.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            loc.append(part)
        elif isinstance(node, dict) and isinstance(part, str) and last and part != "[key]":
            loc.append(part)  # a missing or unknown key: name it
            node = None
    return tuple(loc)


def _plural(count: Any, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


_PATTERN_HELP = {
    NAME_PATTERN: "letters, digits, '.', '_' and '-' only",
}


def _message(error: Any, loc: Loc) -> str:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else "?"
        known = _known_keys(loc[:-1])
        hint = did_you_mean(key, known)
        if hint:
            return f"unknown key {key!r}{hint}"
        if known:
            return f"unknown key {key!r}; expected one of {', '.join(sorted(known))}"
        return f"unknown key {key!r}"
    if kind == "missing":
        return f"required field {str(loc[-1])!r} is missing" if loc else "required field missing"
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    if kind == "conflicting_fields":
        return message
    got = _describe(value)
    if kind == "literal_error":
        expected = message.removeprefix("Input should be ")
        return f"expected {expected}; got {value!r}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"expected a mapping; got {got}"
    if kind == "list_type":
        return f"expected a list; got {got}"
    if kind == "string_type":
        hint = " (quote it)" if isinstance(value, int | float | bool) else ""
        return f"expected a string; got {got}{hint}"
    if kind in ("int_type", "int_parsing"):
        return f"expected a whole number; got {got}"
    if kind == "int_from_float":
        return f"expected a whole number; got {got}"
    if kind in ("float_type", "float_parsing", "finite_number"):
        return f"expected a number; got {got}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false; got {got}"
    if kind == "greater_than_equal":
        return f"expected {ctx.get('ge')} or more; got {got}"
    if kind == "less_than_equal":
        return f"expected {ctx.get('le')} or less; got {got}"
    if kind == "string_too_long":
        length = len(value) if isinstance(value, str) else "?"
        return f"expected at most {_plural(ctx.get('max_length'), 'character')}; got {length}"
    if kind == "string_too_short":
        return f"expected at least {_plural(ctx.get('min_length'), 'character')}; got {got}"
    if kind == "too_short":
        return f"expected at least {_plural(ctx.get('min_length'), 'item')}; got {got}"
    if kind == "too_long":
        return f"expected at most {_plural(ctx.get('max_length'), 'item')}; got {got}"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return f"expected {_PATTERN_HELP.get(pattern, f'text matching {pattern}')}; got {got}"
    message = message.replace("Input should be", "expected").replace(
        "Input should have", "expected"
    )
    return f"{message}; got {got}"


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping" if value else "an empty mapping"
    if isinstance(value, list):
        return f"a list of {_plural(len(value), 'item')}" if value else "an empty list"
    if value is None:
        return "nothing (null)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _known_keys(loc: Loc) -> list[str]:
    """The keys the model at `loc` accepts, for 'did you mean'."""
    from e2echeck.config import models

    model: type[BaseModel] | None = Config
    in_capture = False
    for part in loc:
        if model is None:
            return []
        if isinstance(part, int):
            continue
        if in_capture:
            return ["header", "regex"]
        if part == "capture" and model is models.Step:
            in_capture = True
            continue
        if model is models.Check and part == "steps":
            model = models.Step
        elif part in ("defaults",):
            model = models.Defaults
        elif part == "pagerduty":
            model = models.PagerDutyConfig
        elif part == "state":
            model = models.StateConfig
        elif part == "heartbeat":
            model = models.HeartbeatConfig
        elif part == "checks":
            model = models.Check
        elif part == "expect":
            model = models.Expect
        else:
            return []
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _semantic_problems(document: Any, reader: _PositionedReader) -> Iterator[Problem]:
    """The rules that span several fields: unique names and keys, capture references.

    They read the raw document, so they are reported even when a field elsewhere
    is invalid: `validate` shows every error of a file in one go.
    """
    checks = document.get("checks") if isinstance(document, dict) else None
    if not isinstance(checks, list):
        return
    names: dict[str, int] = {}
    dedup_keys: dict[str, int] = {}
    for index, check in enumerate(checks):
        if not isinstance(check, dict):
            continue
        loc: Loc = ("checks", index)
        name = check.get("name")
        name = name if isinstance(name, str) else None
        duplicate_name = name is not None and name in names
        if name is not None and duplicate_name:
            yield reader.problem(
                (*loc, "name"),
                f"duplicate check name {name!r} (also checks[{names[name]}]); names are unique",
            )
        elif name is not None:
            names[name] = index
        own_key = check.get("dedup_key")
        own_key = own_key if isinstance(own_key, str) and own_key else None
        key = own_key or name
        key_loc = (*loc, "dedup_key") if own_key else (*loc, "name")
        if key is None or (duplicate_name and own_key is None):
            pass  # the same mistake as the duplicate name: one message is enough
        elif key in RESERVED_DEDUP_KEYS:
            yield reader.problem(key_loc, f"dedup key {key!r} is reserved for e2echeck itself")
        elif key in dedup_keys:
            yield reader.problem(
                key_loc,
                f"dedup key {key!r} is also used by checks[{dedup_keys[key]}]; two checks "
                "sharing a dedup key would trigger and resolve the same alert",
            )
        else:
            dedup_keys[key] = index
        yield from _reference_problems(check, loc, reader)


def _reference_problems(
    check: dict[str, Any], loc: Loc, reader: _PositionedReader
) -> Iterator[Problem]:
    steps = check.get("steps")
    if not isinstance(steps, list):
        for field_loc, name in _references(check, loc):
            yield reader.problem(
                field_loc,
                f"{{{{ {name} }}}} refers to a captured value, but only the steps of a "
                "scenario capture values; use ${VAR} for the environment",
            )
        return
    available: set[str] = set()
    step_names: set[str] = set()
    for index, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        step_loc = (*loc, "steps", index)
        step_name = step.get("name")
        if isinstance(step_name, str) and step_name in step_names:
            yield reader.problem((*step_loc, "name"), f"duplicate step name {step_name!r}")
        if isinstance(step_name, str):
            step_names.add(step_name)
        for field_loc, name in _references(step, step_loc):
            if name not in available:
                known = sorted(available)
                hint = did_you_mean(name, known)
                where = f"captured so far: {', '.join(known)}" if known else "nothing captured yet"
                yield reader.problem(
                    field_loc,
                    f"{{{{ {name} }}}} is not captured by an earlier step{hint} ({where})",
                )
        capture = step.get("capture")
        if isinstance(capture, dict):
            available.update(str(key) for key in capture)


def _references(request: dict[str, Any], loc: Loc) -> Iterator[tuple[Loc, str]]:
    for name in ("url", "headers", "params", "body", "json", "form"):
        if name in request:
            yield from _references_in(request[name], (*loc, name))


def _references_in(value: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    if isinstance(value, str):
        for match in TEMPLATE_REFERENCE.finditer(value):
            yield loc, match.group(1)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _references_in(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _references_in(item, (*loc, index))


def default_config_path() -> Path:
    """CONFIG when none is given: $E2ECHECK_CONFIG, then ./checks.yaml."""
    return Path(os.environ.get("E2ECHECK_CONFIG") or "checks.yaml")
