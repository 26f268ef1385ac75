"""The fast path of the reader: plain YAML built straight from libyaml's events.

No node tree and no second walk (half the reading time of a large file), for the
plain YAML a checks.yaml is made of. It gives up on anything else (anchors,
aliases, merges, explicit tags, timestamps, duplicate keys, ${VAR} problems,
depth or size limits, any error), and the node-based reader takes over: its
results, messages and positions are the reference (a property test compares).
"""

from __future__ import annotations

from typing import Any

import yaml

from e2echeck.config.interpolation import Interpolator
from e2echeck.config.problems import Loc
from e2echeck.config.yaml_loaders import MAX_DEPTH, MAX_NODES

Position = tuple[int, int]

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
_STR_TAG = "tag:yaml.org,2002:str"


class GiveUp(Exception):
    """The event path meets something only the node-based paths handle."""


def build_from_events(
    loader: Any,
    values: dict[Loc, Position],
    keys: dict[Loc, Position],
    interpolate: Interpolator,
) -> dict[str, Any]:
    """The document `loader` (a FastDepthLimitedLoader) parses, filling in the
    position of every value and key; GiveUp on anything but plain YAML."""
    get_event, resolve = loader.get_event, loader.resolve
    scalar_event, mapping_start = yaml.ScalarEvent, yaml.MappingStartEvent
    sequence_start = yaml.SequenceStartEvent
    constructors = yaml.constructor.SafeConstructor.yaml_constructors
    if not isinstance(get_event(), yaml.StreamStartEvent):
        raise GiveUp
    if not isinstance(get_event(), yaml.DocumentStartEvent):
        raise GiveUp
    # Open collections: [container, loc, pending key or None, its position].
    stack: list[list[Any]] = []
    root: Any = None
    nodes = 0
    while True:
        event = get_event()
        kind = type(event)
        if kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            frame = stack.pop()
            if frame[2] is not None:
                raise GiveUp
            if not stack:
                root = frame[0]
                break
            continue
        if getattr(event, "anchor", None) is not None or kind is yaml.AliasEvent:
            raise GiveUp
        if event.tag is not None and event.tag != "!":
            raise GiveUp
        mark = event.start_mark
        position = (mark.line + 1, mark.column + 1)
        loc: Loc
        if stack:
            frame = stack[-1]
            container = frame[0]
            if type(container) is dict and frame[2] is None:
                # A key: a plain value, never a merge, never twice.
                if kind is not scalar_event:
                    raise GiveUp
                key = event.value
                if resolve(yaml.ScalarNode, key, event.implicit) != _STR_TAG and (
                    key == "<<" or not event.implicit[0]
                ):
                    raise GiveUp
                key_loc = (*frame[1], key)
                if key in container or key_loc in keys:
                    raise GiveUp
                keys[key_loc] = position
                frame[2] = key
                continue
            loc = (*frame[1], frame[2]) if type(container) is dict else (*frame[1], len(container))
        else:
            loc = ()
        nodes += 1
        if nodes > MAX_NODES or len(loc) > MAX_DEPTH:
            raise GiveUp
        values[loc] = position
        if kind is scalar_event:
            tag = resolve(yaml.ScalarNode, event.value, event.implicit)
            if tag == _STR_TAG:
                value: Any = interpolate(event.value) if "$" in event.value else event.value
                if interpolate.unset:
                    raise GiveUp
            elif tag in _EVENT_SCALAR_TAGS:
                node = yaml.ScalarNode(tag, event.value, mark, event.end_mark, event.style)
                value = constructors[tag](loader, node)
            else:
                raise GiveUp
        elif kind is mapping_start or kind is sequence_start:
            value = {} if kind is mapping_start else []
        else:
            raise GiveUp
        if stack:
            frame = stack[-1]
            if type(frame[0]) is dict:
                frame[0][frame[2]] = value
                frame[2] = None
            else:
                frame[0].append(value)
        elif kind is scalar_event:
            raise GiveUp  # the root is not a mapping: the node paths say so
        if kind is mapping_start or kind is sequence_start:
            stack.append([value, loc, None, position])
    if not isinstance(root, dict):
        raise GiveUp
    if not isinstance(get_event(), yaml.DocumentEndEvent):
        raise GiveUp
    if not isinstance(get_event(), yaml.StreamEndEvent):
        raise GiveUp
    return root
