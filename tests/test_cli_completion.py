"""Shell completion, as the documented `_E2ECHECK_COMPLETE` hook runs it: commands,
options, and the check names of --only (and tags of --tag) read from the file."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from e2echeck.cli import main

CHECKS = """\
version: 1
checks:
  - name: api-health
    url: https://a.test/
    tags: [api, smoke]
  - name: api-orders
    url: https://a.test/orders
    tags: [api]
  - name: "site"
    url: https://b.test/
  - name: retired
    enabled: false
    url: https://c.test/
    tags: [old]
"""


def _complete(words: str, tmp_path: Path, shell: str = "bash") -> list[str]:
    """What the shell gets for the last word of `words` (bash: one value a line)."""
    parts = words.split(" ")
    result = CliRunner().invoke(
        main,
        [],
        prog_name="e2echeck",
        env={
            "_E2ECHECK_COMPLETE": f"{shell}_complete",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(parts) - 1),
            "E2ECHECK_CONFIG": str(tmp_path / "checks.yaml"),
        },
    )
    assert result.exit_code == 0, result.output
    return [line.split(",", 1)[1] for line in result.stdout.splitlines() if line]


def test_only_completes_the_check_names_of_the_file(tmp_path: Path) -> None:
    config = tmp_path / "checks.yaml"
    config.write_text(CHECKS, encoding="utf-8")
    assert _complete(f"e2echeck run {config} --only api", tmp_path) == [
        "api-health",
        "api-orders",
    ]
    # Without CONFIG: the default file ($E2ECHECK_CONFIG here); disabled checks are not offered.
    assert _complete("e2echeck run --only ", tmp_path) == ["api-health", "api-orders", "site"]
    assert _complete("e2echeck run --tag ", tmp_path) == ["api", "smoke"]


def test_completion_never_fails(tmp_path: Path) -> None:
    assert _complete("e2echeck run --only a", tmp_path) == []  # no file
    (tmp_path / "checks.yaml").write_text("checks: [unclosed", encoding="utf-8")
    assert _complete("e2echeck run --only a", tmp_path) == []


def test_commands_and_options_complete(tmp_path: Path) -> None:
    assert {"init", "run", "validate", "silence"} <= set(_complete("e2echeck ", tmp_path))
    assert "--env-file" in _complete("e2echeck run --e", tmp_path)


def test_the_documented_activation_scripts_are_generated() -> None:
    for shell, marker in (
        ("bash", "complete -o nosort -F"),
        ("zsh", "compdef"),
        ("fish", "complete"),
    ):
        result = CliRunner().invoke(
            main, [], prog_name="e2echeck", env={"_E2ECHECK_COMPLETE": f"{shell}_source"}
        )
        assert result.exit_code == 0 and marker in result.stdout, shell
    docs = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")
    for shell in ("bash", "zsh", "fish"):
        assert f"_E2ECHECK_COMPLETE={shell}_source e2echeck" in docs


def test_completion_loads_no_models(tmp_path: Path) -> None:
    """Every TAB is a fresh process: the check names are read as plain YAML, and
    neither the config's models (pydantic) nor the engine are imported."""
    import os
    import subprocess
    import sys

    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "checks.yaml").write_text(CHECKS, encoding="utf-8")
    probe = (
        "import sys\n"
        "from e2echeck.cli import main\n"
        "try:\n"
        "    main([], prog_name='e2echeck')\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic'"
        " or m.startswith(('e2echeck.config.', 'e2echeck.engine')))\n"
        "print('LOADED', loaded)\n"
    )
    env = {
        **os.environ,
        "_E2ECHECK_COMPLETE": "bash_complete",
        "COMP_WORDS": f"e2echeck run {suite} --only api",
        "COMP_CWORD": "4",
    }
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "plain,api-health" in done.stdout and "plain,api-orders" in done.stdout
    assert "LOADED []" in done.stdout, done.stdout
