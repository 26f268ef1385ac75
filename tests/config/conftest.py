"""Fixtures for the checks.yaml tests: write a file, run `e2echeck validate`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.config.helpers import Outcome
from tests.support.cli import run_cli
from tests.support.configs import dedent


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """write(text, name="checks.yaml") -> path; bytes are written as they are."""

    def _write(text: str | bytes, name: str = "checks.yaml") -> Path:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(dedent(text), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def validate(write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Outcome]:
    """validate(text, *options, env={...}) runs the real CLI with --format json, and
    once more in text format to check that every problem names file:line:col."""

    def _validate(text: str | bytes, *options: str, env: dict[str, str] | None = None) -> Outcome:
        for name in ("PAGERDUTY_ROUTING_KEY", "API_TOKEN", "BASE_URL", "E2ECHECK_CONFIG"):
            monkeypatch.delenv(name, raising=False)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        path = write(text)
        result = run_cli("validate", str(path), "--format", "json", *options)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        data = json.loads(result.stdout)
        (report,) = data["files"]
        text_run = run_cli("validate", str(path), *options)
        assert text_run.exit_code == result.exit_code
        assert "Traceback" not in text_run.output
        for problem in report["problems"]:
            where = f"{path}:{problem['line']}:{problem['column']}:"
            assert where in text_run.output, text_run.output
            if problem["path"]:
                assert f" {problem['path']}:" in text_run.output
        return Outcome(result.exit_code, text_run.output, report["problems"])

    return _validate
