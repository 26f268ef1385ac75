"""What the checks.yaml tests share: the example file, `e2echeck validate`'s outcome,
and loading text the way the CLI does (the YAML text builders are in tests/support)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from e2echeck.config import LoadResult, check_config_text

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "checks.yaml"


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


def check_text(text: str | bytes, env: dict[str, str] | None = None, **kwargs: Any) -> LoadResult:
    return check_config_text(text, "checks.yaml", env={} if env is None else env, **kwargs)
