"""Fixtures for the Lambda handler and the Lambda zip.

Everything runs on 127.0.0.1: a small site with passing and failing endpoints,
a fake PagerDuty Events API v2 that records what it receives, and (for the
zip) a local implementation of the Lambda Runtime API that awslambdaric talks to
(tests/support/lambda_runtime.py). S3 is moto's server (`aws_env`).
"""

from __future__ import annotations

import importlib.metadata
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.http import LocalServer
from tests.support.lambda_runtime import (
    CONFIG,
    ROUTING_KEY,
    BuiltZip,
    FakeContext,
    RuntimeAPI,
    Servers,
    host_target,
    make_runtime_handler,
)


@pytest.fixture
def servers() -> Iterator[Servers]:
    with Servers() as servers:
        yield servers


@pytest.fixture
def lambda_env(servers: Servers, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The function's environment: the routing key and where the servers are."""
    env = {
        "PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
        "E2E_BASE_URL": servers.base_url,
        "E2E_EVENTS_URL": servers.events_url,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("E2ECHECK_CONFIG", raising=False)
    monkeypatch.delenv("E2ECHECK_STATE", raising=False)
    return env


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "checks.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _fresh_container() -> Iterator[None]:
    """Each test starts as a cold container (the handler's module-level cache)."""
    from e2echeck import lambda_handler

    lambda_handler.reset_cache()
    yield
    lambda_handler.reset_cache()


@pytest.fixture
def context() -> FakeContext:
    return FakeContext()


@pytest.fixture(scope="session")
def lambda_zip(tmp_path_factory: pytest.TempPathFactory) -> BuiltZip:
    """The Lambda zip for this machine's Python and architecture, built once."""
    from e2echeck.packaging import build_lambda_zip

    python_version, arch = host_target()
    work = tmp_path_factory.mktemp("zip")
    config = work / "checks.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    info = build_lambda_zip(config, work / "e2echeck-lambda.zip", python_version, arch)
    print(f"\nLambda zip for Python {python_version}/{arch}: {info.size_bytes} bytes")
    return BuiltZip(info.path, info.size_bytes, python_version, arch, config)


@pytest.fixture(scope="session")
def zip_for(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], BuiltZip]:
    """Builds (once per session and Python) the x86_64 zip through
    `e2echeck package --python X.Y`; the host's target reuses `lambda_zip`."""
    built: dict[str, BuiltZip] = {}

    def build(python_version: str) -> BuiltZip:
        if python_version in built:
            return built[python_version]
        if host_target() == (python_version, "x86_64"):
            zipped: BuiltZip = request.getfixturevalue("lambda_zip")
        else:
            work = tmp_path_factory.mktemp(f"zip-{python_version}")
            config = work / "checks.yaml"
            config.write_text(CONFIG, encoding="utf-8")
            output = work / "e2echeck-lambda.zip"
            args = ["package", str(config), "-o", str(output), "--python", python_version]
            result = run_cli(*args, "--arch", "x86_64")
            assert result.exit_code == 0, result.output
            size = output.stat().st_size
            zipped = BuiltZip(output, size, python_version, "x86_64", config)
        built[python_version] = zipped
        return zipped

    return build


@pytest.fixture(scope="session")
def runtime_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """awslambdaric and its dependencies alone in a directory: the /var/runtime
    of the Lambda image, copied from this environment (no download)."""
    try:
        importlib.metadata.distribution("awslambdaric")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(
            "awslambdaric is not installed: pip install -c requirements/ci.txt -e '.[test]'"
        )
    target = tmp_path_factory.mktemp("runtime")
    for name in ("awslambdaric", "simplejson", "snapshot-restore-py"):
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        for file in dist.files or ():
            parts = file.parts
            if parts[0] == ".." or "__pycache__" in parts or file.suffix == ".pyc":
                continue
            source = Path(str(dist.locate_file(file)))
            if source.is_file():
                destination = target / Path(*parts)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, destination)
    return target


@pytest.fixture
def runtime_api() -> Iterator[tuple[RuntimeAPI, str]]:
    """A local Lambda Runtime API; yields it and its address (host:port)."""
    api = RuntimeAPI()
    server = LocalServer(make_runtime_handler(api)).start()
    try:
        yield api, f"127.0.0.1:{server.port}"
    finally:
        api.stopping.set()
        server.stop()


@pytest.fixture(scope="session")
def unpacked_zip(lambda_zip: BuiltZip, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The zip extracted, like /var/task."""
    task = tmp_path_factory.mktemp("task")
    with zipfile.ZipFile(lambda_zip.path) as archive:
        archive.extractall(task)
    return task
