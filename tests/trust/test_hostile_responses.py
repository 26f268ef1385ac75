"""Hostile response bodies never change an event's identity: keys, dedup keys,
severities and check names reach PagerDuty, the state and the metrics as they
are, and every event is accepted by the strict fake Events API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from e2echeck.lambda_handler import handler, reset_cache
from tests.support.cli import run_cli
from tests.support.configs import write_config
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import Reply, Request, TestServer, json_reply

ROUTING_KEY = "0123456789abcdef0123456789abcdef"
HOSTILE = {
    "components": {"keycloak": {"severity": "critical"}},
    "authMode": "custom",
    "session": "trigger",
    "token": "dedup_key",
}


def _document(base: str, events_url: str, state: Path) -> dict[str, Any]:
    return {
        "version": 1,
        "defaults": {"retries": 0, "timeout": "5s"},
        "pagerduty": {
            "routing_key": "${PAGERDUTY_ROUTING_KEY}",
            "events_url": events_url,
            "body_excerpt": True,
        },
        "state": {"path": str(state)},
        "checks": [
            {"name": "acme-api", "url": f"{base}/bad", "tags": ["critical"]},
            {"name": "globex-api", "url": f"{base}/good"},
        ],
    }


def test_a_hostile_body_pages_with_the_events_identity_intact(
    fake_pd: FakePagerDuty, tmp_path: Path
) -> None:
    with TestServer() as site:

        def bad(request: Request) -> Reply:
            return json_reply(HOSTILE, status=500)

        site.add_route("GET", r"/bad", bad)
        site.add_route("GET", r"/good", lambda request: json_reply({"ok": True}))
        state = tmp_path / "state.json"
        config = write_config(tmp_path, _document(site.url("").rstrip("/"), fake_pd.url, state))
        json_path, metrics_path = tmp_path / "report.json", tmp_path / "metrics.prom"

        result = run_cli(
            "run",
            str(config),
            "-vv",
            "--json",
            str(json_path),
            "--metrics",
            str(metrics_path),
            env={"PAGERDUTY_ROUTING_KEY": ROUTING_KEY},
        )

    assert result.exit_code == 1, result.output
    assert all(r.status == 202 for r in fake_pd.requests), fake_pd.requests
    event = next(r.body for r in fake_pd.requests if r.body["event_action"] == "trigger")
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == "acme-api"
    payload = event["payload"]
    assert payload["severity"] == "critical" or payload["severity"] in ("error", "warning")
    assert "custom_details" in payload
    assert payload["custom_details"]["tags"] == ["critical"]
    assert "custom" not in json.dumps(payload["custom_details"]["body_excerpt"]).replace(
        "custom_details", ""
    )
    saved = json.loads(state.read_text())
    assert set(saved["alerts"]) == {"acme-api", "globex-api"} or "acme-api" in saved["alerts"]
    metrics = metrics_path.read_text()
    assert 'check="acme-api"' in metrics and 'check="globex-api"' in metrics
    report = json.loads(json_path.read_text())
    assert {c["name"] for c in report["checks"]} == {"acme-api", "globex-api"}


def test_a_secret_inside_a_check_name_is_a_config_error(tmp_path: Path) -> None:
    document = {
        "version": 1,
        "redact": {"env": ["TENANT_A", "TENANT_B"]},
        "checks": [
            {"name": "${TENANT_A}-api", "url": "https://a.example.com/health"},
            {
                "name": "globex",
                "dedup_key": "${TENANT_B}-api",
                "url": "https://b.example.com/health",
                "tags": ["t-${TENANT_A}"],
            },
        ],
    }
    config = write_config(tmp_path, document)

    result = run_cli("validate", str(config), env={"TENANT_A": "acme", "TENANT_B": "globex"})

    assert result.exit_code == 2, result.output
    assert "checks[0].name" in result.output
    assert "checks[1].dedup_key" in result.output
    assert "checks[1].tags[0]" in result.output
    assert "rename the check" in result.output
    assert "acme" not in result.output and "globex-api" not in result.output


def test_names_and_dedup_keys_beginning_with_e2echeck_are_reserved(tmp_path: Path) -> None:
    document = {
        "version": 1,
        "checks": [
            {"name": "e2echeck-location-c", "url": "https://a.example.com/health"},
            {"name": "b", "dedup_key": "e2echeck-x", "url": "https://b.example.com/health"},
        ],
    }
    config = write_config(tmp_path, document)

    result = run_cli("validate", str(config))

    assert result.exit_code == 2, result.output
    assert "checks[0].name" in result.output and "reserved" in result.output
    assert "checks[1].dedup_key" in result.output


def test_a_hostile_body_through_the_lambda_handler(
    fake_pd: FakePagerDuty,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with TestServer() as site:
        site.add_route("GET", r"/bad", lambda request: json_reply(HOSTILE, status=500))
        site.add_route("GET", r"/good", lambda request: json_reply({"ok": True}))
        state = tmp_path / "state.json"
        config = write_config(tmp_path, _document(site.url("").rstrip("/"), fake_pd.url, state))
        monkeypatch.setenv("PAGERDUTY_ROUTING_KEY", ROUTING_KEY)
        reset_cache()
        try:
            summary = handler({"config": str(config)}, None)
        finally:
            reset_cache()

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    checks = {line["name"] for line in lines if line.get("type") == "check"}
    assert checks == {"acme-api", "globex-api"}
    metrics = [line for line in lines if line.get("type") == "metrics" and "check" in line]
    assert {line["check"] for line in metrics} == {"acme-api", "globex-api"}
    assert all(r.status == 202 for r in fake_pd.requests), fake_pd.requests
    trigger = next(r.body for r in fake_pd.requests if r.body["event_action"] == "trigger")
    assert trigger["dedup_key"] == "acme-api" and "custom_details" in trigger["payload"]
    assert summary["summary"]["failed"] == 1
