"""JSONPath compilation shared by the config checks and the engine.

python-jsonpath is imported here, lazily, so that commands that never read a
JSONPath do not pay for it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonpath import CompoundJSONPath, JSONPath


@lru_cache(maxsize=4096)
def compile_jsonpath(path: str) -> JSONPath | CompoundJSONPath:
    """A compiled JSONPath; ValueError with the library's words when it is invalid."""
    import jsonpath

    try:
        return jsonpath.compile(path)
    except jsonpath.JSONPathError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else "syntax error"
        raise ValueError(f"invalid JSONPath {path!r}: {first_line}") from None


def find_all(path: str, document: Any) -> list[object]:
    """Every value that `path` selects in `document` (an empty list when none)."""
    return list(compile_jsonpath(path).findall(document))
