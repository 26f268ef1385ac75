"""The documentation: generated parts current, site builds, examples valid, self-contained.

The references in docs/ are generated from the code with `cog -r docs/*.md`; these
tests fail when someone changes a model or an option and forgets to regenerate.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from docgen import cli_reference, config_reference
from e2echeck.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
REGENERATE = "run `cog -r docs/*.md` and commit the result"


def test_generated_references_are_current() -> None:
    from cogapp import Cog

    out, err = io.StringIO(), io.StringIO()
    cog = Cog()
    cog.set_output(stdout=out, stderr=err)
    with contextlib.chdir(ROOT):
        status = cog.main(["cog", "--check", "--diff", *(str(p.relative_to(ROOT)) for p in PAGES)])
    assert status == 0, f"generated docs are stale; {REGENERATE}\n{out.getvalue()}{err.getvalue()}"


def test_generated_blocks_exist() -> None:
    """The references live where the docs link to them, between cog markers."""
    for page, call in (("configuration.md", "config_reference()"), ("cli.md", "cli_reference()")):
        text = (DOCS / page).read_text(encoding="utf-8")
        assert "[[[cog" in text and call in text and "[[[end]]]" in text, page


def _model_keys() -> set[tuple[str, str]]:
    """(model name, key as written in YAML) of every model reachable from Config."""
    from pydantic import BaseModel

    from e2echeck.config.models import Config

    keys: set[tuple[str, str]] = set()
    seen: set[type] = set()

    def visit(annotation: object) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation in seen:
                return
            seen.add(annotation)
            for name, field in annotation.model_fields.items():
                keys.add((annotation.__name__, field.alias or name))
                visit(field.annotation)
            return
        import typing

        for arg in typing.get_args(annotation):
            visit(arg)

    visit(Config)
    return keys


def test_config_reference_has_every_key() -> None:
    reference = config_reference()
    rows = set(re.findall(r"^\| `([^`]+)` \|", reference, re.MULTILINE))
    missing = {key for _, key in _model_keys() if key not in rows}
    assert not missing, f"keys missing from the configuration reference: {sorted(missing)}"
    # Every row has a type and a description; required keys say so.
    for line in reference.splitlines():
        if line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip("|").split(" | ")]
            assert len(cells) == 4 and cells[1] and cells[3], line
    assert "| `version` | `1` | **required** |" in reference
    assert "| `checks` |" in reference and "<version>" in reference


def test_cli_reference_has_every_command_and_option() -> None:
    reference = cli_reference()
    commands = main.commands  # type: ignore[attr-defined]
    for name, command in commands.items():
        assert f"### `e2echeck {name}`" in reference
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                for flag in param.opts:
                    assert re.search(rf"(^|[\s,]){re.escape(flag)}\b", reference), (name, flag)


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None, reason="mkdocs not installed")
def test_mkdocs_build_strict(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for page in ("index", "configuration", "cli", "alerting", "deployment", "design", "timing"):
        assert (tmp_path / "site" / page if page != "index" else tmp_path / "site").is_dir()
    built = (tmp_path / "site" / "configuration" / "index.html").read_text(encoding="utf-8")
    assert 'id="ref-expect"' in built
    # docs/docgen.py is tooling, not a page or an asset to publish.
    assert not sorted((tmp_path / "site").rglob("*.py"))


# -- the examples -------------------------------------------------------------

FENCE = re.compile(r"^(?P<indent>[ \t]*)```yaml[^\n]*\n(?P<body>.*?)^(?P=indent)```", re.M | re.S)
# An example of another file (pre-commit, CloudFormation) names it on its first line.
OTHER_FILE = re.compile(r"^#\s*(?!checks)[\w./-]+\.ya?ml\s*$")


def _yaml_examples() -> list[tuple[str, str]]:
    found = []
    for path in [ROOT / "README.md", *PAGES]:
        text = path.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            body = textwrap.dedent(match.group("body"))
            first = body.splitlines()[0] if body.strip() else ""
            if OTHER_FILE.match(first):
                continue
            line = text.count("\n", 0, match.start()) + 1
            found.append((f"{path.relative_to(ROOT)}:{line}", body))
    return found


EXAMPLES = _yaml_examples()


def test_docs_have_yaml_examples() -> None:
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize(("where", "body"), EXAMPLES, ids=[w for w, _ in EXAMPLES])
def test_yaml_example_is_a_valid_checks_file(where: str, body: str, tmp_path: Path) -> None:
    config = tmp_path / "checks.yaml"
    config.write_text(body, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(config)])
    assert result.exit_code == 0, f"{where}: not a valid checks.yaml\n{result.output}"


# -- one source of truth --------------------------------------------------------


def test_readme_is_short_and_starts_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode()) <= 8000  # with the generated synopsis of every command
    first_block = readme.split("```", 2)[1]
    assert (
        "pip install -c requirements/ci.txt . && e2echeck run checks.yaml --no-alert" in first_block
    )
    assert "pip install -c requirements/ci.txt -e '.[test]' && python -m pytest" in first_block
    ci_script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "-c requirements/ci.txt -e '.[test]'" in ci_script
    assert "python -m pytest" in ci_script


def test_exit_codes_are_stated_once() -> None:
    tables = [
        path.relative_to(ROOT).as_posix()
        for path in [ROOT / "README.md", *PAGES]
        for _ in re.finditer(r"^\| *0 *\|", path.read_text(encoding="utf-8"), re.M)
    ]
    assert tables == ["docs/cli.md"]


# Documents that live outside the repository must not be cited by it.
OUTSIDE = re.compile(r"\bSPEC\b|SPEC\.md|NOTES\.md|\b[Ii]ssues? #?\d+", re.MULTILINE)
SCANNED = ["e2echeck", "docs", "bench", "deploy", "README.md", "checks.schema.json",
           "Dockerfile", ".pre-commit-hooks.yaml"]  # fmt: skip
TEXT_SUFFIXES = {".py", ".md", ".json", ".yaml", ".yml", ".toml", ".txt", ""}


def _scanned_files() -> list[Path]:
    files: list[Path] = []
    for name in SCANNED:
        path = ROOT / name
        if path.is_dir():
            files += [
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and p.suffix in TEXT_SUFFIXES and "__pycache__" not in p.parts
            ]
        elif path.exists():
            files.append(path)
    return files


def test_no_reference_to_documents_outside_the_repository() -> None:
    found = []
    for path in _scanned_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in OUTSIDE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0)}")
    assert not found, "cite no document outside the repository:\n" + "\n".join(found)


def test_every_key_has_a_yaml_example() -> None:
    """sqlite-utils style: the docs show every key of checks.yaml in a valid example."""
    bodies = "\n".join(body for _, body in EXAMPLES)
    missing = sorted(
        {
            key
            for _, key in _model_keys()
            if not re.search(rf"(^|[\s{{,]){re.escape(key)}:", bodies, re.M)
        }
    )
    assert not missing, f"keys without an example in docs/: {missing}"


def test_every_option_has_an_example() -> None:
    """Each option of each command appears in an `e2echeck <command> ...` example line."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *PAGES])
    missing = []
    for name, command in main.commands.items():  # type: ignore[attr-defined]
        lines = [line for line in text.splitlines() if f"e2echeck {name}" in line]
        for param in command.params:
            if not isinstance(param, click.Option) or param.hidden:
                continue
            flags = [re.escape(flag) for flag in param.opts]
            pattern = rf"e2echeck {name}\b.*\s({'|'.join(flags)})([\s=`]|$)"
            if not any(re.search(pattern, line) for line in lines):
                missing.append(f"{name} {'/'.join(param.opts)}")
    assert not missing, f"options without an example in docs/: {missing}"


def test_the_generator_renders_any_model() -> None:
    """Nested and recursive models, unions, lists, dicts, aliases, factories, Any."""
    from typing import Any, Literal

    from pydantic import BaseModel, Field

    from docgen import model_reference
    from e2echeck.config.types import Duration

    class Leaf(BaseModel):
        """A leaf."""

        weight: float = Field(2.5, ge=0, description="How heavy.")

    class Other(BaseModel):
        flag: bool = Field(description="A flag.")

    class Tree(BaseModel):
        """A tree of leaves."""

        name: str = Field(pattern="^[a-z]+$", description="Its name.")
        kind: Literal["oak", "elm"] = Field("oak", description="Which | kind.")
        leaves: dict[str, Leaf] = Field(default_factory=dict, description="By name.")
        children: list[Tree] = Field(default_factory=list, description="Sub-trees.")
        either: Leaf | Other | None = Field(None, description="One or the other.")
        grid: list[list[int]] = Field(default_factory=lambda: [[1]], description="Cells.")
        extra: Any = Field(None, alias="x-extra", description="Anything.")
        every: Duration = Field(60.0, description="How often.")

    text = model_reference(Tree)
    assert "| `name` | string matching `^[a-z]+$` | **required** | Its name. |" in text
    assert "| `kind` | one of `oak`, `elm` | `oak` | Which \\| kind. |" in text
    assert "| `leaves` | mapping of string to [leaf](#ref-leaf) | `{}` | By name. |" in text
    assert "| `children` | list of [tree](#ref-top-level) | `[]` | Sub-trees. |" in text
    assert text.count("Its name.") == 1  # the recursive root is rendered once
    assert "| `either` | [leaf](#ref-leaf) or [other](#ref-other) | — |" in text
    assert "| `grid` | list of list of integer | `[[1]]` | Cells. |" in text
    assert "| `x-extra` | any value | — | Anything. |" in text
    assert "| `every` | [duration](#ref-value-types) | `1m` | How often. |" in text
    assert "| `weight` | number | `2.5` | How heavy. |" in text
    assert "### `leaves.<name>` { #ref-leaf }" in text
    assert "### `either` { #ref-other }" in text
