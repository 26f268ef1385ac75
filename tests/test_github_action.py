"""action.yml: a composite action whose inputs, steps and scripts agree, whose
requirement step builds a valid requirement from its inputs, and whose e2echeck
step, run here with bash as GitHub runs it (against a real local server), sets
the outputs, writes the job summary and annotates problems and failed checks."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement

from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import TestServer

ROOT = Path(__file__).resolve().parents[1]
ACTION = ROOT / "action.yml"
EXPRESSION = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


def _action() -> dict[str, Any]:
    document = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _expressions(value: Any) -> list[str]:
    if isinstance(value, str):
        return EXPRESSION.findall(value)
    if isinstance(value, dict):
        return [e for v in value.values() for e in _expressions(v)]
    if isinstance(value, list):
        return [e for v in value for e in _expressions(v)]
    return []


def test_inputs_outputs_and_steps_are_coherent() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert {"command", "config", "args", "python-version", "package", "extras"} <= set(inputs)
    for name, spec in inputs.items():
        assert spec.get("description"), name
        assert "default" in spec or spec.get("required"), name
    assert inputs["command"]["default"] == "validate"

    steps = action["runs"]["steps"]
    ids = [step.get("id") for step in steps]
    used = set()
    for expression in _expressions(steps):
        context, _, name = expression.partition(".")
        assert context in ("inputs", "github", "runner", "steps"), expression
        if context == "inputs":
            assert name in inputs, f"step uses an undeclared input: {expression}"
            used.add(name)
        if context == "steps":
            assert name.partition(".")[0] in ids, expression
    assert used == set(inputs), f"inputs no step uses: {set(inputs) - used}"
    for step in steps:
        assert ("uses" in step) != ("run" in step), step
        if "run" in step:
            assert step["shell"] == "bash"
            # Inputs reach scripts through env only (no expression injection).
            assert not EXPRESSION.search(step["run"]), step["name"]
    script = next(s for s in steps if s.get("id") == "e2echeck")["run"]
    assert "e2echeck validate --format github" in script and "e2echeck run" in script

    outputs = action["outputs"]
    assert set(outputs) == {
        "exit-code", "total", "passed", "failed", "unknown", "skipped", "json-report",
        "junit-report",
    }  # fmt: skip
    for name, spec in outputs.items():
        assert spec["description"], name
        assert spec["value"] == f"${{{{ steps.e2echeck.outputs.{name} }}}}"


def test_the_callers_python_is_left_alone_and_pip_is_cached() -> None:
    steps = _action()["runs"]["steps"]
    setup = steps[0]
    assert setup["uses"].startswith("actions/setup-python@")
    assert setup["with"]["update-environment"] is False
    install = next(s for s in steps if s.get("id") == "install")
    assert install["env"]["E2ECHECK_SETUP_PYTHON"] == "${{ steps.python.outputs.python-path }}"
    assert '-m venv "$venv"' in install["run"]
    cache = next(s for s in steps if str(s.get("uses", "")).startswith("actions/cache@"))
    assert steps.index(cache) < steps.index(install)
    assert cache["with"]["path"] == "~/.cache/e2echeck-pip"
    assert 'PIP_CACHE_DIR="$HOME/.cache/e2echeck-pip"' in install["run"]
    assert "${{ steps.requirement.outputs.requirement }}" in cache["with"]["key"]


def _bash() -> str:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    return bash


def _run_step(
    inputs: dict[str, str], workdir: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], dict[str, str], str]:
    """The e2echeck step's script, with its env rendered from `inputs`, run by bash
    the way GitHub runs a `shell: bash` step; with the step's outputs and summary."""
    bash = _bash()
    action = _action()
    defaults = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    values = {
        **{f"inputs.{k}": v for k, v in {**defaults, **inputs}.items()},
        "steps.install.outputs.python": sys.executable,
        "github.action_path": str(ROOT),
        "github.server_url": "https://github.com",
        "github.repository": "o/r",
        "github.run_id": "7",
    }
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "e2echeck")
    environment = {**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)}
    for name, value in step["env"].items():
        environment[name] = EXPRESSION.sub(lambda m: values[m.group(1)], value)
    outputs, summary = workdir / "github_output", workdir / "step_summary"
    outputs.write_text(""), summary.write_text("")
    environment.update(
        GITHUB_OUTPUT=str(outputs), GITHUB_STEP_SUMMARY=str(summary), RUNNER_TEMP=str(workdir)
    )
    script = workdir / "step.sh"
    script.write_text(step["run"])
    completed = subprocess.run(
        [bash, "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=workdir,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    pairs = [line.split("=", 1) for line in outputs.read_text().splitlines()]
    return completed, {k: v for k, v in pairs}, summary.read_text()


def test_validate_step_annotates_problems(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(
        "version: 1\nchecks:\n  - name: a\n    url: http://127.0.0.1:9/\n"
    )
    (tmp_path / "bad.yaml").write_text(
        "version: 1\nchecks:\n  - name: a\n    url: http://127.0.0.1:9/\n    timout: 3s\n"
    )
    good, outputs, _ = _run_step({"config": "good.yaml"}, tmp_path)
    assert good.returncode == 0, good.stdout + good.stderr
    assert outputs == {"exit-code": "0"}

    bad, outputs, _ = _run_step({"config": "good.yaml bad.yaml", "args": "--strict-env"}, tmp_path)
    assert bad.returncode == 2
    assert "::error file=bad.yaml,line=5,col=5,title=e2echeck::" in bad.stdout
    assert outputs == {"exit-code": "2"}


def test_run_step_sets_outputs_summary_and_annotations(
    tmp_path: Path, http_server: TestServer
) -> None:
    (tmp_path / "checks.yaml").write_text(
        "version: 1\n"
        "defaults: {retries: 0}\n"
        "checks:\n"
        "  - name: up\n"
        f"    url: {http_server.url('/status/200')}\n"
        "  - name: down\n"
        f"    url: {http_server.url('/status/503')}\n"
        "    expect: {status: 200}\n",
        encoding="utf-8",
    )
    completed, outputs, summary = _run_step(
        {"command": "run", "args": "--no-alert --junit e2e.xml"}, tmp_path
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert outputs == {
        "exit-code": "1",
        "total": "2",
        "passed": "1",
        "failed": "1",
        "unknown": "0",
        "skipped": "0",
        "json-report": str(tmp_path / "e2echeck-report.json"),
        "junit-report": "e2e.xml",
    }
    annotations = [line for line in completed.stdout.splitlines() if line.startswith("::")]
    assert annotations == [
        "::error file=checks.yaml,line=6,title=e2echeck%3A down failed::"
        "expected status 200, got 503"
    ]
    assert summary.startswith("### e2echeck run: 2 checks, 1 passed, 1 failed, 0 unknown")
    rows = [line for line in summary.splitlines() if line.startswith("| ")]
    assert rows[1].startswith("| down | failed | 503 |")
    assert rows[2].startswith("| up | ok | 200 |")


def test_run_step_reads_the_callers_json_report(tmp_path: Path, http_server: TestServer) -> None:
    (tmp_path / "checks.yaml").write_text(
        f"version: 1\nchecks:\n  - name: up\n    url: {http_server.url('/status/200')}\n",
        encoding="utf-8",
    )
    completed, outputs, _ = _run_step(
        {"command": "run", "args": "--no-alert --json=report.json"}, tmp_path
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert (outputs["json-report"], outputs["passed"]) == ("report.json", "1")
    assert not (tmp_path / "e2echeck-report.json").exists()


def test_run_step_with_an_invalid_file(tmp_path: Path) -> None:
    (tmp_path / "checks.yaml").write_text("version: 1\nchecks: 3\n", encoding="utf-8")
    completed, outputs, summary = _run_step({"command": "run", "args": "--no-alert"}, tmp_path)
    assert completed.returncode == 2
    assert (outputs["exit-code"], outputs["total"], outputs["json-report"]) == ("2", "", "")
    assert "wrote no report" in summary


def test_change_event_input_sends_one_before_the_command(
    tmp_path: Path, fake_pd: FakePagerDuty
) -> None:
    (tmp_path / "checks.yaml").write_text(
        "version: 1\npagerduty:\n  routing_key: ${PAGERDUTY_ROUTING_KEY}\n"
        f"  events_url: {fake_pd.url}\nchecks:\n  - name: a\n    url: http://127.0.0.1:9/\n"
    )
    env = {"PAGERDUTY_ROUTING_KEY": "0123456789abcdef0123456789abcdef"}
    done, _, _ = _run_step({"change-event": "deployed api v1.4"}, tmp_path, env)
    assert done.returncode == 0, done.stdout + done.stderr
    (change,) = fake_pd.changes
    assert change["payload"]["summary"] == "deployed api v1.4"
    assert change["links"][0]["href"] == "https://github.com/o/r/actions/runs/7"


def test_unknown_command_fails_clearly(tmp_path: Path) -> None:
    completed, outputs, _ = _run_step({"command": "deploy"}, tmp_path)
    assert completed.returncode == 2
    assert "command must be validate or run, not 'deploy'" in completed.stdout
    assert outputs == {"exit-code": "2"}


SOURCE = "/home/runner/work/_actions/e2echeck/e2echeck/main"
GIT = "git+https://github.com/e2echeck/e2echeck@main"


@pytest.mark.parametrize(
    ("package", "extras", "requirement"),
    [
        ("", "", SOURCE),
        ("", "aws,metrics", f"{SOURCE}[aws,metrics]"),
        ("", " aws, metrics ", f"{SOURCE}[aws,metrics]"),
        ("e2echeck", "aws", "e2echeck[aws]"),
        ("e2echeck==1.2.0", "aws", "e2echeck[aws]==1.2.0"),
        ("e2echeck~=1.2", "aws", "e2echeck[aws]~=1.2"),
        ("e2echeck>=1.2,<2", "aws", "e2echeck[aws]>=1.2,<2"),
        ("e2echeck>=1.2", "", "e2echeck>=1.2"),
        ("e2echeck[metrics]<2", "aws", "e2echeck[metrics,aws]<2"),
        (f"e2echeck @ {GIT}", "aws", f"e2echeck[aws] @ {GIT}"),
        (GIT, "aws", f"e2echeck[aws] @ {GIT}"),
        ("./vendor/e2echeck", "aws", "./vendor/e2echeck[aws]"),
    ],
)
def test_requirement_step_builds_a_valid_requirement(
    tmp_path: Path, package: str, extras: str, requirement: str
) -> None:
    """The requirement step's script, run by bash; pip's own parser (packaging)
    accepts what it writes."""
    bash = _bash()
    step = next(s for s in _action()["runs"]["steps"] if s.get("id") == "requirement")
    values = {"inputs.package": package, "inputs.extras": extras, "github.action_path": SOURCE}
    outputs = tmp_path / "github_output"
    env = {**os.environ, "GITHUB_OUTPUT": str(outputs)}
    for name, value in step["env"].items():
        env[name] = EXPRESSION.sub(lambda m: values[m.group(1)], value)
    script = tmp_path / "requirement.sh"
    script.write_text(step["run"])
    completed = subprocess.run(
        [bash, "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert outputs.read_text() == f"requirement={requirement}\n"
    if not requirement.startswith(("/", "./")):
        parsed = Requirement(requirement)
        assert parsed.name == "e2echeck"
        assert {e for e in extras.replace(" ", "").split(",") if e} <= parsed.extras


def test_run_step_annotates_a_check_in_a_directory_at_its_file(
    tmp_path: Path, http_server: TestServer
) -> None:
    suite = tmp_path / "checks.d"
    suite.mkdir()
    (suite / "a.yaml").write_text(
        f"version: 1\nchecks:\n  - name: up\n    url: {http_server.url('/status/200')}\n",
        encoding="utf-8",
    )
    (suite / "b.yaml").write_text(
        "version: 1\ndefaults: {retries: 0}\nchecks:\n"
        f"  - name: down\n    url: {http_server.url('/status/503')}\n",
        encoding="utf-8",
    )
    completed, outputs, _ = _run_step(
        {"command": "run", "config": "checks.d", "args": "--no-alert"}, tmp_path
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert (outputs["total"], outputs["failed"]) == ("2", "1")
    annotations = [line for line in completed.stdout.splitlines() if line.startswith("::")]
    assert annotations == [
        "::error file=checks.d/b.yaml,line=4,title=e2echeck%3A down failed::"
        "expected status 2xx, got 503"
    ]
