"""The socket kinds through `run`: the text and JSON reports, JUnit, and a
trigger then a resolve in the fake Events API, with the target as `source`."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import run_cli
from tests.support.configs import config_document, write_config
from tests.support.dns import DnsServer
from tests.support.junit import facts_of, xsd_errors
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import tls_context, unused_port
from tests.support.sockets import SocketServer, banner, read_line, starttls, tls_idle

KEY = "R0UTINGKEY0123456789ABCDEFGHIJKL"


def _run(path: Path, *args: str) -> Any:
    return run_cli("run", str(path), *args, env={"PAGERDUTY_ROUTING_KEY": KEY})


def test_tcp_and_tls_checks_trigger_then_resolve(
    tmp_path: Path, fake_pd: FakePagerDuty, tls_ca: Any, tls_ca_file: str
) -> None:
    port = unused_port()
    checks = [
        {"name": "db-port", "url": f"tcp://127.0.0.1:{port}", "tags": ["db"]},
        {"name": "api-cert", "url": "tls://127.0.0.1:1", "expect": {"tls_cert_min_days": 21}},
    ]
    with SocketServer(tls_idle, tls=tls_context(tls_ca, days_left=5)) as expiring:
        checks[1]["url"] = expiring.url("tls")
        document = config_document(
            checks,
            defaults={"retries": 0, "timeout": "5s", "ca_file": tls_ca_file},
            events_url=fake_pd.url,
            state=tmp_path / "state.json",
        )
        path = write_config(tmp_path, document)
        junit = tmp_path / "e2e.xml"
        first = _run(path, "--format", "json", "--junit", str(junit))
    assert first.exit_code == 1, first.output
    report = json.loads(first.stdout)
    db, cert = report["checks"]
    assert (db["outcome"], cert["outcome"]) == ("failed", "failed")
    assert db["failures"] == [f"connection refused by 127.0.0.1:{port}"]
    assert db["url"] == f"tcp://127.0.0.1:{port}" and db["connect_ms"] is None
    assert cert["certificate"]["days_left"] == 4 and cert["tls_version"] in ("1.2", "1.3")
    assert cert["failures"][0].startswith("TLS certificate expires in 4 days")
    triggers = {e["dedup_key"]: e for e in fake_pd.events}
    assert {e["event_action"] for e in fake_pd.events} == {"trigger"}
    assert triggers["db-port"]["payload"]["source"] == "127.0.0.1"
    assert triggers["db-port"]["payload"]["summary"].startswith(
        "db-port failed: connection refused"
    )
    details = triggers["api-cert"]["payload"]["custom_details"]
    assert details["certificate"]["days_left"] == 4, details
    testcases = ET.parse(junit).getroot().iter("testcase")
    assert xsd_errors(junit.read_text(encoding="utf-8")) == []
    properties = {case.get("name"): facts_of(case.findtext("system-out")) for case in testcases}
    assert properties["api-cert"]["cert_not_after"] == cert["certificate"]["not_after"]

    fake_pd.reset()
    with (
        SocketServer(banner(b"hello\r\n")) as db_server,
        SocketServer(tls_idle, tls=tls_context(tls_ca, days_left=90)) as renewed,
    ):
        document["checks"][0]["url"] = db_server.url("tcp")
        document["checks"][1]["url"] = renewed.url("tls")
        write_config(tmp_path, document)
        second = _run(path)
    assert second.exit_code == 0, second.output
    assert sorted((e["event_action"], e["dedup_key"]) for e in fake_pd.events) == [
        ("resolve", "api-cert"),
        ("resolve", "db-port"),
    ]
    lines = second.stdout.splitlines()
    assert any(line.startswith("PASS  db-port") and " TCP " in line for line in lines), lines


def test_a_dns_record_that_moves_triggers_and_its_return_resolves(
    tmp_path: Path, fake_pd: FakePagerDuty
) -> None:
    with DnsServer() as resolver:
        document = config_document(
            [
                {
                    "name": "api-record",
                    "url": resolver.url,
                    "dns": {"name": "api.test", "type": "A"},
                    "expect": {"answers": {"contains": "203.0.113.10"}},
                }
            ],
            defaults={"retries": 0, "timeout": "5s"},
            events_url=fake_pd.url,
            state=tmp_path / "state.json",
        )
        path = write_config(tmp_path, document)
        resolver.zone[("api.test.", "A")] = ["198.51.100.7"]  # a failover moved it
        first = _run(path, "--format", "json")
        assert first.exit_code == 1, first.output
        [check] = json.loads(first.stdout)["checks"]
        assert (check["rcode"], check["answers"], check["query"]) == (
            "NOERROR",
            ["198.51.100.7"],
            "A api.test",
        )
        [trigger] = fake_pd.events
        assert trigger["event_action"] == "trigger"
        assert trigger["payload"]["source"] == "127.0.0.1"
        assert trigger["payload"]["summary"] == (
            "api-record failed: A api.test: 203.0.113.10 not in the answer (198.51.100.7)"
        )
        assert trigger["payload"]["custom_details"]["answers"] == ["198.51.100.7"]
        fake_pd.reset()
        resolver.zone[("api.test.", "A")] = ["203.0.113.10"]
        second = _run(path)
    assert second.exit_code == 0, second.output
    assert [(e["event_action"], e["dedup_key"]) for e in fake_pd.events] == [
        ("resolve", "api-record")
    ]
    assert second.stdout.split()[:3] == ["PASS", "api-record", "OK"]


def test_a_grpc_service_not_serving_triggers_and_serving_again_resolves(
    tmp_path: Path, fake_pd: FakePagerDuty
) -> None:
    grpc_health = pytest.importorskip("tests.support.grpc_health")
    with grpc_health.HealthServer({"orders.v1.Orders": "NOT_SERVING"}) as health:
        document = config_document(
            [{"name": "orders-grpc", "url": health.url, "grpc": {"service": "orders.v1.Orders"}}],
            defaults={"retries": 0, "timeout": "5s"},
            events_url=fake_pd.url,
            state=tmp_path / "state.json",
        )
        path = write_config(tmp_path, document)
        first = _run(path, "--format", "json")
        assert first.exit_code == 1, first.output
        [check] = json.loads(first.stdout)["checks"]
        assert (check["service"], check["grpc_status"]) == ("orders.v1.Orders", "NOT_SERVING")
        [trigger] = fake_pd.events
        assert trigger["event_action"] == "trigger"
        assert trigger["payload"]["custom_details"]["status"] == "NOT_SERVING"
        fake_pd.reset()
        health.statuses["orders.v1.Orders"] = "SERVING"
        second = _run(path)
    assert second.exit_code == 0, second.output
    assert [(e["event_action"], e["dedup_key"]) for e in fake_pd.events] == [
        ("resolve", "orders-grpc")
    ]


def test_a_secret_sent_and_echoed_back_is_masked_everywhere(
    tmp_path: Path, fake_pd: FakePagerDuty
) -> None:
    secret = "redis-pa55-0f9e8d7c"

    def echo(conn: Any, server: SocketServer) -> None:
        line = read_line(conn)
        conn.sendall(b"-ERR invalid password: " + line)
        conn.close()

    with SocketServer(echo) as redis:
        document = config_document(
            [
                {
                    "name": "redis-auth",
                    "url": redis.url("tcp"),
                    "send": r"AUTH ${REDIS_PASSWORD}\r\n",
                    "expect": {"banner": r"^\+OK"},
                }
            ],
            defaults={"retries": 0, "timeout": "5s"},
            events_url=fake_pd.url,
        )
        path = write_config(tmp_path, document)
        metrics = tmp_path / "e2e.prom"
        result = run_cli(
            "run",
            str(path),
            "--format",
            "json",
            "--metrics",
            str(metrics),
            env={"PAGERDUTY_ROUTING_KEY": KEY, "REDIS_PASSWORD": secret},
        )
    assert result.exit_code == 1, result.output
    [check] = json.loads(result.stdout)["checks"]
    assert check["failures"][0].startswith("the server closed the connection without a banner")
    assert "-ERR invalid password" in check["banner"]
    [trigger] = fake_pd.events
    assert "-ERR invalid password" in trigger["payload"]["summary"]
    assert secret not in result.output
    assert secret not in json.dumps(fake_pd.events)
    assert secret not in metrics.read_text()
    assert 'check="redis-auth"' in metrics.read_text()


def test_a_mail_certificate_behind_starttls_triggers_then_resolves(
    tmp_path: Path, fake_pd: FakePagerDuty, tls_ca: Any, tls_ca_file: str
) -> None:
    checks = [
        {
            "name": "mail-cert",
            "url": "starttls://127.0.0.1:1",
            "starttls": "smtp",
            "expect": {"tls_cert_min_days": 14},
        }
    ]
    with SocketServer(starttls("smtp", tls_context(tls_ca, days_left=5))) as expiring:
        checks[0]["url"] = expiring.url("starttls")
        document = config_document(
            checks,
            defaults={"retries": 0, "timeout": "5s", "ca_file": tls_ca_file},
            events_url=fake_pd.url,
            state=tmp_path / "state.json",
        )
        path = write_config(tmp_path, document)
        first = _run(path, "--format", "json")
    assert first.exit_code == 1, first.output
    (mail,) = json.loads(first.stdout)["checks"]
    assert mail["outcome"] == "failed" and mail["certificate"]["days_left"] == 4
    assert mail["failures"][0].startswith("TLS certificate expires in 4 days")
    (trigger,) = fake_pd.events
    assert (trigger["event_action"], trigger["dedup_key"]) == ("trigger", "mail-cert")
    assert trigger["payload"]["source"] == "127.0.0.1"
    assert trigger["payload"]["custom_details"]["certificate"]["days_left"] == 4

    fake_pd.reset()
    with SocketServer(starttls("smtp", tls_context(tls_ca, days_left=90))) as renewed:
        document["checks"][0]["url"] = renewed.url("starttls")
        write_config(tmp_path, document)
        second = _run(path)
    assert second.exit_code == 0, second.output
    assert [(e["event_action"], e["dedup_key"]) for e in fake_pd.events] == [
        ("resolve", "mail-cert")
    ]


def test_a_socket_check_has_thresholds_and_maintenance_like_http(
    tmp_path: Path, fake_pd: FakePagerDuty
) -> None:
    down = unused_port()  # nothing listens: every run fails
    checks = [
        {"name": "db-port", "url": f"tcp://127.0.0.1:{down}", "failure_threshold": 2},
        {"name": "cache-port", "url": f"tcp://127.0.0.1:{down}", "tags": ["cache"]},
    ]
    document = config_document(
        checks,
        defaults={"retries": 0, "timeout": "2s"},
        events_url=fake_pd.url,
        state=tmp_path / "state.json",
    )
    document["maintenance"] = [
        {"name": "cache-move", "from": "2020-01-01T00:00:00Z", "to": "2099-12-31T23:00:00Z",
         "tags": ["cache"]}
    ]  # fmt: skip
    path = write_config(tmp_path, document)

    first = _run(path, "--format", "json")
    outcomes = {c["name"]: c["outcome"] for c in json.loads(first.stdout)["checks"]}
    assert outcomes == {"db-port": "failed", "cache-port": "maintenance"}, first.output
    assert fake_pd.events == []  # one failure of two, and a check in maintenance

    second = _run(path)
    assert second.exit_code == 1, second.output
    assert [(e["event_action"], e["dedup_key"]) for e in fake_pd.events] == [("trigger", "db-port")]
