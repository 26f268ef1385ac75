"""A scenario that logs in and fails, through the real CLI and the Lambda handler:
the session token, born at run time, appears in no output; the base URL taken
from the environment appears in full in every one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from e2echeck.lambda_handler import handler, reset_cache
from tests.support.cli import run_cli
from tests.support.configs import write_config
from tests.support.pagerduty import FakePagerDuty
from tests.support.pagerduty import Reply as PdReply
from tests.support.servers import Reply, Request, TestServer, json_reply

HEADER_TOKEN = "hdr-tok-7c1d9e2f4a6b8c0d"  # X-Token of the login response
BODY_TOKEN = "body-tok-3e5a7c9b1d2f4e6a"  # access_token of its JSON body
COOKIE_VALUE = "ck-5b7d9f1a3c5e7a9b"  # Set-Cookie: session=...
REFRESH = "refresh-2a4c6e8f0b1d3f5a"  # refresh_token of a failing body, never captured
PASSWORD = "pw-hunter2-9z8y7x"  # from ${E2E_PASSWORD}
ROUTING_KEY = "0123456789abcdef0123456789abcdef"
TOKENS = (HEADER_TOKEN, BODY_TOKEN, COOKIE_VALUE, REFRESH, PASSWORD, ROUTING_KEY)
ORDER_ID = "ord-77321"  # an id: printed in full


def _site(server: TestServer) -> TestServer:
    def login(request: Request) -> Reply:
        return json_reply(
            {"access_token": BODY_TOKEN, "user": {"id": "u-42"}, "order": ORDER_ID},
            headers=[("X-Token", HEADER_TOKEN), ("Set-Cookie", f"session={COOKIE_VALUE}; Path=/")],
        )

    def order(request: Request) -> Reply:
        # Echoes everything it received under keys that look harmless, and fails.
        return json_reply(
            {
                "error": "order rejected",
                "echo_query": request.arg("t"),
                "echo_header": request.headers.get("x-api-key", ""),
                "echo_body": request.json(),
                "echo_cookie": request.headers.get("cookie", ""),
                "refresh_token": REFRESH,
                "order": ORDER_ID,
            },
            status=402,
        )

    server.add_route("POST", r"/login", login)
    server.add_route("POST", r"/orders", order)
    return server


def _document(events_url: str, state: Path, **pagerduty: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "defaults": {"retries": 0, "timeout": "5s"},
        "pagerduty": {
            "routing_key": "${PAGERDUTY_ROUTING_KEY}",
            "events_url": events_url,
            **pagerduty,
        },
        "state": {"path": str(state)},
        "checks": [
            {
                "name": "checkout",
                "steps": [
                    {
                        "name": "login",
                        "method": "POST",
                        "url": "${E2E_API_URL}/login",
                        "json": {"user": "alice", "password": "${E2E_PASSWORD}"},
                        "capture": {
                            "tok": {"header": "X-Token"},
                            "body_tok": {"json": "$.access_token"},
                            "user_id": "$.user.id",
                        },
                    },
                    {
                        "name": "order",
                        "method": "POST",
                        "url": "${E2E_API_URL}/orders?t={{ tok }}&user={{ user_id }}",
                        "headers": {"X-Api-Key": "{{ tok }}"},
                        "json": {"item": "probe", "session": "{{ body_tok }}", "note": "{{ tok }}"},
                        "expect": {
                            "status": 200,
                            "json": {"$.echo_query": "expected-value"},
                        },
                    },
                ],
            },
            {
                "name": "refresh",
                "method": "POST",
                "url": "${E2E_API_URL}/orders?user=u-42",
                "expect": {"status": 200},
            },
        ],
    }


@pytest.fixture
def site() -> Any:
    with _site(TestServer()) as server:
        yield server


def _env(base_url: str) -> dict[str, str]:
    return {
        "E2E_API_URL": base_url,
        "E2E_PASSWORD": PASSWORD,
        "PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
    }


def _assert_clean(where: str, text: str, base_url: str) -> None:
    for token in TOKENS:
        assert token not in text, f"{token} leaked into {where}"
    assert base_url in text, f"{where} does not show the base URL {base_url}"


def _pd_text(fake_pd: FakePagerDuty) -> str:
    events = [r.body for r in fake_pd.requests]
    for event in events:
        assert event.pop("routing_key") == ROUTING_KEY  # sent only where it belongs
    return json.dumps(events)


def test_a_failing_login_scenario_leaks_no_token(
    site: TestServer, fake_pd: FakePagerDuty, tmp_path: Path
) -> None:
    base_url = site.url("").rstrip("/")
    state = tmp_path / "state.json"
    config = write_config(tmp_path, _document(fake_pd.url, state))
    json_path, junit_path = tmp_path / "report.json", tmp_path / "junit.xml"
    metrics_path = tmp_path / "metrics.prom"

    result = run_cli(
        "run",
        str(config),
        "-vv",
        "--json",
        str(json_path),
        "--junit",
        str(junit_path),
        "--metrics",
        str(metrics_path),
        env=_env(base_url),
    )

    assert result.exit_code == 1, result.output
    # The server really received the token: the scenario used it.
    order = next(r for r in site.log if r.path == "/orders" and r.arg("t"))
    assert order.arg("t") == HEADER_TOKEN
    assert order.headers["x-api-key"] == HEADER_TOKEN
    assert order.json()["session"] == BODY_TOKEN
    assert COOKIE_VALUE in order.headers["cookie"]

    _assert_clean("stdout", result.stdout, base_url)
    for token in TOKENS:
        assert token not in result.stderr
    _assert_clean("the JSON report", json_path.read_text(), base_url)
    _assert_clean("the JUnit report", junit_path.read_text(), base_url)
    _assert_clean("the PagerDuty events", _pd_text(fake_pd), base_url)
    assert state.exists() and all(token not in state.read_text() for token in TOKENS)
    metrics = metrics_path.read_text()
    assert 'check="checkout"' in metrics
    assert all(token not in metrics for token in TOKENS)

    # Masked where the token was, the rest in full.
    report = json.loads(json_path.read_text())
    checkout = next(c for c in report["checks"] if c["name"] == "checkout")
    assert checkout["url"] == f"{base_url}/orders?t=***&user=u-42"
    trigger = next(r.body for r in fake_pd.requests if r.body["dedup_key"] == "checkout")
    details = trigger["payload"]["custom_details"]
    assert details["url"] == f"{base_url}/orders?t=***&user=u-42"
    assert trigger["links"][0]["href"] == details["url"]
    assert ORDER_ID in details["body_excerpt"]
    assert '"refresh_token": "***"' in details["body_excerpt"]
    assert '"echo_query": "***"' in details["body_excerpt"]
    assert "***" in " ".join(details["failures"])  # the reason quoting the token
    assert "/orders" in result.stdout and "body:" in result.stdout


def test_the_state_file_keeps_undelivered_events_without_a_token(
    site: TestServer, fake_pd: FakePagerDuty, tmp_path: Path
) -> None:
    base_url = site.url("").rstrip("/")
    state = tmp_path / "state.json"
    config = write_config(tmp_path, _document(fake_pd.url, state))
    fake_pd.always(PdReply(503))  # the events stay in the state, for the next run

    result = run_cli("run", str(config), env=_env(base_url))

    assert result.exit_code == 3, result.output
    saved = json.loads(state.read_text())
    assert saved["alerts"]["checkout"]["undelivered"], saved
    _assert_clean("the state file", state.read_text(), base_url)
    _assert_clean("the PagerDuty events", _pd_text(fake_pd), base_url)


def test_body_excerpt_false_sends_no_excerpt(
    site: TestServer, fake_pd: FakePagerDuty, tmp_path: Path
) -> None:
    base_url = site.url("").rstrip("/")
    config = write_config(
        tmp_path, _document(fake_pd.url, tmp_path / "state.json", body_excerpt=False)
    )
    result = run_cli("run", str(config), "-vv", env=_env(base_url))

    assert result.exit_code == 1, result.output
    triggers = [r.body for r in fake_pd.requests if r.body["event_action"] == "trigger"]
    assert len(triggers) == 2
    for trigger in triggers:
        assert "body_excerpt" not in trigger["payload"]["custom_details"]
    # -vv still shows the (scrubbed) excerpt: only PagerDuty is spared it.
    assert "body:" in result.stdout and ORDER_ID in result.stdout


def test_the_lambda_log_lines_leak_no_token(
    site: TestServer,
    fake_pd: FakePagerDuty,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base_url = site.url("").rstrip("/")
    state = tmp_path / "state.json"
    config = write_config(tmp_path, _document(fake_pd.url, state))
    for name, value in _env(base_url).items():
        monkeypatch.setenv(name, value)
    reset_cache()
    try:
        summary = handler({"config": str(config)}, None)
    finally:
        reset_cache()

    lines = capsys.readouterr().out
    assert '"type":"check"' in lines and '"type":"summary"' in lines
    _assert_clean("the Lambda log lines", lines, base_url)
    _assert_clean("the Lambda summary", json.dumps(summary), base_url)
    _assert_clean("the PagerDuty events", _pd_text(fake_pd), base_url)
    assert all(token not in state.read_text() for token in TOKENS)
