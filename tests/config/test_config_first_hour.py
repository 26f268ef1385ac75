"""What a new user's first files run into: a zero timeout, `x-` anchors, a
missing file, a large generated suite."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from e2echeck.config import check_config, check_config_text
from e2echeck.config.loader import MAX_FILE_BYTES
from tests.config.test_config_schema_agreement import VALIDATOR
from tests.support.cli import run_cli


@pytest.mark.parametrize("value", ["0s", "0", "0ms", "0.0m", 0, -1])
@pytest.mark.parametrize("where", ["defaults", "check"])
def test_a_timeout_must_be_positive(value: object, where: str) -> None:
    shown = repr(value) if isinstance(value, str) else value
    if where == "defaults":
        text = f"version: 1\ndefaults: {{timeout: {shown}}}\nchecks:\n  - {{name: a, url: 'https://a.test/'}}\n"
        expected_path = "defaults.timeout"
    else:
        text = f"version: 1\nchecks:\n  - {{name: a, url: 'https://a.test/', timeout: {shown}}}\n"
        expected_path = "checks[0].timeout"
    result = check_config_text(text, "t.yaml")
    assert result.config is None
    (problem,) = result.errors
    assert problem.path == expected_path and problem.line > 0
    assert "longer than 0" in problem.message or "0 or more" in problem.message


def test_a_short_timeout_is_fine() -> None:
    text = "version: 1\nchecks:\n  - {name: a, url: 'https://a.test/', timeout: 1ms}\n"
    assert check_config_text(text, "t.yaml").config is not None


TOP_LEVEL_X = """\
version: 1
x-fast: &fast {timeout: 2s, retries: 1}
x-api: &api
  url: https://api.test/health
  expect: {status: 200}
checks:
  - name: a
    <<: [*fast, *api]
  - name: b
    <<: *api
    timeout: 3s
"""


def test_top_level_x_keys_are_allowed_and_ignored() -> None:
    result = check_config_text(TOP_LEVEL_X, "x.yaml")
    assert result.config is not None, [str(p) for p in result.problems]
    assert result.problems == []
    a, b = result.config.checks
    assert (a.timeout, a.retries, a.url) == (2.0, 1, "https://api.test/health")
    assert (b.timeout, b.url) == (3.0, "https://api.test/health")
    import yaml

    assert not list(VALIDATOR.iter_errors(yaml.safe_load(TOP_LEVEL_X)))


def test_x_keys_elsewhere_are_still_unknown() -> None:
    text = "version: 1\nchecks:\n  - {name: a, url: 'https://a.test/', x-note: hi}\n"
    (problem,) = check_config_text(text, "x.yaml").errors
    assert "unknown key 'x-note'" in problem.message


def test_a_missing_file_is_one_line_without_a_position(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for command in (["validate"], ["run", "--no-alert"], ["validate", "--format", "github"]):
        result = run_cli(*command, "nope.yaml")
        assert result.exit_code == 2
        expected = (
            "::error file=nope.yaml,title=e2echeck::file not found"
            if "github" in command
            else "nope.yaml: file not found"
        )
        assert result.output.splitlines() == [expected], command
    (problem,) = check_config(tmp_path / "nope.yaml").problems
    assert (problem.line, problem.column, problem.message) == (0, 0, "file not found")


def suite(count: int) -> str:
    """A generated suite: `count` checks of several lines each, as generators write them."""
    lines = ["version: 1", "defaults: {timeout: 5s, retries: 1}", "checks:"]
    for i in range(count):
        lines += [
            f"  - name: service-{i:05d}-health",
            f"    url: https://s{i % 97}.example.com/api/v1/health/{i}",
            f"    tags: [team-{i % 13}, tier-{i % 3}]",
            "    expect:",
            "      status: 200",
            "      json: {$.status: UP}",
            "      max_response_time: 800ms",
        ]
    return "\n".join(lines) + "\n"


@pytest.mark.slow
def test_twenty_thousand_checks_fit_in_one_file(tmp_path: Path) -> None:
    text = suite(20_000)
    assert len(text.encode()) <= MAX_FILE_BYTES
    path = tmp_path / "checks.yaml"
    path.write_text(text, encoding="utf-8")
    started = time.process_time()
    result = check_config(path)
    assert result.config is not None, result.problems[:3]
    assert len(result.config.checks) == 20_000
    print(f"20,000 checks validated in {time.process_time() - started:.2f} s")


def test_the_size_cap_still_holds(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"version: 1\n" + b"#" * MAX_FILE_BYTES)
    result = run_cli("validate", str(path))
    assert result.exit_code == 2
    assert result.output == f"{path}: the file is larger than 8 MiB\n"
