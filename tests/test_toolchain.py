"""The pinned toolchain: requirements/ci.txt pins every dependency pyproject.toml
names (so a dependency cannot be added without refreshing the lock), the one refresh
command compiles every extra, and the newest-releases job stays out of CI's way."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "ci.txt"
REFRESH = ROOT / "requirements" / "refresh"
REFRESH_LOCK = "run `requirements/refresh` and commit requirements/ci.txt"


def _pyproject() -> dict[str, Any]:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    project: dict[str, Any] = tomllib.loads(text)["project"]
    return project


def _declared() -> list[tuple[str, Requirement]]:
    """(where, requirement) of the runtime dependencies and of every extra."""
    project = _pyproject()
    found = [("dependencies", Requirement(dep)) for dep in project["dependencies"]]
    extras: dict[str, list[str]] = project["optional-dependencies"]
    for extra, deps in extras.items():
        found += [(f"optional-dependencies.{extra}", Requirement(dep)) for dep in deps]
    return found


def _pins() -> dict[str, Version]:
    """Canonical name -> the version requirements/ci.txt pins."""
    pins = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", line)
        if match:
            pins[canonicalize_name(match.group(1))] = Version(match.group(2))
    return pins


def test_the_lock_pins_every_declared_dependency() -> None:
    pins = _pins()
    assert len(pins) > 50, "requirements/ci.txt should pin the whole environment"
    unpinned = sorted(
        f"{req.name} ({where})"
        for where, req in _declared()
        if canonicalize_name(req.name) not in pins
    )
    assert not unpinned, f"not in requirements/ci.txt: {', '.join(unpinned)}; {REFRESH_LOCK}"


def test_every_pin_satisfies_pyproject() -> None:
    pins = _pins()
    stale = sorted(
        f"{req.name}=={pins[canonicalize_name(req.name)]} does not satisfy {req} ({where})"
        for where, req in _declared()
        if canonicalize_name(req.name) in pins
        and not req.specifier.contains(pins[canonicalize_name(req.name)], prereleases=True)
    )
    assert not stale, "\n".join(stale) + f"\n{REFRESH_LOCK}"


def test_the_refresh_command_compiles_every_extra() -> None:
    script = REFRESH.read_text(encoding="utf-8")
    extras = set(_pyproject()["optional-dependencies"])
    compiled = set(re.findall(r"--extra (\S+)", script))
    assert compiled == extras, f"requirements/refresh compiles {compiled}, pyproject has {extras}"
    assert re.search(r"^UV_VERSION=\d+\.\d+\.\d+$", script, re.M), "pin the uv version used"
    assert REFRESH.stat().st_mode & 0o111, "requirements/refresh must be executable"
    # The lock says how it was made, and that is the documented command.
    assert "#    requirements/refresh\n" in LOCK.read_text(encoding="utf-8")
    contributing = (ROOT / "docs" / "contributing.md").read_text(encoding="utf-8")
    assert "requirements/refresh" in contributing


# -- CI and the newest-releases job ----------------------------------------------

WORKFLOWS = ROOT / ".github" / "workflows"


def _workflow(name: str) -> dict[str, Any]:
    document = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict), name
    # YAML 1.1 reads the key `on` as true.
    document["on"] = document.pop(True, document.get("on"))
    return document


def _run_steps(document: dict[str, Any]) -> list[str]:
    return [
        step["run"] for job in document["jobs"].values() for step in job["steps"] if "run" in step
    ]


def test_the_ci_workflow_runs_ci_on_pushes_and_pull_requests() -> None:
    ci = _workflow("ci.yml")
    assert {"push", "pull_request"} <= set(ci["on"])
    assert _run_steps(ci) == ["bash .ci/run"]


def test_the_newest_releases_job_reports_without_blocking() -> None:
    newest = _workflow("newest.yml")
    assert set(newest["on"]) == {"schedule", "workflow_dispatch"}
    assert newest["on"]["schedule"][0]["cron"].split()[-1] == "1"  # weekly
    assert _run_steps(newest) == ["bash .ci/newest"]
    assert all(job["continue-on-error"] is True for job in newest["jobs"].values())


def test_the_newest_releases_job_ignores_the_lock_and_ci_ignores_it() -> None:
    script = (ROOT / ".ci" / "newest").read_text(encoding="utf-8")
    install = re.search(r"pip install(?:[^\n]*\\\n)*[^\n]*", script)
    assert install is not None
    install_command = install.group(0)
    assert "--upgrade" in install_command and "-e '.[test]'" in install_command
    assert "-c " not in install_command and "requirements" not in install_command
    for check in ("ruff check", "ruff format --check", "mypy e2echeck", 'pytest -m "not slow"'):
        assert check in script, check
    assert "newest" not in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


# -- what the wheel ships ----------------------------------------------------------


@pytest.mark.slow
def test_the_wheel_ships_the_package_and_no_tooling(tmp_path: Path) -> None:
    """pip builds the wheel (setuptools from the registry, in isolation) from a copy
    of the sources, so the work tree gets no build/ or egg-info."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "e2echeck", source / "e2echeck", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(ROOT / "docs", source / "docs")  # present, and still not shipped
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    (wheel,) = tmp_path.glob("e2echeck-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "e2echeck/lambda_handler.py" in names
    tops = {name.split("/")[0] for name in names}
    assert tops == {"e2echeck", next(t for t in tops if t.endswith(".dist-info"))}, tops
    assert not [name for name in names if "docgen" in name or name.startswith("docs/")]
