"""`validate` with several files or a directory: every file checked, positions
given per file, and check names unique across them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import run_cli


def _write(path: Path, names: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    checks = "".join(f"  - name: {n}\n    url: https://{n}.test/\n" for n in names)
    path.write_text(f"version: 1\nchecks:\n{checks}", encoding="utf-8")
    return path


def test_a_directory_is_every_yaml_file_under_it(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    _write(suite / "api.yaml", ["api"])
    _write(suite / "site" / "pages.yml", ["home", "about"])
    _write(suite / ".hidden" / "skip.yaml", ["api"])
    (suite / "notes.txt").write_text("not a checks file", encoding="utf-8")
    result = run_cli("validate", str(suite))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{suite / 'api.yaml'}: valid (1 check)",
        f"{suite / 'site' / 'pages.yml'}: valid (2 checks)",
    ]


def test_names_are_unique_across_a_directorys_files_at_the_later_files_position(
    tmp_path: Path,
) -> None:
    first = _write(tmp_path / "suite" / "a.yaml", ["api", "site"])
    second = _write(tmp_path / "suite" / "b.yaml", ["other", "api"])
    result = run_cli("validate", "--format", "json", str(tmp_path / "suite"))
    assert result.exit_code == 2, result.output
    files = json.loads(result.stdout)["files"]
    assert files[0]["valid"] is True
    (problem,) = files[1]["problems"]
    assert (problem["file"], problem["line"], problem["column"]) == (str(second), 5, 11)
    assert problem["path"] == "checks[1].name"
    assert problem["message"] == (
        f"duplicate check name 'api' (also in {first}); names are unique across the files"
    )
    text = run_cli("validate", str(tmp_path / "suite"))
    assert f"{second}:5:11: checks[1].name: duplicate check name 'api'" in text.stdout
    # Files named one by one are separate suites (staging and production, say).
    assert run_cli("validate", str(first), str(second)).exit_code == 0


def test_an_empty_directory_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run_cli("validate", str(tmp_path / "empty"))
    assert result.exit_code == 2
    assert "no .yaml or .yml file in this directory" in result.stderr
