"""The `locations` section: defaults, and its errors placed in the file, through
the real CLI (exit 2, file:line:column, no traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.configs import dedent, load_config

CHECK = "checks:\n  - name: a\n    url: https://a.example/\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "checks.yaml"
    path.write_text(dedent(text) + CHECK, encoding="utf-8")
    return path


def test_defaults_a_majority_and_fifteen_minutes() -> None:
    config = load_config(
        {
            "version": 1,
            "state": {"path": "s3://ops/state.json"},
            "locations": {"expected": ["a", "b", "c", "d"]},
            "checks": [{"name": "x", "url": "https://x.example/"}],
        }
    )
    assert config.locations is not None
    assert config.locations.effective_quorum == 3
    assert config.locations.max_age == 900.0


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            """
            version: 1
            state: {path: state.json}
            locations:
              expected: [a, b, c]
              quorum: 4
            """,
            ":5:11: locations.quorum:",
            "quorum 4 is out of range: between 1 and 3",
        ),
        (
            """
            version: 1
            state: {path: state.json}
            locations:
              expected: [a, b]
              quorum: "0"
            """,
            ":5:11: locations.quorum:",
            "expected 1 or more",
        ),
        (
            """
            version: 1
            locations:
              expected: [a, b, c]
            """,
            ":2:1: locations:",
            "locations need a shared state",
        ),
        (
            """
            version: 1
            state: {path: state.json}
            locations:
              expected: [a, b, a]
            """,
            ":4:20: locations.expected[2]:",
            "duplicate location 'a'",
        ),
        (
            """
            version: 1
            state: {path: state.json}
            locations:
              expected: []
            """,
            ":4:13: locations.expected:",
            "at least 1",
        ),
        (
            """
            version: 1
            state: {path: state.json}
            locations:
              expected: [a]
              max_age: 10 minutes
            """,
            ":5:12: locations.max_age:",
            "duration",
        ),
    ],
)
def test_location_errors_are_placed(tmp_path: Path, text: str, where: str, message: str) -> None:
    path = write(tmp_path, text)
    result = run_cli("validate", str(path))
    assert result.exit_code == 2, result.output
    assert f"{path}{where}" in result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert "invalid (1 error)" in result.output  # one mistake, one message
    run = run_cli("run", str(path), "--no-alert", "--location", "a")
    assert run.exit_code == 2, run.output
