"""The keys the models accept at a place of the document, for "did you mean".

Read from the models' own fields and aliases, following the document's path
through lists, mappings, optional values and unions: a new section or field
gets its suggestions without anything to keep in step by hand.
"""

from __future__ import annotations

import types
from functools import lru_cache
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from e2echeck.config.problems import Loc


def known_keys(loc: Loc) -> list[str]:
    """The keys of the mappings the models accept at `loc` (a document path)."""
    from e2echeck.config.models import Config

    candidates: tuple[Any, ...] = (Config,)
    for part in loc:
        candidates = tuple(child for kind in candidates for child in _children(kind, part))
        if not candidates:
            return []
    keys: dict[str, None] = {}
    for kind in candidates:
        for alternative in _alternatives(kind):
            if isinstance(alternative, type) and issubclass(alternative, BaseModel):
                keys.update(dict.fromkeys(_model_keys(alternative)))
    return list(keys)


@lru_cache(maxsize=64)
def _model_keys(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(info.alias or name for name, info in model.model_fields.items())


def _alternatives(kind: Any) -> list[Any]:
    """`kind` without Annotated and None, a union split into its members."""
    origin = get_origin(kind)
    if origin is Annotated:
        return _alternatives(get_args(kind)[0])
    if origin is Union or origin is types.UnionType:
        return [alt for arg in get_args(kind) for alt in _alternatives(arg)]
    if kind is type(None):
        return []
    return [kind]


def _children(kind: Any, part: str | int) -> list[Any]:
    """The types at `part` inside a value of type `kind`."""
    found: list[Any] = []
    for alternative in _alternatives(kind):
        origin = get_origin(alternative)
        args = get_args(alternative)
        if isinstance(alternative, type) and issubclass(alternative, BaseModel):
            if isinstance(part, str):
                found.extend(
                    info.annotation
                    for name, info in alternative.model_fields.items()
                    if part in (name, info.alias)
                )
        elif origin in (list, tuple) and isinstance(part, int) and args:
            found.append(args[0])
        elif origin is dict and isinstance(part, str) and len(args) == 2:
            found.append(args[1])
    return found
