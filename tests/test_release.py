"""Releasing: the license, the changelog, one version, the release workflow, and
install hints that work before any release exists."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

import e2echeck

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
USER_DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "action.yml"]


def _workflow(name: str) -> dict[Any, Any]:
    document = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in job["steps"])


def test_license_is_mit_as_pyproject_says() -> None:
    assert 'license = "MIT"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def test_changelog_has_an_unreleased_section() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# Changelog\n")
    unreleased = changelog.split("## [Unreleased]\n", 1)[1].split("\n## [", 1)[0]
    assert "### Added" in unreleased and unreleased.count("\n- ") >= 3


def test_the_version_is_defined_once() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+|rc\d+)?", e2echeck.__version__)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject
    assert 'version = { attr = "e2echeck.__version__" }' in pyproject
    literal = re.compile(rf"(?<![\d.]){re.escape(e2echeck.__version__)}(?![\d.])")
    holders = [
        path.relative_to(ROOT).as_posix()
        for pattern in ("e2echeck/**/*.py", "*.toml", "*.yml", "*.yaml", "Dockerfile", "docs/*.md")
        for path in ROOT.glob(pattern)
        if literal.search(path.read_text(encoding="utf-8"))
    ]
    assert holders == ["e2echeck/__init__.py"]


def test_release_workflow_builds_checks_and_publishes_on_a_tag() -> None:
    workflow = _workflow("release.yml")
    # PyYAML reads the key `on` as True.
    assert workflow[True] == {"push": {"tags": ["v*"]}}
    assert workflow["permissions"] == {"contents": "read"}
    build, publish = workflow["jobs"]["build"], workflow["jobs"]["publish"]
    script = _runs(build)
    assert "python -m build" in script
    assert "twine check --strict dist/*" in script
    assert "GITHUB_REF_NAME" in script and "e2echeck/__init__.py" in script
    assert publish["needs"] == "build"
    assert publish["permissions"] == {"id-token": "write"}
    uses = [step.get("uses", "") for step in publish["steps"]]
    assert any(use.startswith("pypa/gh-action-pypi-publish@") for use in uses)
    # Trusted publishing: no password or token is passed.
    assert "password" not in str(publish) and "secrets." not in str(publish)


def test_ci_workflow_runs_the_ci_script() -> None:
    workflow = _workflow("ci.yml")
    assert "bash .ci/run" in _runs(workflow["jobs"]["ci"])


def test_install_hints_name_the_repository_until_a_release_exists() -> None:
    hint = re.compile(r"pip install ['\"]?e2echeck\b[^\n]*")
    for path in [*USER_DOCS, *sorted((ROOT / "e2echeck").rglob("*.py"))]:
        for line in hint.findall(path.read_text(encoding="utf-8")):
            assert "@ git+https://" in line, (path, line)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "git+https://github.com/e2echeck/e2echeck" in readme


def test_no_doc_names_a_tag_that_does_not_exist() -> None:
    tag = re.compile(r"(uses: [\w.-]+/e2echeck@v\d|rev: v\d)")
    for path in [*USER_DOCS, ROOT / ".pre-commit-hooks.yaml"]:
        assert not tag.search(path.read_text(encoding="utf-8")), path
