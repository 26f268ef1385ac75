"""The loader's API: load_config / check_config, Problem, positions and paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2echeck.config import ConfigError, Problem, check_config, load_config, load_config_text
from e2echeck.config.loader import default_config_path, format_path
from tests.config.helpers import EXAMPLE, check_text
from tests.support.configs import one_check


def test_the_example_loads_with_every_feature() -> None:
    config = load_config(EXAMPLE, env={"PAGERDUTY_ROUTING_KEY": "R" * 32})
    assert config.source == str(EXAMPLE)
    names = [c.name for c in config.checks]
    assert len(names) == len(set(names)) >= 5
    assert any(c.steps for c in config.checks)
    assert any(not c.enabled for c in config.checks)
    assert any(c.is_control for c in config.checks)
    assert config.pagerduty is not None and config.pagerduty.routing_key == "R" * 32
    assert "R" * 32 in config.secrets
    assert config.state is not None


def test_load_config_raises_with_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text(
        "version: 1\nchecks:\n  - name: a\n    url: nope\n    retries: x\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    problems = caught.value.problems
    assert [(p.line, p.column, p.path) for p in problems] == [
        (4, 10, "checks[0].url"),
        (5, 14, "checks[0].retries"),
    ]
    assert str(caught.value).splitlines()[0].startswith(f"{path}:4:10: checks[0].url: ")


def test_check_config_never_raises_for_a_missing_file(tmp_path: Path) -> None:
    result = check_config(tmp_path / "missing.yaml")
    assert result.config is None and result.errors[0].message == "file not found"


def test_problem_rendering() -> None:
    problem = Problem("c.yaml", 3, 7, "checks[0].url", "expected\n  a URL")
    assert problem.message == "expected a URL"
    assert str(problem) == "c.yaml:3:7: checks[0].url: expected a URL"
    warning = Problem("c.yaml", 1, 1, "", "careful", severity="warning")
    assert str(warning) == "c.yaml:1:1: warning: careful"
    assert warning.as_dict()["severity"] == "warning"


@pytest.mark.parametrize(
    ("loc", "text"),
    [
        (("checks", 2, "expect", "status"), "checks[2].expect.status"),
        (("checks", 0, "expect", "json", "$.a"), 'checks[0].expect.json["$.a"]'),
        (("checks", 0, "headers", "X-Api-Key"), "checks[0].headers.X-Api-Key"),
        ((), ""),
    ],
)
def test_format_path(loc: tuple[str | int, ...], text: str) -> None:
    assert format_path(loc) == text


def test_default_config_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("E2ECHECK_CONFIG", raising=False)
    assert default_config_path() == Path("checks.yaml")
    monkeypatch.setenv("E2ECHECK_CONFIG", "/etc/e2e.yaml")
    assert default_config_path() == Path("/etc/e2e.yaml")


def test_problems_are_sorted_by_position() -> None:
    result = check_text(
        "checks:\n  - name: a\n    url: x\n    retries: y\n    zzz: 1\nversion: 1\n"
    )
    positions = [(p.line, p.column) for p in result.problems]
    assert positions == sorted(positions) and len(positions) == 3


def test_warnings_do_not_make_a_file_invalid() -> None:
    result = check_text(one_check("name: a\nurl: https://x.test/\nbody: '${NOT_SET_HERE}'"))
    assert result.config is not None
    assert [p.severity for p in result.problems] == ["warning"]
    assert result.warnings and not result.errors


def test_the_config_is_immutable() -> None:
    config = load_config_text(one_check("name: a\nurl: https://x.test/"))
    with pytest.raises(ValueError):
        config.checks[0].name = "b"  # type: ignore[misc]
