"""The heartbeat: one GET after a run; a failure is a warning, never fatal."""

from __future__ import annotations

from e2echeck.alerting import ping_heartbeat
from e2echeck.config.redact import config_redactor
from tests.alerting.helpers import make_config, service
from tests.support.pagerduty import HeartbeatServer


def test_heartbeat_is_hit_once(heartbeat_server: HeartbeatServer) -> None:
    config = make_config(
        "http://127.0.0.1:9/v2/enqueue", [service("a")], heartbeat={"url": heartbeat_server.url}
    )
    assert ping_heartbeat(config, redactor=config_redactor(config)) is None
    assert heartbeat_server.hits == 1
    assert heartbeat_server.paths == ["/ping/abc"]


def test_heartbeat_error_status_is_a_warning(heartbeat_server: HeartbeatServer) -> None:
    heartbeat_server.status = 500
    config = make_config(
        "http://127.0.0.1:9/v2/enqueue", [service("a")], heartbeat={"url": heartbeat_server.url}
    )
    warning = ping_heartbeat(config, redactor=config_redactor(config))
    assert warning is not None
    assert "HTTP 500" in warning


def test_unreachable_heartbeat_is_a_redacted_warning(refused_url: str) -> None:
    secret_url = refused_url.replace("/v2/enqueue", "/ping/${TENANT_SECRET}")
    config = make_config(
        "http://127.0.0.1:9/v2/enqueue",
        [service("a")],
        heartbeat={"url": secret_url, "timeout": "1s"},
    )
    warning = ping_heartbeat(config, redactor=config_redactor(config))
    assert warning is not None
    assert "not pinged" in warning
    assert "/ping/***" in warning


def test_no_heartbeat_configured() -> None:
    config = make_config("http://127.0.0.1:9/v2/enqueue", [service("a")])
    assert ping_heartbeat(config, redactor=config_redactor(config)) is None
