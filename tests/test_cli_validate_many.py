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
        f"duplicate check name 'api' (also in {first}); names are unique across the files of a run"
    )
    text = run_cli("validate", str(tmp_path / "suite"))
    assert f"{second}:5:11: checks[1].name: duplicate check name 'api'" in text.stdout
    # Files named one by one are one run too, as `run` reads them...
    assert run_cli("validate", str(first), str(second)).exit_code == 2
    # ...unless each is validated on its own (staging and production, say: the
    # pre-commit hook does so).
    assert run_cli("validate", "--each", str(first), str(second)).exit_code == 0


def test_an_empty_directory_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run_cli("validate", str(tmp_path / "empty"))
    assert result.exit_code == 2
    assert "no .yaml or .yml file in this directory" in result.stderr


def test_a_dedup_key_used_in_two_files_is_an_error_at_the_later_key(tmp_path: Path) -> None:
    first = _write(tmp_path / "a.yaml", ["api"])
    second = tmp_path / "b.yaml"
    second.write_text(
        "version: 1\nchecks:\n  - name: other\n    url: https://o.test/\n    dedup_key: api\n",
        encoding="utf-8",
    )
    result = run_cli("validate", str(first), str(second))
    assert result.exit_code == 2, result.output
    assert (
        f"{second}:5:16: checks[0].dedup_key: dedup key 'api' is also used in {first}"
        in result.stdout
    )


def test_run_wide_sections_must_agree_across_files(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    second = tmp_path / "b.yaml"
    body = "checks:\n  - name: {}\n    url: https://{}.test/\n"
    first.write_text(
        "version: 1\nstate: {path: one.json}\n" + body.format("a", "a"), encoding="utf-8"
    )
    second.write_text(
        "version: 1\nstate: {path: two.json}\n" + body.format("b", "b"), encoding="utf-8"
    )
    result = run_cli("validate", str(first), str(second))
    assert result.exit_code == 2, result.output
    assert f"{second}:2:1: state: 'state' differs from the one in {first}" in result.stdout
    assert f"{first}: valid (1 check)" in result.stdout
    second.write_text(
        "version: 1\nstate: {path: one.json}\n" + body.format("b", "b"), encoding="utf-8"
    )
    assert run_cli("validate", str(first), str(second)).exit_code == 0
