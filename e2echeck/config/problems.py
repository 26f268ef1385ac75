"""What is wrong with a checks.yaml, placed in the file: `Problem` and its paths."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

from e2echeck.errors import ConfigError

#: Where a value sits in the document: ("checks", 2, "expect", "status").
Loc = tuple[str | int, ...]
Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One error or warning, placed in the file."""

    file: str
    line: int
    column: int
    path: str
    message: str
    severity: Severity = "error"

    def __post_init__(self) -> None:
        # One line per problem, whatever the YAML library or the value says.
        object.__setattr__(self, "message", " ".join(self.message.split()))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        field_path = f" {self.path}:" if self.path else ""
        label = "warning: " if self.severity == "warning" else ""
        return f"{where}:{field_path} {label}{self.message}"

    def as_dict(self) -> dict[str, str | int]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
            "severity": self.severity,
        }


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
