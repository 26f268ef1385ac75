"""What is wrong with a checks.yaml, placed in the file: `Problem` (defined with
the errors, which carry it) and its paths."""

from __future__ import annotations

import json
import re

from e2echeck.errors import ConfigError, Problem

#: Where a value sits in the document: ("checks", 2, "expect", "status").
Loc = tuple[str | int, ...]


class ReadError(Exception):
    """The file cannot be read as YAML at all: the one problem that stops reading."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


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


__all__ = ["ConfigError", "Loc", "Problem", "ReadError", "format_path"]
