"""`e2echeck package`: config validation first, the runtime requirements, the
deterministic zip writer, and real builds for Lambda targets: the newest Python on
x86_64 and another on arm64 (the host's Python is built in tests/lambda). pip may
download manylinux wheels from the package registry; its cache makes reruns fast.

Running the zip is in tests/lambda/test_lambda_zip.py."""

from __future__ import annotations

import importlib.metadata
import json
import os
import zipfile
from pathlib import Path

import pytest

from e2echeck.config import ConfigError
from e2echeck.lambda_handler import manifest_record
from e2echeck.packaging import (
    HANDLER,
    MANIFEST_NAME,
    ConstraintsError,
    PackagingError,
    _is_extra,
    _write_zip,
    build_lambda_zip,
    bundled_packages,
    constraint_pins,
    installed_pins,
    manifest_bytes,
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


# -- pins and the manifest ------------------------------------------------------------

RUNTIME = [*runtime_requirements(), "tzdata"]


def test_pins_are_the_versions_installed_beside_e2echeck() -> None:
    pins = installed_pins(RUNTIME)
    assert "installed beside e2echeck" in pins.source
    # Every runtime dependency, and what they require in turn (pydantic -> pydantic-core).
    for name in ("click", "pydantic", "pydantic-core", "httpx2", "pyyaml", "tzdata"):
        assert pins.versions[name] == importlib.metadata.version(name), name
    assert not {"boto3", "pytest", "moto"} & pins.versions.keys()  # no extra followed


def test_a_dependency_not_installed_cannot_be_pinned() -> None:
    with pytest.raises(PackagingError, match="e2echeck-no-such-dist not installed"):
        installed_pins([*RUNTIME, "e2echeck-no-such-dist>=1"])


def test_pins_from_a_constraints_file(tmp_path: Path) -> None:
    constraints = tmp_path / "constraints.txt"
    lines = [f"{name}==1.{i}" for i, name in enumerate(["click", "PyYAML", "pydantic"])]
    constraints.write_text(
        "# comment\n--index-url https://pypi.invalid/simple\n\n"
        + "\n".join(lines)
        + "\nhttpx2[http2]==2.0 ; python_version >= '3.11'  # via e2echeck\n"
        "pagerduty==7.0\npython_jsonpath==2.0\ntzdata==2024.1\n"
        "dnspython==2.9.0\n    # via e2echeck\n"
        "e2echeck @ file:///src/e2echeck\n"  # as `pip freeze` names it: its source is copied
    )
    pins = constraint_pins(constraints, RUNTIME)
    assert pins.versions == {
        "click": "1.0",
        "pyyaml": "1.1",
        "pydantic": "1.2",
        "httpx2": "2.0",
        "pagerduty": "7.0",
        "python-jsonpath": "2.0",
        "tzdata": "2024.1",
        "dnspython": "2.9.0",
    }
    assert str(constraints) in pins.source


def test_a_constraints_file_must_pin_every_dependency(tmp_path: Path) -> None:
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("click==8.1.7\n")
    with pytest.raises(
        ConstraintsError, match=r"pins no version of dnspython, httpx2, pagerduty, pydantic"
    ):
        constraint_pins(constraints, RUNTIME)
    constraints.write_text("click==8.1.7\npyyaml>=6\n")
    with pytest.raises(ConstraintsError, match=r"constraints.txt:2: expected a pin .*'pyyaml>=6'"):
        constraint_pins(constraints, RUNTIME)
    with pytest.raises(ConstraintsError, match="cannot read the constraints file"):
        constraint_pins(tmp_path / "missing.txt", RUNTIME)


def test_cli_exits_2_on_a_bad_constraints_file(valid_config: Path, tmp_path: Path) -> None:
    constraints = tmp_path / "pins.txt"
    constraints.write_text("click>=8\n")
    output = tmp_path / "x.zip"
    result = run_cli(
        "package", str(valid_config), "-o", str(output), "--constraints", str(constraints)
    )
    assert result.exit_code == 2, result.output
    assert f"{constraints}:1: expected a pin" in result.stderr
    assert "Traceback" not in result.output
    result = run_cli("package", str(valid_config), "--constraints", str(tmp_path / "none.txt"))
    assert result.exit_code == 2 and "none.txt" in result.stderr
    assert not output.exists()


def test_the_manifest_names_every_bundled_package_and_nothing_that_varies(
    tmp_path: Path,
) -> None:
    for name, version in (("PyYAML", "6.0.3"), ("pydantic_core", "2.41.5")):
        info = tmp_path / f"{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nName: not this\n"
        )
    packages = bundled_packages(tmp_path)
    assert packages == ("pydantic-core==2.41.5", "pyyaml==6.0.3")

    manifest = manifest_bytes("3.12", "arm64", list(reversed(packages)))
    assert manifest == manifest_bytes("3.12", "arm64", packages)  # no timestamp, sorted
    document = json.loads(manifest)
    from e2echeck import __version__

    assert document == {
        "e2echeck": __version__,
        "python": "3.12",
        "arch": "arm64",
        "platform": "manylinux2014_aarch64",
        "packages": ["pydantic-core==2.41.5", "pyyaml==6.0.3"],
    }

    # The handler's cold-start line: the manifest, and the Python that runs it.
    (tmp_path / MANIFEST_NAME).write_bytes(manifest)
    record = manifest_record(tmp_path / MANIFEST_NAME)
    assert record == {"type": "manifest", **document, "running_python": record["running_python"]}
    assert record["running_python"].startswith("3.")
    assert manifest_record(tmp_path / "absent.json") is None
    (tmp_path / MANIFEST_NAME).write_text("{not json")
    broken = manifest_record(tmp_path / MANIFEST_NAME)
    assert broken is not None and broken["error"].startswith(f"cannot read {MANIFEST_NAME}")


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
    pinned = next(line for line in result.stdout.splitlines() if line.startswith("pinned:"))
    assert "to the versions installed beside e2echeck" in pinned, result.stdout
    assert f"manifest: {MANIFEST_NAME} in the zip" in result.stdout

    with zipfile.ZipFile(output) as archive:
        names = archive.namelist()
        assert archive.read("checks.yaml").decode() == VALID  # renamed, at the root
        manifest = json.loads(archive.read(MANIFEST_NAME))
    assert (manifest["python"], manifest["arch"]) == (python, arch)
    # Every package is pinned to this environment's version, whatever the target.
    assert f"pydantic-core=={importlib.metadata.version('pydantic-core')}" in manifest["packages"]
    assert f"click=={importlib.metadata.version('click')}" in manifest["packages"]
    assert len(manifest["packages"]) == int(pinned.split()[1])
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
    assert not [n for n in names if n.startswith("dns/")]  # no dns:// check, no dnspython
