"""`e2echeck validate`: formats, several files, exit codes, and a light start-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import run_cli

REPO = Path(__file__).resolve().parents[1]
GOOD = "version: 1\nchecks:\n  - name: a\n    url: https://x.test/\n"
BAD = (
    "version: 1\nchecks:\n  - name: a\n    url: https://x.test/\n    timeout: soon\n"
    "  - name: b\n    url: https://y.test/\n    expect: {staus: 200}\n"
)
WARN = GOOD + "    headers: {Authorization: 'Bearer ${E2E_TEST_UNSET_TOKEN}'}\n"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {}
    for name, text in (("good", GOOD), ("bad", BAD), ("warn", WARN)):
        paths[name] = tmp_path / f"{name}.yaml"
        paths[name].write_text(text, encoding="utf-8")
    return paths


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = run_cli("validate", *args, env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.output


def test_the_example_validates() -> None:
    code, output = invoke(str(REPO / "checks.yaml"))
    assert code == 0, output
    assert "checks.yaml: valid (" in output


def test_text_format_reports_every_error(files: dict[str, Path]) -> None:
    code, output = invoke(str(files["bad"]))
    assert code == 2
    bad = files["bad"]
    assert f"{bad}:5:14: checks[0].timeout: expected a duration" in output
    assert f"{bad}:8:14: checks[1].expect.staus: unknown key 'staus'; did you mean \"status\"?" in (
        output
    )
    assert f"{bad}: invalid (2 errors)" in output


def test_several_files_at_once(files: dict[str, Path]) -> None:
    code, output = invoke(str(files["good"]), str(files["bad"]), str(files["good"]))
    assert code == 2
    assert output.count(f"{files['good']}: valid (1 check)") == 1  # named twice, read once
    assert f"{files['bad']}: invalid (2 errors)" in output
    assert invoke("--each", str(files["good"]), str(files["warn"]))[0] == 0  # names shared


def test_json_format(files: dict[str, Path]) -> None:
    code, output = invoke(str(files["good"]), str(files["bad"]), "--format", "json")
    assert code == 2
    report = json.loads(output)
    good, bad = report["files"]
    assert good == {
        "file": str(files["good"]),
        "valid": True,
        "checks": 1,
        "errors": 0,
        "warnings": 0,
        "problems": [],
        "secret_references": [],
    }
    assert bad["valid"] is False and bad["errors"] == 2
    assert bad["problems"][0] == {
        "file": str(files["bad"]),
        "line": 5,
        "column": 14,
        "path": "checks[0].timeout",
        "message": 'expected a duration such as "250ms", "10s" or "1m"; got \'soon\'',
        "severity": "error",
    }


def test_github_format(files: dict[str, Path]) -> None:
    code, output = invoke(str(files["bad"]), str(files["warn"]), "--format", "github")
    assert code == 2
    lines = output.splitlines()
    assert lines[0] == (
        f"::error file={files['bad']},line=5,col=14,title=e2echeck::checks[0].timeout: "
        'expected a duration such as "250ms", "10s" or "1m"; got \'soon\''
    )
    assert lines[1].startswith(f"::error file={files['bad']},line=8,col=14,")
    assert lines[2].startswith(f"::warning file={files['warn']},line=5,col=")
    assert "E2E_TEST_UNSET_TOKEN" in lines[2]


def test_github_format_escapes(tmp_path: Path) -> None:
    path = tmp_path / "a,b:c.yaml"
    path.write_text("version: 1\nchecks: 100%\n", encoding="utf-8")
    code, output = invoke(str(path), "--format", "github")
    assert code == 2
    assert "file=" + str(path).replace(":", "%3A").replace(",", "%2C") + "," in output
    assert "got '100%25'" in output


def test_strict_env(files: dict[str, Path]) -> None:
    assert invoke(str(files["warn"]))[0] == 0
    code, output = invoke(str(files["warn"]), "--strict-env")
    assert code == 2
    assert f"{files['warn']}:5:" in output and "E2E_TEST_UNSET_TOKEN is not set" in output
    env = {"E2E_TEST_UNSET_TOKEN": "t0ken-value"}
    assert invoke(str(files["warn"]), "--strict-env", env=env)[0] == 0


def test_default_config_path(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = invoke(env={"E2ECHECK_CONFIG": str(files["bad"])})
    assert code == 2 and str(files["bad"]) in output
    (tmp_path / "isolated").mkdir()
    monkeypatch.chdir(tmp_path / "isolated")
    Path("checks.yaml").write_text(GOOD, encoding="utf-8")
    result = run_cli("validate", env={"E2ECHECK_CONFIG": ""})
    assert result.exit_code == 0 and "checks.yaml: valid" in result.output
    Path("checks.yaml").unlink()
    result = run_cli("validate", env={"E2ECHECK_CONFIG": ""})
    assert result.exit_code == 2 and result.output == "checks.yaml: file not found\n"


def test_usage_errors_exit_2(files: dict[str, Path]) -> None:
    assert invoke(str(files["good"]), "--format", "xml")[0] == 2
    assert invoke("--nope")[0] == 2


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
        check=False,
    )


HEAVY = ("httpx2", "httpx", "pagerduty", "boto3", "botocore")
ENGINE = ("e2echeck.engine", "e2echeck.runner", "e2echeck.alerting")
PROBE = """
import sys
from e2echeck.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r} or m in {engine!r})
print("HEAVY", heavy, "CODE", code)
"""


@pytest.mark.parametrize(
    "args", [["--version"], ["validate", "checks.yaml"], ["validate", "nope.yaml"], ["schema"]]
)
def test_start_up_stays_light(args: list[str]) -> None:
    done = _python(PROBE.format(heavy=set(HEAVY), engine=set(ENGINE)), *args)
    assert done.returncode == 0, done.stderr
    assert "HEAVY [] CODE" in done.stdout, done.stdout[-500:]


def test_version_and_python_dash_m() -> None:
    from e2echeck import __version__

    done = subprocess.run(
        [sys.executable, "-m", "e2echeck", "--version"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.strip() == f"e2echeck {__version__}"
    broken = subprocess.run(
        [sys.executable, "-m", "e2echeck", "validate", "-"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert broken.returncode == 2 and "Traceback" not in broken.stdout + broken.stderr


def test_pre_commit_hook_definition() -> None:
    import yaml

    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = [h for h in hooks if h["id"] == "e2echeck-validate"]
    # Each file on its own: a repository's staging and production files may share names.
    assert hook["entry"] == "e2echeck validate --each"
    assert hook["language"] == "python"
    import re

    pattern = re.compile(hook["files"])
    for name in ("checks.yaml", "checks.yml", "ops/checks-prod.yaml", "checks.staging.yml"):
        assert pattern.search(name), name
    for name in ("other.yaml", "checks.json", "mychecks.yaml"):
        assert not pattern.search(name), name
