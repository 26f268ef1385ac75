"""action.yml: a composite action whose inputs, steps and scripts agree, and
whose e2echeck step, run here with bash as GitHub runs it, annotates problems."""

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

from tests.support.pagerduty import FakePagerDuty

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


def test_inputs_and_steps_are_coherent() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert {"command", "config", "args", "python-version", "package", "extras"} <= set(inputs)
    for name, spec in inputs.items():
        assert spec.get("description"), name
        assert "default" in spec or spec.get("required"), name
    assert inputs["command"]["default"] == "validate"

    steps = action["runs"]["steps"]
    used = set()
    for expression in _expressions(steps):
        context, _, name = expression.partition(".")
        assert context in ("inputs", "github"), expression
        if context == "inputs":
            assert name in inputs, f"step uses an undeclared input: {expression}"
            used.add(name)
    assert used == set(inputs), f"inputs no step uses: {set(inputs) - used}"
    for step in steps:
        assert ("uses" in step) != ("run" in step), step
        if "run" in step:
            assert step["shell"] == "bash"
            # Inputs reach scripts through env only (no expression injection).
            assert not EXPRESSION.search(step["run"]), step["name"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    script = next(s for s in steps if s.get("id") == "e2echeck")["run"]
    assert "e2echeck validate --format github" in script and "e2echeck run" in script


def _run_step(inputs: dict[str, str], workdir: Path) -> subprocess.CompletedProcess[str]:
    """The e2echeck step's script, with its env rendered from `inputs`, run by bash
    the way GitHub runs a `shell: bash` step."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    action = _action()
    defaults = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    values = {**defaults, **inputs}
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "e2echeck")
    env = dict(os.environ)
    github = {"server_url": "https://github.com", "repository": "o/r", "run_id": "7"}
    for name, value in step["env"].items():
        env[name] = EXPRESSION.sub(
            lambda m: (values if m.group(1).startswith("inputs.") else github)[
                m.group(1).partition(".")[2]
            ],
            value,
        )
    # `e2echeck` on PATH, from this tree.
    bin_dir = workdir / "bin"
    bin_dir.mkdir(exist_ok=True)
    shim = bin_dir / "e2echeck"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m e2echeck "$@"\n')
    shim.chmod(0o755)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    env["PYTHONPATH"] = str(ROOT)
    script = workdir / "step.sh"
    script.write_text(step["run"])
    return subprocess.run(
        [bash, "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_validate_step_annotates_problems(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(
        "version: 1\nchecks:\n  - name: a\n    url: http://127.0.0.1:9/\n"
    )
    (tmp_path / "bad.yaml").write_text(
        "version: 1\nchecks:\n  - name: a\n    url: http://127.0.0.1:9/\n    timout: 3s\n"
    )
    good = _run_step({"config": "good.yaml"}, tmp_path)
    assert good.returncode == 0, good.stdout + good.stderr

    bad = _run_step({"config": "good.yaml bad.yaml", "args": "--strict-env"}, tmp_path)
    assert bad.returncode == 2
    assert "::error file=bad.yaml,line=5,col=5,title=e2echeck::" in bad.stdout


def test_change_event_input_sends_one_before_the_command(
    tmp_path: Path, fake_pd: FakePagerDuty
) -> None:
    (tmp_path / "checks.yaml").write_text(
        "version: 1\npagerduty:\n  routing_key: ${PAGERDUTY_ROUTING_KEY}\n"
        f"  events_url: {fake_pd.url}\nchecks:\n  - name: a\n    url: http://127.0.0.1:9/\n"
    )
    os.environ["PAGERDUTY_ROUTING_KEY"] = "0123456789abcdef0123456789abcdef"
    try:
        done = _run_step({"change-event": "deployed api v1.4"}, tmp_path)
    finally:
        del os.environ["PAGERDUTY_ROUTING_KEY"]
    assert done.returncode == 0, done.stdout + done.stderr
    (change,) = fake_pd.changes
    assert change["payload"]["summary"] == "deployed api v1.4"
    assert change["links"][0]["href"] == "https://github.com/o/r/actions/runs/7"


def test_unknown_command_fails_clearly(tmp_path: Path) -> None:
    completed = _run_step({"command": "deploy"}, tmp_path)
    assert completed.returncode == 2
    assert "command must be validate or run, not 'deploy'" in completed.stdout


@pytest.mark.parametrize(
    ("package", "extras", "installed"),
    [
        ("", "", "{source}"),
        ("", "aws,metrics", "{source}[aws,metrics]"),
        ("e2echeck==1.2.0", "aws", "e2echeck[aws]==1.2.0"),
        ("e2echeck>=1.2", "", "e2echeck>=1.2"),
    ],
)
def test_install_step_builds_the_requirement(
    tmp_path: Path, package: str, extras: str, installed: str
) -> None:
    """The install step's script, with a `python` that prints what pip would get."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    step = next(s for s in _action()["runs"]["steps"] if s["name"] == "Install e2echeck")
    shim = tmp_path / "python"
    shim.write_text('#!/bin/sh\nfor a in "$@"; do last="$a"; done\necho "$last"\n')
    shim.chmod(0o755)
    source = "/home/runner/work/_actions/owner/e2echeck/v1"
    values = {"inputs.package": package, "inputs.extras": extras, "github.action_path": source}
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    for name, value in step["env"].items():
        env[name] = EXPRESSION.sub(lambda m: values[m.group(1)], value)
    script = tmp_path / "install.sh"
    script.write_text(step["run"])
    completed = subprocess.run(
        [bash, "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == installed.format(source=source)
