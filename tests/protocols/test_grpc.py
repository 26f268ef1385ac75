"""The grpc:// and grpcs:// kinds against a real gRPC health server on
127.0.0.1 (grpcio): SERVING, NOT_SERVING, an unknown service, no server, TLS
with a private CA, and the clear error when the grpc extra is missing."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from e2echeck.config import Config
from e2echeck.engine import Outcome, run_checks
from tests.support.grpc_health import HealthServer
from tests.support.servers import unused_port

pytest.importorskip("grpc")

STATUSES = {"": "SERVING", "orders.v1.Orders": "SERVING", "billing.v1.Billing": "NOT_SERVING"}


@pytest.fixture(scope="module")
def health() -> Iterator[HealthServer]:
    with HealthServer(STATUSES) as server:
        yield server


def _run(make_config: Callable[..., Config], **check: Any) -> Any:
    return run_checks(make_config([{"name": "g", **check}])).results[0]


def test_the_servers_overall_health_and_a_services(
    make_config: Callable[..., Config], health: HealthServer
) -> None:
    overall = _run(make_config, url=health.url)
    assert overall.outcome is Outcome.OK, overall.failures
    assert overall.details == {"url": health.url, "service": "", "status": "SERVING"}
    orders = _run(
        make_config,
        url=health.url,
        grpc={"service": "orders.v1.Orders"},
        expect={"status": "SERVING"},
    )
    assert orders.outcome is Outcome.OK, orders.failures
    assert health.asked[-2:] == ["", "orders.v1.Orders"]
    assert orders.kind_details.status_cell == "OK"


def test_not_serving_fails_naming_the_service(
    make_config: Callable[..., Config], health: HealthServer
) -> None:
    result = _run(make_config, url=health.url, grpc={"service": "billing.v1.Billing"})
    assert result.outcome is Outcome.FAILED
    assert result.failures == [
        f"health of service 'billing.v1.Billing' at 127.0.0.1:{health.port} is NOT_SERVING, "
        "expected SERVING"
    ]
    expected = _run(
        make_config,
        url=health.url,
        grpc={"service": "billing.v1.Billing"},
        expect={"status": "not_serving"},
    )
    assert expected.outcome is Outcome.OK, expected.failures


def test_an_unknown_service_is_service_unknown(
    make_config: Callable[..., Config], health: HealthServer
) -> None:
    result = _run(make_config, url=health.url, grpc={"service": "nope.v1.Nope"})
    assert result.outcome is Outcome.FAILED
    assert result.failures == [
        f"health of service 'nope.v1.Nope' at 127.0.0.1:{health.port} is SERVICE_UNKNOWN, "
        "expected SERVING"
    ]
    assert result.details["code"] == "NOT_FOUND"


def test_no_server_is_unavailable_in_plain_words(make_config: Callable[..., Config]) -> None:
    port = unused_port()
    result = _run(make_config, url=f"grpc://127.0.0.1:{port}", timeout="2s")
    assert result.outcome is Outcome.FAILED
    assert result.failures[0].startswith(f"gRPC server 127.0.0.1:{port} is unavailable")


def test_grpcs_verifies_against_ca_file(
    make_config: Callable[..., Config], tls_ca: Any, tls_ca_file: str
) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    cert = tls_ca.issue_cert(
        "127.0.0.1",
        "localhost",
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=30),
    )
    with HealthServer({"": "SERVING"}, tls=cert) as server:
        trusted = _run(make_config, url=server.url, ca_file=tls_ca_file)
        assert trusted.outcome is Outcome.OK, trusted.failures
        untrusted = _run(make_config, url=server.url, timeout="2s")
        assert untrusted.outcome is Outcome.FAILED
        assert untrusted.failures[0].startswith(
            f"gRPC server 127.0.0.1:{server.port} is unavailable"
        )


def test_without_grpcio_validate_names_the_extra(tmp_path: Path) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text("version: 1\nchecks:\n  - name: g\n    url: grpc://127.0.0.1:50051\n")
    # This machine has grpcio: the child process is made not to find it.
    code = (
        "import importlib.util, sys\n"
        "real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, *a: None if name.split('.')[0] == 'grpc' "
        "else real(name, *a)\n"
        "from e2echeck.cli import main\n"
        f"main(['validate', {str(path)!r}])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert (
        f"{path}:4:10: checks[0].url: grpc:// checks need the grpc extra, which is not "
        "installed: install e2echeck with its grpc extra"
    ) in done.stdout + done.stderr
