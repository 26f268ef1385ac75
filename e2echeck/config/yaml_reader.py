"""YAML to plain Python data, remembering where every value and key was.

PyYAML's own constructor forgets positions and expands aliases without limit;
this reader keeps (line, column) for every value and key, substitutes ${VAR},
and refuses alias bombs, deep nesting and duplicate keys.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import yaml

from e2echeck.config.interpolation import InterpolationError, Interpolator
from e2echeck.config.problems import Loc, Problem, ReadError, format_path
from e2echeck.config.yaml_events import build_from_events
from e2echeck.config.yaml_loaders import (
    MAX_ALIAS_VALUES,
    MAX_DEPTH,
    MAX_NODES,
    DepthLimitedLoader,
    FastDepthLimitedLoader,
    libyaml_may_differ,
)

Position = tuple[int, int]

#: What `_read_events` and `_read_fast` return when they leave the file to another path.
NOT_READ: Any = object()

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


class PositionedReader:
    """Builds plain Python data from YAML, remembering where each value was."""

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
        self.values: dict[Loc, Position] = {}
        self.keys: dict[Loc, Position] = {}
        self.problems: list[Problem] = []
        self._nodes = 0
        self._alias_values = 0
        self._seen: set[int] = set()
        self._loader: Any = None  # DepthLimitedLoader or FastDepthLimitedLoader

    def problem(self, loc: Loc, message: str, *, at_key: bool = False) -> Problem:
        line, column = self.position(loc, at_key=at_key)
        return Problem(self.source, line, column, format_path(loc), message)

    def position(self, loc: Loc, *, at_key: bool = False) -> Position:
        if at_key and loc in self.keys:
            return self.keys[loc]
        probe = loc
        while probe:
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))

    def read(self, text: str) -> dict[str, Any]:
        """The document as plain data; ReadError when it is not a YAML mapping."""
        document = self._read_events(text)
        if document is not NOT_READ:
            return document  # type: ignore[no-any-return]
        loader, node = self._read_fast(text)
        try:
            if node is NOT_READ:
                loader = DepthLimitedLoader(text)
                self._loader = loader
                node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            message = _yaml_message(exc)
            if mark is None:
                raise ReadError(Problem(self.source, 1, 1, "", message)) from None
            raise ReadError(
                Problem(self.source, mark.line + 1, mark.column + 1, "", message)
            ) from None
        except yaml.reader.ReaderError as exc:
            line, column = _line_column(text, exc.position)
            raise ReadError(
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
            raise ReadError(Problem(self.source, 1, 1, "", f"not valid YAML: {exc}")) from None
        except RecursionError:  # pragma: no cover - the depth limit comes first
            raise ReadError(
                Problem(self.source, 1, 1, "", f"nested deeper than {MAX_DEPTH} levels")
            ) from None
        if node is None or (
            isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null") and not node.value
        ):
            raise ReadError(
                Problem(self.source, 1, 1, "", "the file is empty; expected version: 1 and checks")
            )
        if not isinstance(node, yaml.MappingNode):
            raise ReadError(
                Problem(
                    self.source,
                    node.start_mark.line + 1,
                    node.start_mark.column + 1,
                    "",
                    f"expected a mapping with version and checks at the top; got {_kind(node)}",
                )
            )
        try:
            return self._build(node, (), set())  # type: ignore[no-any-return]
        finally:
            loader.dispose()

    def _read_events(self, text: str) -> Any:
        """The document built by the event path (yaml_events), or NOT_READ."""
        if not self.fast or libyaml_may_differ(text):
            return NOT_READ
        loader = FastDepthLimitedLoader(text)
        try:
            return build_from_events(loader, self.values, self.keys, self.interpolate)
        except Exception:
            self.values, self.keys = {}, {}
            self.interpolate.unset.clear()
            return NOT_READ
        finally:
            loader.dispose()

    def _read_fast(self, text: str) -> tuple[Any, Any]:
        """(loader, node) from libyaml's parser; node is NOT_READ on any error."""
        if not self.fast or libyaml_may_differ(text):
            return None, NOT_READ
        try:
            loader = FastDepthLimitedLoader(text)
        except Exception:  # pragma: no cover - e.g. a stream libyaml cannot take
            return None, NOT_READ
        try:
            node = loader.get_single_node()
        except Exception:  # the pure-Python loader says what is wrong, and where
            loader.dispose()
            return None, NOT_READ
        self._loader = loader
        return loader, node

    def _count(self, node: yaml.Node, loc: Loc) -> None:
        self._nodes += 1
        if id(node) in self._seen:
            self._alias_values += 1
        else:
            self._seen.add(id(node))
        if self._nodes > MAX_NODES or self._alias_values > MAX_ALIAS_VALUES:
            raise ReadError(
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
            raise ReadError(self._at(node, loc, f"nested deeper than {MAX_DEPTH} levels"))
        if id(node) in active:
            raise ReadError(self._at(node, loc, "an alias refers to itself"))
        self.values[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, loc)
        if node.tag not in _COLLECTION_TAGS:
            raise ReadError(self._at(node, loc, f"unsupported YAML tag {node.tag!r}"))
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
                raise ReadError(self._at(node, loc, f"unsupported YAML tag {node.tag!r}"))
        else:
            try:
                value = self._loader.construct_object(node, deep=True)
            except yaml.YAMLError as exc:
                raise ReadError(self._at(node, loc, _yaml_message(exc))) from None
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
            if self.interpolate.kept:  # validate: a reference stands for some value
                self.interpolate.kept.clear()
                if isinstance(value, str):
                    self.unresolved_values.add(value)
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
                raise ReadError(
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
                raise ReadError(self._at(source, loc, "'<<' merges mappings only"))
            if id(source) in active:
                raise ReadError(self._at(source, loc, "an alias refers to itself"))
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


def _line_column(text: str, position: int) -> Position:
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
