"""Check kinds by URL scheme, each imported on first use.

The kinds themselves are listed once, in e2echeck.config.kinds (names,
schemes, module paths: data the config validates URLs with); this module
turns an entry into the kind, importing its package only then.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from e2echeck.config.kinds import KIND_OF_SCHEME as KIND_OF_SCHEME
from e2echeck.config.kinds import KINDS as KINDS
from e2echeck.config.kinds import SCHEMES as SCHEMES
from e2echeck.config.kinds import KindEntry as KindEntry
from e2echeck.config.kinds import entry_for_url as entry_for_url

if TYPE_CHECKING:
    from e2echeck.kinds.base import Kind

_loaded: dict[str, Kind[Any]] = {}


def load_kind(entry: KindEntry) -> Kind[Any]:
    """The kind itself, its module imported on first use."""
    kind = _loaded.get(entry.name)
    if kind is None:
        kind = _loaded[entry.name] = importlib.import_module(entry.module).KIND
    return kind


def kind_for_url(url: str) -> Kind[Any]:
    """The kind that checks `url`, imported on first use."""
    return load_kind(entry_for_url(url))
