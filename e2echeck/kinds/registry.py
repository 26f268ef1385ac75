"""The registry of check kinds: the one place that lists them.

A check's kind follows from its URL's scheme (a scenario: its first step's).
Each kind is a package imported by its module path only when a check of the
run uses it, so its libraries (httpx2 for HTTP) load only then. Validation
reads only the schemes listed here and imports no kind.

Adding a kind is one new folder under e2echeck/kinds/ and one line in KINDS.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from e2echeck.kinds.base import Kind


@dataclass(frozen=True, slots=True)
class KindEntry:
    """A kind's name, its URL schemes and the module whose `KIND` implements it."""

    name: str
    schemes: tuple[str, ...]
    module: str


KINDS: tuple[KindEntry, ...] = (KindEntry("http", ("http", "https"), "e2echeck.kinds.http"),)

KIND_OF_SCHEME: dict[str, KindEntry] = {
    scheme: entry for entry in KINDS for scheme in entry.schemes
}
SCHEMES: tuple[str, ...] = tuple(KIND_OF_SCHEME)

_loaded: dict[str, Kind[Any]] = {}


def scheme_of(url: str) -> str:
    """The URL's scheme, lower-cased ('' when it has none)."""
    scheme, colon, _ = url.partition(":")
    return scheme.lower() if colon else ""


def describe_schemes() -> str:
    """The known schemes for a message: 'http:// or https://'."""
    shown = [f"{scheme}://" for scheme in SCHEMES]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def entry_for_url(url: str) -> KindEntry:
    """The registry entry of the kind that checks `url`; ValueError naming
    the known schemes when none does (the config rejects such URLs first)."""
    found = KIND_OF_SCHEME.get(scheme_of(url))
    if found is None:
        raise ValueError(f"no check kind for {url!r}: expected {describe_schemes()}")
    return found


def load_kind(entry: KindEntry) -> Kind[Any]:
    """The kind itself, its module imported on first use."""
    kind = _loaded.get(entry.name)
    if kind is None:
        kind = _loaded[entry.name] = importlib.import_module(entry.module).KIND
    return kind


def kind_for_url(url: str) -> Kind[Any]:
    """The kind that checks `url`, imported on first use."""
    return load_kind(entry_for_url(url))
