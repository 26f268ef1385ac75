"""`depends_on`: every name is a check of the file, and no check depends on
itself through any chain (a cycle would suppress every check in it for good)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from e2echeck.config._suggest import did_you_mean
from e2echeck.config.problems import Loc, Problem

if TYPE_CHECKING:
    from e2echeck.config.yaml_reader import PositionedReader


def dependency_problems(
    checks: list[object], names: Mapping[str, int], reader: PositionedReader
) -> Iterator[Problem]:
    """Unknown names and cycles in `depends_on`, each placed at the name that
    makes it (`names`: check name -> its index, the file's unique names)."""
    edges: dict[str, list[tuple[str, Loc]]] = {}
    for index, check in enumerate(checks):
        if not isinstance(check, dict):
            continue
        name, depends = check.get("name"), check.get("depends_on")
        if not isinstance(name, str) or not isinstance(depends, list):
            continue
        own: list[tuple[str, Loc]] = []
        for position, dependency in enumerate(depends):
            loc: Loc = ("checks", index, "depends_on", position)
            if not isinstance(dependency, str):
                continue  # the model reports its type
            if dependency not in names:
                yield reader.problem(
                    loc,
                    f"depends_on names {dependency!r}, which is no check of this file"
                    f"{did_you_mean(dependency, list(names))}",
                )
            elif dependency == name:
                yield reader.problem(loc, f"check {name!r} depends on itself")
            else:
                own.append((dependency, loc))
        edges[name] = own
    yield from _cycles(edges, reader)


def _cycles(edges: dict[str, list[tuple[str, Loc]]], reader: PositionedReader) -> Iterator[Problem]:
    """One problem per cycle, at the dependency that closes it (depth-first,
    iterative: a chain of thousands of checks must not hit the recursion limit)."""
    done: set[str] = set()
    for start in edges:
        if start in done:
            continue
        path: list[str] = [start]
        on_path = {start}
        stack = [iter(edges.get(start, []))]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                stack.pop()
                done.add(path[-1])
                on_path.discard(path.pop())
                continue
            dependency, loc = step
            if dependency in on_path:
                cycle = [*path[path.index(dependency) :], dependency]
                yield reader.problem(
                    loc, f"depends_on makes a cycle: {' -> '.join(cycle)}; remove one of them"
                )
            elif dependency not in done:
                path.append(dependency)
                on_path.add(dependency)
                stack.append(iter(edges.get(dependency, [])))
