"""Helpers for the checks.yaml tests (a unique module name: tests/ has no packages)."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from e2echeck.config import LoadResult, check_config_text

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "checks.yaml"

HEADER = "version: 1\nchecks:\n"


@dataclass
class Outcome:
    """What `e2echeck validate` did: exit code, output, and the parsed problems."""

    exit_code: int
    output: str
    problems: list[dict[str, Any]]

    def errors(self) -> list[dict[str, Any]]:
        return [p for p in self.problems if p["severity"] == "error"]

    def warnings(self) -> list[dict[str, Any]]:
        return [p for p in self.problems if p["severity"] == "warning"]

    def only_error(self) -> dict[str, Any]:
        errors = self.errors()
        assert len(errors) == 1, errors
        return errors[0]

    def error_at(self, path: str) -> dict[str, Any]:
        found = [p for p in self.errors() if p["path"] == path]
        assert found, f"no error at {path}: {self.errors()}"
        return found[0]


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def check_text(text: str | bytes, env: dict[str, str] | None = None, **kwargs: Any) -> LoadResult:
    return check_config_text(text, "checks.yaml", env={} if env is None else env, **kwargs)


def one_check(body: str) -> str:
    """A file with one check whose keys are `body` (indented under `- `)."""
    lines = dedent(body).splitlines()
    first, rest = lines[0], lines[1:]
    return HEADER + f"  - {first}\n" + "".join(f"    {line}\n" for line in rest)
