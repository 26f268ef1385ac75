"""Every new kind through the Lambda handler (in-process, a fake context): the
summary it returns and the events the fake Events API received."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2echeck import lambda_handler
from e2echeck.lambda_handler import handler
from tests.support.configs import config_document, write_config
from tests.support.dns import DnsServer
from tests.support.lambda_runtime import FakeContext
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import tls_context, unused_port
from tests.support.sockets import SocketServer, banner, tls_idle

KEY = "R0UTINGKEY0123456789ABCDEFGHIJKL"


@pytest.fixture(autouse=True)
def _cold_container(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PAGERDUTY_ROUTING_KEY", KEY)
    monkeypatch.delenv("E2ECHECK_CONFIG", raising=False)
    monkeypatch.delenv("E2ECHECK_STATE", raising=False)
    lambda_handler.reset_cache()
    yield
    lambda_handler.reset_cache()


def test_the_handler_runs_every_kind_and_pages_the_failing_one(
    tmp_path: Path, fake_pd: FakePagerDuty, tls_ca: Any, tls_ca_file: str
) -> None:
    grpc_health = pytest.importorskip("tests.support.grpc_health")
    closed = unused_port()
    with (
        SocketServer(banner(b"220 ready\r\n")) as smtp,
        SocketServer(tls_idle, tls=tls_context(tls_ca, days_left=60)) as tls,
        DnsServer() as resolver,
        grpc_health.HealthServer({"": "SERVING"}) as health,
    ):
        checks = [
            {"name": "smtp", "url": smtp.url("tcp"), "expect": {"banner": "^220"}},
            {"name": "cert", "url": tls.url("tls"), "expect": {"tls_cert_min_days": 21}},
            {"name": "record", "url": resolver.url, "dns": {"name": "api.test"}},
            {"name": "health", "url": health.url},
            {"name": "db", "url": f"tcp://127.0.0.1:{closed}"},
        ]
        document = config_document(
            checks,
            defaults={"retries": 0, "timeout": "5s", "ca_file": tls_ca_file},
            events_url=fake_pd.url,
        )
        path = write_config(tmp_path, document)
        summary = handler({"config": str(path)}, FakeContext())
    outcomes = {check["name"]: check["outcome"] for check in summary["checks"]}
    assert outcomes == {
        "smtp": "ok",
        "cert": "ok",
        "record": "ok",
        "health": "ok",
        "db": "failed",
    }, summary
    assert summary["summary"]["exit_code"] == 1
    actions = {e["dedup_key"]: e["event_action"] for e in fake_pd.events}
    assert actions == {
        "smtp": "resolve",
        "cert": "resolve",
        "record": "resolve",
        "health": "resolve",
        "db": "trigger",
    }
    trigger = next(e for e in fake_pd.events if e["event_action"] == "trigger")
    assert trigger["payload"]["summary"] == f"db failed: connection refused by 127.0.0.1:{closed}"
