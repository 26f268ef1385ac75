"""The Lambda zip, for real: built by pip for this machine's Python and
architecture, unpacked, and run in a bare interpreter (`python -I -S`, only the
zip's directory on sys.path), directly and through AWS's own runtime client
(awslambdaric) against a local Runtime API. No mocks: local servers and a fake
PagerDuty Events API on 127.0.0.1."""

from __future__ import annotations

import glob
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from e2echeck.packaging import HANDLER, MANIFEST_NAME, build_lambda_zip
from tests.support.cli import run_cli
from tests.support.delivery import FAST_POLICY_ENV
from tests.support.lambda_runtime import ROUTING_KEY, BuiltZip, RuntimeAPI, Servers

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow  # builds the zip with pip (seconds), runs it in fresh interpreters

# Run with `python -I -S -c BARE_RUN <task dir> <event json> <remaining ms>`.
BARE_RUN = """
import json, sys, sysconfig
task, event, remaining = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
sys.path.insert(0, task)
from e2echeck.lambda_handler import handler
import e2echeck.lambda_handler, httpx2, pagerduty, pydantic_core, yaml, click

class Context:
    def get_remaining_time_in_millis(self):
        return remaining

result = handler(event, Context()) if event is not None else None
allowed = (task, sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"])
outside = sorted(
    name for name, module in list(sys.modules.items())
    if getattr(module, "__file__", None) and not module.__file__.startswith(allowed)
)
print("RESULT " + json.dumps({
    "result": result, "outside": outside, "yaml_c": yaml.__with_libyaml__,
    "handler_file": e2echeck.lambda_handler.__file__,
    "python": "%d.%d" % sys.version_info[:2],
}))
"""

# Like the Lambda runtime: /var/task first, then /var/runtime (awslambdaric).
RIC_BOOT = """
import sys
task, runtime, handler = sys.argv[1:4]
sys.path[:0] = [task, runtime]
from awslambdaric.__main__ import main
main(["awslambdaric", handler])
"""


def _lambda_environment(servers: Servers, task: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": str(task),
        "AWS_LAMBDA_FUNCTION_NAME": "e2echeck",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_REGION": "us-east-1",
        "PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
        "E2E_BASE_URL": servers.base_url,
        "E2E_EVENTS_URL": servers.events_url,
        "TMPDIR": str(task.parent / f"{task.name}-tmp"),
        **FAST_POLICY_ENV,
    }


def _bare(
    task: Path,
    env: dict[str, str],
    event: Any,
    remaining_ms: int = 60_000,
    interpreter: str = sys.executable,
) -> dict[str, Any]:
    Path(env["TMPDIR"]).mkdir(exist_ok=True)
    completed = subprocess.run(
        [
            interpreter,
            "-I",
            "-S",
            "-c",
            BARE_RUN,
            str(task),
            json.dumps(event),
            str(remaining_ms),
        ],
        cwd=task,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    line = next(ln for ln in completed.stdout.splitlines() if ln.startswith("RESULT "))
    data: dict[str, Any] = json.loads(line[len("RESULT ") :])
    data["stdout"] = completed.stdout
    return data


def test_zip_contents(lambda_zip: BuiltZip) -> None:
    target = f"{lambda_zip.python_version}/{lambda_zip.arch}"
    print(f"\nLambda zip ({target}): {lambda_zip.size_bytes:,} bytes")
    with zipfile.ZipFile(lambda_zip.path) as archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        assert archive.read("checks.yaml") == lambda_zip.config.read_bytes()
        assert archive.testzip() is None
    assert names == sorted(names)
    assert "e2echeck/lambda_handler.py" in names
    assert "e2echeck/__init__.py" in names
    tops = {name.split("/")[0] for name in names}
    assert {"pydantic_core", "yaml", "httpx2", "pagerduty", "click"} <= tops
    for forbidden in ("boto3", "botocore", "s3transfer", "bin"):
        assert not any(top == forbidden or top.startswith(f"{forbidden}-") for top in tops)
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))]
    assert not [n for n in names if n.endswith("/")]  # no directory entries
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0), info.filename
        assert info.external_attr >> 16 == 0o100644, info.filename
    # The compiled parts are the target's: this machine's CPython and architecture.
    tag = lambda_zip.python_version.replace(".", "")
    assert any(n.startswith("pydantic_core/") and f"cpython-{tag}" in n for n in names)
    assert any(n.startswith("yaml/_yaml") and f"cpython-{tag}" in n for n in names)
    assert wheel_tags(lambda_zip.path, "pydantic_core") == {f"cp{tag}"}
    assert wheel_tags(lambda_zip.path, "pyyaml") == {f"cp{tag}"}
    # No docs or build tooling rides along.
    assert not [n for n in names if "docgen" in n or n.split("/")[0] in ("docs", "tests")]


def test_the_manifest_pins_what_the_zip_holds(lambda_zip: BuiltZip) -> None:
    """Every bundled distribution is in the manifest at the version installed here
    (the environment that validated and ran the checks)."""
    from e2echeck import __version__

    with zipfile.ZipFile(lambda_zip.path) as archive:
        manifest = json.loads(archive.read(MANIFEST_NAME))
        dist_infos = sorted(
            {n.split("/")[0] for n in archive.namelist() if n.split("/")[0].endswith(".dist-info")}
        )
    assert manifest["e2echeck"] == __version__
    assert (manifest["python"], manifest["arch"]) == (lambda_zip.python_version, lambda_zip.arch)
    packages = manifest["packages"]
    assert packages == sorted(packages) and len(packages) == len(dist_infos)
    for package in packages:
        name, version = package.split("==")
        assert version == importlib.metadata.version(name), package
    names = {package.split("==")[0] for package in packages}
    assert {"click", "pydantic", "pydantic-core", "httpx2", "pagerduty", "tzdata"} <= names
    assert not {"boto3", "botocore", "s3transfer"} & names


def test_constraints_pin_the_zip_instead(lambda_zip: BuiltZip, tmp_path: Path) -> None:
    """`package --constraints FILE` takes the file's versions: the lock, with tzdata
    held to an older release than the one installed here."""
    lock = (ROOT / "requirements" / "ci.txt").read_text(encoding="utf-8")
    constraints = tmp_path / "pins.txt"
    constraints.write_text(
        "\n".join(
            "tzdata==2024.2" if line.startswith("tzdata==") else line for line in lock.splitlines()
        )
    )
    output = tmp_path / "pinned.zip"
    args = ["package", str(lambda_zip.config), "-o", str(output), "--constraints", str(constraints)]
    result = run_cli(*args, "--python", lambda_zip.python_version, "--arch", lambda_zip.arch)
    assert result.exit_code == 0, result.output
    assert f"to the versions {constraints} pins" in result.stdout

    with zipfile.ZipFile(output) as archive:
        manifest = json.loads(archive.read(MANIFEST_NAME))
        names = archive.namelist()
    assert "tzdata==2024.2" in manifest["packages"]
    assert any(n.startswith("tzdata-2024.2.dist-info/") for n in names)
    locked = dict(
        line.split("==", 1) for line in lock.splitlines() if "==" in line and line[0].isalnum()
    )
    for package in manifest["packages"]:
        name, version = package.split("==")
        if name != "tzdata":
            assert locked[name] == version, package


def wheel_tags(path: Path, distribution: str) -> set[str]:
    """The Python tags (cp311, py3, ...) of a distribution's wheel inside a zip."""
    with zipfile.ZipFile(path) as archive:
        (wheel,) = [
            name
            for name in archive.namelist()
            if name.lower().startswith(f"{distribution}-") and name.endswith(".dist-info/WHEEL")
        ]
        lines = archive.read(wheel).decode().splitlines()
    return {line.split(": ", 1)[1].split("-")[0] for line in lines if line.startswith("Tag: ")}


def test_same_inputs_give_a_byte_identical_zip(lambda_zip: BuiltZip, tmp_path: Path) -> None:
    again = build_lambda_zip(
        lambda_zip.config, tmp_path / "again.zip", lambda_zip.python_version, lambda_zip.arch
    )
    assert again.size_bytes == lambda_zip.size_bytes
    assert again.path.read_bytes() == lambda_zip.path.read_bytes()


def test_zip_imports_in_a_bare_interpreter(unpacked_zip: Path, servers: Servers) -> None:
    env = _lambda_environment(servers, unpacked_zip)
    data = _bare(unpacked_zip, env, None)
    assert data["outside"] == []  # nothing from the host's site-packages
    assert data["handler_file"].startswith(str(unpacked_zip))
    assert data["yaml_c"] is True  # PyYAML's compiled part loads


def test_zip_runs_the_checks_in_a_bare_interpreter(unpacked_zip: Path, servers: Servers) -> None:
    env = _lambda_environment(servers, unpacked_zip)
    data = _bare(unpacked_zip, env, {"source": "aws.events", "detail-type": "Scheduled Event"})

    assert data["outside"] == []
    summary = data["result"]
    assert summary["config"] == str(unpacked_zip / "checks.yaml")  # the bundled config
    outcomes = {c["name"]: c["outcome"] for c in summary["checks"]}
    assert outcomes == {"up": "ok", "down": "failed"}
    assert servers.actions() == {"up": "resolve", "down-key": "trigger"}
    lines = [json.loads(ln) for ln in data["stdout"].splitlines() if ln.startswith("{")]
    assert sorted(ln["name"] for ln in lines if ln["type"] == "check") == ["down", "up"]
    assert ROUTING_KEY not in data["stdout"]
    # The first line says which versions run: the zip's manifest and the Python.
    manifest = json.loads((unpacked_zip / MANIFEST_NAME).read_text())
    assert lines[0] == {"type": "manifest", **manifest, "running_python": platform.python_version()}


def test_zip_through_awslambdaric(
    unpacked_zip: Path,
    runtime_dir: Path,
    servers: Servers,
    runtime_api: tuple[RuntimeAPI, str],
    tmp_path: Path,
) -> None:
    api, address = runtime_api
    env = _lambda_environment(servers, unpacked_zip)
    env["AWS_LAMBDA_RUNTIME_API"] = address
    env["_HANDLER"] = HANDLER
    Path(env["TMPDIR"]).mkdir(exist_ok=True)
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nchecks: []\n")

    scheduled = api.invoke(
        {
            "version": "0",
            "id": "d77bcbc4-0b2b-4d45-9694-b1df99175cfb",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": "2026-11-27T12:00:00Z",
            "region": "us-east-1",
            "resources": ["arn:aws:events:us-east-1:123456789012:rule/e2echeck"],
            "detail": {},
        }
    )
    only_up = api.invoke({"only": ["up"]})
    invalid = api.invoke({"config": str(broken)})

    log = tmp_path / "function.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-I",
                "-S",
                "-c",
                RIC_BOOT,
                str(unpacked_zip),
                str(runtime_dir),
                HANDLER,
            ],
            cwd=unpacked_zip,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            for invocation in (scheduled, only_up, invalid):
                api.wait(invocation, timeout=90)
        finally:
            process.terminate()
            process.wait(timeout=10)
    output = log.read_text()
    print(output[-3000:])

    assert api.init_errors == []
    assert scheduled.kind == "response", scheduled.body
    outcomes = {c["name"]: c["outcome"] for c in scheduled.body["checks"]}
    assert outcomes == {"up": "ok", "down": "failed"}
    assert scheduled.body["summary"]["exit_code"] == 1

    assert only_up.kind == "response", only_up.body
    assert {c["name"] for c in only_up.body["checks"] if c["outcome"] == "ok"} == {"up"}
    assert only_up.body["summary"]["failed"] == 0

    # An invalid config fails the invocation, with every problem in the message.
    assert invalid.kind == "error"
    assert invalid.body["errorType"] == "ConfigError"
    assert "broken.yaml" in invalid.body["errorMessage"]

    assert [e["event_action"] for e in servers.events].count("trigger") == 1
    check_lines = [json.loads(ln) for ln in output.splitlines() if ln.startswith('{"type":"check"')]
    assert len(check_lines) >= 3  # one per check and run: 2, then 1
    # One cold start, three invocations: the manifest is logged once, before them.
    manifest_lines = [
        json.loads(ln) for ln in output.splitlines() if ln.startswith('{"type":"manifest"')
    ]
    assert len(manifest_lines) == 1, output
    assert (
        manifest_lines[0]["packages"]
        == json.loads((unpacked_zip / MANIFEST_NAME).read_text())["packages"]
    )
    assert output.index('{"type":"manifest"') < output.index('{"type":"check"')
    assert ROUTING_KEY not in output


# Every Lambda Python runtime gets its own zip: pydantic-core and PyYAML have
# compiled parts built per CPython version. The oldest and the newest runtime run
# here under their own Python (.ci/python3.14 installs 3.14 for CI; where no such
# interpreter exists the test skips, and tests/test_packaging.py still checks the
# wheels of a 3.14 build).
RUNTIMES = ("3.11", "3.14")


def _interpreter(python_version: str) -> str | None:
    """An interpreter of that version on this machine (PATH, then pyenv), if any."""
    pyenv = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates = [
        shutil.which(f"python{python_version}"),
        *sorted(glob.glob(f"{pyenv}/versions/{python_version}.*/bin/python{python_version}")),
    ]
    for candidate in candidates:
        if not candidate:
            continue
        probe = [candidate, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]
        completed = subprocess.run(probe, capture_output=True, text=True, check=False)
        if completed.returncode == 0 and completed.stdout.strip() == python_version:
            return candidate
    return None


@pytest.mark.parametrize("python_version", RUNTIMES)
def test_zip_runs_under_its_python(
    zip_for: Callable[[str], BuiltZip],
    python_version: str,
    servers: Servers,
    tmp_path: Path,
) -> None:
    interpreter = _interpreter(python_version)
    if interpreter is None:
        pytest.skip(
            f"no Python {python_version} on this machine; tests/test_packaging.py "
            "checks the wheel tags of its zip instead"
        )
    task = tmp_path / "task"
    with zipfile.ZipFile(zip_for(python_version).path) as archive:
        archive.extractall(task)
    env = _lambda_environment(servers, task)
    event = {"source": "aws.events", "detail-type": "Scheduled Event"}
    data = _bare(task, env, event, interpreter=interpreter)

    assert data["python"] == python_version
    assert data["outside"] == []  # nothing from that interpreter's site-packages
    assert data["handler_file"].startswith(str(task))
    assert data["yaml_c"] is True  # the wheel's compiled part loads under this Python
    outcomes = {c["name"]: c["outcome"] for c in data["result"]["checks"]}
    assert outcomes == {"up": "ok", "down": "failed"}
    assert servers.actions() == {"up": "resolve", "down-key": "trigger"}
