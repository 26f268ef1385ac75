"""The package's shape: its layers and the absence of import cycles (import-linter's
contracts in pyproject.toml, run by the real `lint-imports`), and the layout table of
docs/contributing.md, which must name every module and package and nothing else."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.tools import environment_dirs, find_tool

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "e2echeck"
CONTRIBUTING = ROOT / "docs" / "contributing.md"


def _lint_imports(source_root: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` on the e2echeck package found under `source_root`."""
    executable = find_tool("lint-imports")
    if executable is None:
        pytest.skip("lint-imports is not installed (pip install import-linter, in the test extra)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(source_root), str(ROOT)])}
    return subprocess.run(
        [executable, "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=source_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_import_contracts_are_kept() -> None:
    result = _lint_imports(ROOT)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"lint-imports found a broken contract:\n{output}"
    assert "Contracts: 2 kept, 0 broken." in output, output


def test_a_climb_and_a_cycle_break_the_contracts(tmp_path: Path) -> None:
    """The contracts can fail: the redaction layer importing the runner is both."""
    shutil.copytree(PACKAGE, tmp_path / "e2echeck", ignore=shutil.ignore_patterns("__pycache__"))
    names = tmp_path / "e2echeck" / "redaction" / "names.py"
    names.write_text(names.read_text(encoding="utf-8") + "\nimport e2echeck.runner\n")

    result = _lint_imports(tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "e2echeck.redaction is not allowed to import e2echeck.runner" in output, output
    assert "No cycles are allowed in e2echeck." in output, output
    assert "Contracts: 0 kept, 2 broken." in output, output


def test_tools_come_from_this_interpreter_before_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lint-imports earlier on PATH does not shadow the environment's (the lock's)."""
    own = [Path(d, "lint-imports") for d in environment_dirs() if Path(d, "lint-imports").is_file()]
    if not own:
        pytest.skip("lint-imports is not installed in this interpreter's environment")
    impostor = tmp_path / "lint-imports"
    impostor.write_text("#!/bin/sh\nexit 0\n")
    impostor.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")

    assert environment_dirs()[0] == str(Path(sys.executable).parent)
    assert find_tool("lint-imports") == str(own[0])
    assert find_tool("e2echeck-no-such-tool") is None


# -- the layout table of docs/contributing.md ---------------------------------------

LAYOUT_HEADER = "| module | concern |"


def _layout_rows() -> list[tuple[list[str], list[str]]]:
    """(paths named in the first cell, `*.py` names in the second) of each table row."""
    text = CONTRIBUTING.read_text(encoding="utf-8")
    assert LAYOUT_HEADER in text, f"{CONTRIBUTING.name}: no layout table ({LAYOUT_HEADER})"
    table = text.split(LAYOUT_HEADER, 1)[1].split("\n\n", 1)[0]
    rows = []
    for line in table.strip().splitlines()[1:]:  # after the | --- | --- | line
        first, _, concern = line.strip().strip("|").partition(" | ")
        rows.append(
            (re.findall(r"`(e2echeck/[^`]*)`", first), re.findall(r"`([\w/]+\.py)`", concern))
        )
    return rows


def _modules_and_packages() -> set[str]:
    """e2echeck's top-level modules (`e2echeck/x.py`) and packages (`e2echeck/x/`)."""
    found = set()
    for path in PACKAGE.iterdir():
        if path.is_dir() and (path / "__init__.py").is_file():
            found.add(f"e2echeck/{path.name}/")
        elif path.suffix == ".py" and not path.name.startswith("__"):
            found.add(f"e2echeck/{path.name}")
    return found


def test_the_layout_table_names_every_module_and_package() -> None:
    named = {path for paths, _ in _layout_rows() for path in paths}
    missing = sorted(_modules_and_packages() - named)
    assert not missing, (
        f"docs/contributing.md's layout table does not name {', '.join(missing)}: "
        "add each to the table (first column, as `e2echeck/x.py` or `e2echeck/x/`)"
    )


def test_the_layout_table_names_nothing_that_does_not_exist() -> None:
    gone = []
    for paths, modules in _layout_rows():
        gone += [path for path in paths if not (ROOT / path).exists()]
        # A module the concern names lives in the row's package (or is a top-level one).
        packages = [ROOT / path for path in paths if path.endswith("/")]
        for module in modules:
            inside = any(p.is_dir() and list(p.rglob(module)) for p in packages)
            if packages and not inside and not (PACKAGE / module).is_file():
                gone.append(f"{paths[0]}{module}")
    assert not gone, (
        f"docs/contributing.md's layout table names {', '.join(sorted(gone))}, "
        "which do not exist: remove or rename them in the table"
    )
