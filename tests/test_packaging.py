"""`e2echeck package`: config validation first, the runtime requirements, the
deterministic zip writer, and real builds for Lambda targets: the newest Python on
x86_64 and another on arm64 (the host's Python is built in tests/lambda). pip may
download manylinux wheels from the package registry; its cache makes reruns fast.

Running the zip is in tests/lambda/test_lambda_zip.py."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from e2echeck.config import ConfigError
from e2echeck.packaging import (
    HANDLER,
    PackagingError,
    _is_extra,
    _write_zip,
    build_lambda_zip,
    runtime_requirements,
)
from tests.support.cli import run_cli

VALID = """\
version: 1
pagerduty: {routing_key: "${PAGERDUTY_ROUTING_KEY}"}
checks:
  - name: home
    url: https://www.example.com/
"""


@pytest.fixture
def valid_config(tmp_path: Path) -> Path:
    path = tmp_path / "my-checks.yaml"
    path.write_text(VALID, encoding="utf-8")
    return path


def test_runtime_requirements_exclude_extras() -> None:
    names = [req.split(";")[0].strip().lower() for req in runtime_requirements()]
    assert any(name.startswith("pydantic") for name in names)
    assert any(name.startswith("httpx2") for name in names)
    assert any(name.startswith("pagerduty") for name in names)
    assert not any(name.startswith(("boto3", "pytest", "cfn-lint")) for name in names)


def test_is_extra() -> None:
    assert _is_extra('boto3>=1.34; extra == "aws"')
    assert not _is_extra("click>=8.1")
    assert not _is_extra('tomli>=2; python_version < "3.11"')


def test_invalid_config_fails_before_any_download(tmp_path: Path) -> None:
    broken = tmp_path / "checks.yaml"
    broken.write_text(
        "version: 1\nchecks:\n  - name: a\n    url: https://x.example/\n    tiemout: 3s\n"
    )
    with pytest.raises(ConfigError, match="tiemout"):
        build_lambda_zip(broken, tmp_path / "out.zip", requirements=["no-download-expected"])
    assert not (tmp_path / "out.zip").exists()


def test_cli_exits_2_on_an_invalid_config(tmp_path: Path) -> None:
    broken = tmp_path / "checks.yaml"
    broken.write_text("version: 1\nchecks: []\n")
    result = run_cli("package", str(broken), "-o", str(tmp_path / "x.zip"))
    assert result.exit_code == 2
    assert "checks.yaml:2" in result.stderr
    assert not (tmp_path / "x.zip").exists()


def test_bad_arguments(valid_config: Path, tmp_path: Path) -> None:
    with pytest.raises(PackagingError, match="architecture"):
        build_lambda_zip(valid_config, tmp_path / "x.zip", arch="sparc")
    with pytest.raises(PackagingError, match="Python version"):
        build_lambda_zip(valid_config, tmp_path / "x.zip", python_version="twelve")


@pytest.mark.slow
def test_pip_failure_is_reported(valid_config: Path, tmp_path: Path) -> None:
    with pytest.raises(PackagingError, match="pip could not install"):
        build_lambda_zip(valid_config, tmp_path / "x.zip", requirements=["pyyaml<0.1"])
    assert not (tmp_path / "x.zip").exists()
    assert not list(tmp_path.glob("*.partial"))


def test_zip_writer_ignores_mtimes_modes_and_bytecode(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "pkg" / "sub").mkdir(parents=True)
    (tree / "pkg" / "__init__.py").write_text("x = 1\n")
    (tree / "pkg" / "sub" / "mod.py").write_text("y = 2\n")
    (tree / "checks.yaml").write_text("version: 1\n")
    _write_zip(tree, tmp_path / "a.zip")

    os.utime(tree / "pkg" / "__init__.py", (1_700_000_000, 1_700_000_000))
    (tree / "pkg" / "sub" / "mod.py").chmod(0o755)
    (tree / "pkg" / "__pycache__").mkdir()
    (tree / "pkg" / "__pycache__" / "__init__.cpython-311.pyc").write_bytes(b"\0")
    (tree / "pkg" / "stale.pyc").write_bytes(b"\0")
    _write_zip(tree, tmp_path / "b.zip")

    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert archive.namelist() == ["checks.yaml", "pkg/__init__.py", "pkg/sub/mod.py"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("python", "arch", "platform_tag"),
    [
        ("3.14", "x86_64", "x86_64-linux-gnu"),  # the newest Lambda Python
        ("3.13", "arm64", "aarch64-linux-gnu"),
    ],
)
def test_cli_builds_the_lambda_zip(
    valid_config: Path, tmp_path: Path, python: str, arch: str, platform_tag: str
) -> None:
    output = tmp_path / "dist" / "function.zip"
    args = ["package", str(valid_config), "-o", str(output), "--python", python, "--arch", arch]
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    size = output.stat().st_size
    print(f"\nLambda zip for python{python}/{arch}: {size:,} bytes")
    assert str(output) in result.stdout
    assert str(size) in result.stdout
    assert HANDLER in result.stdout

    with zipfile.ZipFile(output) as archive:
        names = archive.namelist()
        assert archive.read("checks.yaml").decode() == VALID  # renamed, at the root
    tag = python.replace(".", "")
    compiled = [n for n in names if n.endswith(".so")]
    assert compiled
    assert all(f"cpython-{tag}-{platform_tag}" in n for n in compiled), compiled
    assert any(n.startswith("pydantic_core/") for n in compiled), compiled
    assert any(n.startswith("yaml/_yaml") for n in compiled), compiled
    for distribution in ("pydantic_core", "pyyaml"):
        wheel = next(
            n
            for n in names
            if n.lower().startswith(f"{distribution}-") and n.endswith(".dist-info/WHEEL")
        )
        with zipfile.ZipFile(output) as archive:
            tags = [ln for ln in archive.read(wheel).decode().splitlines() if ln.startswith("Tag:")]
        assert tags and all(ln.startswith(f"Tag: cp{tag}-cp{tag}-manylinux") for ln in tags), tags
    assert not [n for n in names if n.split("/")[0].split("-")[0] in ("boto3", "botocore")]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
