"""PyYAML loaders that refuse what would exhaust the reader: deep nesting, and
(with the reader's counters) too many values. One pure-Python, one over libyaml."""

from __future__ import annotations

import re
from typing import Any, cast

import yaml

# 20,000 checks of up to 50 values each.
MAX_NODES = 1_000_000
# Values reached again through an alias: generous for anchors of shared settings,
# small enough that a "billion laughs" document fails in well under a second.
MAX_ALIAS_VALUES = 100_000
MAX_DEPTH = 64

# The tag of a plain scalar depends on its text alone (the safe loaders have no
# path resolvers), and trying the implicit resolvers' regexes on every key of a
# large file was a fifth of its reading: recent answers are remembered here.
_PLAIN_SCALAR_TAGS: dict[str, str] = {}

# Text where libyaml and PyYAML may disagree (found by fuzzing both): libyaml
# accepts some tabs PyYAML refuses (`key: value<TAB>`), a comment glued to a
# block scalar's indicator (`>#`), a BOM or line separator inside the text,
# reads a bare `!` tag as a string rather than null, and takes some `?` as text
# where PyYAML sees a key indicator (`{1?1}`): only the `?` of a URL's query
# (`/path?name=value`) is left to libyaml. Such a file is read by PyYAML alone,
# whose verdict stands as it did before libyaml was used.
LIBYAML_DIFFERS = re.compile("[\t!\ufeff\u2028\u2029\x85]|[|>][-+0-9]*#|\\?(?![\\w.%~-]+=)")


class DepthLimitedLoader(yaml.SafeLoader):
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


FastDepthLimitedLoader: Any = None
if getattr(yaml, "__with_libyaml__", False):
    from yaml._yaml import CParser

    class FastDepthLimitedLoader(  # type: ignore[no-redef]
        yaml.composer.Composer,
        CParser,
        yaml.constructor.SafeConstructor,
        yaml.resolver.Resolver,
    ):
        """The same composition as `DepthLimitedLoader` (Python, depth-limited),
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

        compose_node = DepthLimitedLoader.compose_node
        resolve = DepthLimitedLoader.resolve


def libyaml_may_differ(text: str) -> bool:
    """True when libyaml is missing, or might read `text` otherwise than PyYAML."""
    return FastDepthLimitedLoader is None or LIBYAML_DIFFERS.search(text) is not None
