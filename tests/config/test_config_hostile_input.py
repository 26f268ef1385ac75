"""Hostile and broken files: always exit 2 with file:line:col, never a traceback."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from e2echeck.config.loader import MAX_DEPTH, MAX_FILE_BYTES
from tests.config.helpers import Outcome, check_text
from tests.support.cli import run_cli

Validate = Callable[..., Outcome]

VALID = "version: 1\nchecks:\n  - name: a\n    url: https://x.test/\n"

BILLION_LAUGHS = (
    "version: 1\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
    "checks: *i\n"
)


def run_validate(path: Path) -> tuple[int, str]:
    result = run_cli("validate", str(path))
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_a_file_over_the_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(VALID + "#" * MAX_FILE_BYTES, encoding="utf-8")
    code, output = run_validate(path)
    assert code == 2
    assert f"{path}: the file is larger than 8 MiB" in output


def test_a_file_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "full.yaml"
    path.write_text(VALID + "#" * (MAX_FILE_BYTES - len(VALID)), encoding="utf-8")
    assert run_validate(path)[0] == 0


def test_billion_laughs_fails_fast(validate: Validate) -> None:
    started = time.monotonic()
    outcome = validate(BILLION_LAUGHS)
    # Unprotected, the expansion never ends; the bound only catches that, not speed
    # (a loaded 2-core CI machine took 2.7 s).
    assert time.monotonic() - started < 10.0
    assert outcome.exit_code == 2
    error = outcome.only_error()
    assert "alias bomb" in error["message"]
    assert error["line"] >= 2 and error["column"] >= 1


def test_reasonable_anchors_and_merge_keys_are_fine(validate: Validate) -> None:
    text = (
        "version: 1\n"
        "x-common: &common {timeout: 5s, retries: 1}\n"
        "checks:\n"
        "  - <<: *common\n    name: a\n    url: https://x.test/\n"
        "  - <<: *common\n    name: b\n    url: https://y.test/\n    retries: 3\n"
    )
    # A top-level x- key holds the anchor and is ignored; the merge works.
    assert validate(text).exit_code == 0
    result = check_text(text)
    assert result.config is not None, result.problems
    assert [c.retries for c in result.config.checks] == [1, 3]


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        # The position is the anchor's: PyYAML resolves an alias to the same node.
        ("version: 1\nchecks: &a\n  - *a\n", 2, 9),
        ("version: 1\na: &a\n  b: *a\nchecks: []\n", 2, 4),
        ("version: 1\na: &a {<<: *a}\nchecks: []\n", 2, 4),
    ],
)
def test_recursive_aliases(validate: Validate, text: str, line: int, column: int) -> None:
    outcome = validate(text)
    assert outcome.exit_code == 2
    error = outcome.only_error()
    assert "an alias refers to itself" in error["message"]
    assert (error["line"], error["column"]) == (line, column), error


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("- version: 1\n- checks: []\n", 1, 1, "got a list"),
        ("just some text\n", 1, 1, "got the value 'just some text'"),
        ("42\n", 1, 1, "got the value '42'"),
        ("version: 1\nchecks: []\n---\nversion: 1\n", 3, 1, "single document"),
        ("---\nversion: 1\n...\n---\n- 1\n", 4, 1, "single document"),
    ],
)
def test_not_one_mapping(validate: Validate, text: str, line: int, column: int, words: str) -> None:
    outcome = validate(text)
    assert outcome.exit_code == 2
    error = outcome.only_error()
    assert (error["line"], error["column"]) == (line, column), error
    assert words in error["message"]


@pytest.mark.parametrize(
    ("data", "line", "column", "words"),
    [
        (b"\x00\x01\x02\x03garbage\xff", 1, 1, "binary"),
        (b"version: 1\nchecks: [\x00]\n", 2, 10, "binary"),
        (b"\xff\xfe\x00v", 1, 3, "binary"),
        (b"version: 1\nname: caf\xe9\n", 2, 10, "not UTF-8 text (byte 20)"),
        (b"version: 1\nchecks: \x07\n", 2, 9, "not allowed"),
        (bytes(range(1, 256)), 2, 118, "not UTF-8 text (byte 127)"),
    ],
)
def test_binary_and_invalid_utf8(
    validate: Validate, data: bytes, line: int, column: int, words: str
) -> None:
    outcome = validate(data)
    assert outcome.exit_code == 2
    error = outcome.only_error()
    assert (error["line"], error["column"]) == (line, column), error
    assert words in error["message"]


@pytest.mark.parametrize("data", [b"", b"\n\n", b"# only a comment\n", b"---\n", b"\xef\xbb\xbf"])
def test_empty_files(validate: Validate, data: bytes) -> None:
    outcome = validate(data)
    assert outcome.exit_code == 2
    assert "the file is empty" in outcome.only_error()["message"]


def test_a_bom_is_accepted(validate: Validate) -> None:
    assert validate(b"\xef\xbb\xbf" + VALID.encode()).exit_code == 0


def test_missing_file_and_directory(tmp_path: Path) -> None:
    code, output = run_validate(tmp_path / "nope.yaml")
    assert code == 2 and f"{tmp_path / 'nope.yaml'}: file not found" in output
    # A directory is every .yaml/.yml under it (tests/test_cli_validate_many.py): none here.
    code, output = run_validate(tmp_path)
    assert code == 2 and f"{tmp_path}: no .yaml or .yml file in this directory" in output


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text(VALID, encoding="utf-8")
    path.chmod(0)
    try:
        if path.stat().st_mode and _can_read(path):
            pytest.skip("running as a user that can read anything")
        code, output = run_validate(path)
        assert code == 2 and f"{path}: cannot read the file" in output
    finally:
        path.chmod(0o644)


def _can_read(path: Path) -> bool:
    try:
        path.read_bytes()
    except OSError:
        return False
    return True


@pytest.mark.parametrize("depth", [MAX_DEPTH + 5, 5_000, 100_000])
def test_deep_nesting(validate: Validate, depth: int) -> None:
    started = time.monotonic()
    outcome = validate("version: 1\nchecks: " + "[" * depth + "]" * depth + "\n")
    assert time.monotonic() - started < 15.0  # catches a runaway, not slowness
    assert outcome.exit_code == 2
    error = outcome.only_error()
    assert "nested deeper than" in error["message"]
    assert error["line"] == 2


def test_deep_block_nesting(validate: Validate) -> None:
    text = "version: 1\n" + "".join(f"{'  ' * i}k{i}:\n" for i in range(200)) + "checks: []\n"
    outcome = validate(text)
    assert outcome.exit_code == 2
    assert "nested deeper than" in outcome.only_error()["message"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("version: !!python/object/apply:os.system ['true']\n", "unsupported YAML tag"),
        ("version: !!python/name:os.system 1\n", "unsupported YAML tag"),
        ("version: !custom 1\n", "unsupported YAML tag '!custom'"),
        ("version: 1\nchecks: !!set {a: null}\n", "unsupported YAML tag"),
    ],
)
def test_tags_are_refused(validate: Validate, text: str, words: str) -> None:
    outcome = validate(text)
    assert outcome.exit_code == 2
    assert words in outcome.only_error()["message"]


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("version: 1\nchecks: [\n", 3, 1, "not valid YAML"),
        ("version: 1\n\tchecks: []\n", 2, 1, "not valid YAML"),
        ("version: 1\nchecks:\n  - name: 'a\n", 4, 1, "not valid YAML"),
        ("version: 1\nchecks: *nowhere\n", 2, 9, "not valid YAML"),
        ("version: 1\n? [a, b]\n: 1\n", 2, 3, "a key must be a plain value"),
        (
            "version: 1\nchecks:\n  - name: x\n    name: y\n    url: https://x.test/\n",
            4,
            5,
            "duplicate key 'name' (first at line 3)",
        ),
    ],
)
def test_broken_yaml(validate: Validate, text: str, line: int, column: int, words: str) -> None:
    outcome = validate(text)
    assert outcome.exit_code == 2
    error = outcome.errors()[0]
    assert (error["line"], error["column"]) == (line, column), error
    assert words in error["message"]


def test_duplicate_keys_do_not_hide_other_errors(validate: Validate) -> None:
    text = "version: 1\nchecks:\n  - name: x\n    name: y\n    url: ftp://x.test/\n"
    outcome = validate(text)
    assert [e["path"] for e in outcome.errors()] == ["checks[0].name", "checks[0].url"]


def test_huge_numbers_are_an_error_not_a_crash(validate: Validate) -> None:
    text = (
        f"version: 1\nchecks:\n  - name: a\n    url: https://x.test/\n    retries: {'9' * 5000}\n"
    )
    outcome = validate(text)
    assert outcome.exit_code == 2
    assert outcome.errors()[0]["path"] == "checks[0].retries"
