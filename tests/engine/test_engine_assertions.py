"""Every assertion kind, against real responses, with its reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from e2echeck.config import Config, Expect
from e2echeck.engine import Outcome, run_checks
from e2echeck.kinds.http.assertions import evaluate
from e2echeck.kinds.http.exchange import Exchange
from tests.support.servers import TestServer

MakeConfig = Callable[..., Config]

DOCUMENT = {
    "status": "DOWN",
    "replicas": 3,
    "ratio": 0.5,
    "version": "2.10.1",
    "ready": True,
    "owner": None,
    "tags": ["api", "blue"],
    "items": [{"state": "UP"}, {"state": "UP"}, {"state": "DOWN"}],
    "meta": {"region": "eu-west-1"},
    "name": "payments-api",
}


def json_failures(
    server: TestServer, make_config: MakeConfig, assertions: dict[str, Any]
) -> list[str]:
    url = server.set_json("document", DOCUMENT)
    config = make_config([{"name": "j", "url": url, "expect": {"json": assertions}}])
    failures: list[str] = run_checks(config).results[0].failures
    return failures


@pytest.mark.parametrize(
    ("assertion", "reason"),
    [
        ({"$.status": "UP"}, "$.status was 'DOWN', expected 'UP'"),
        ({"$.status": {"eq": "UP"}}, "$.status was 'DOWN', expected 'UP'"),
        ({"$.ready": 1}, "$.ready was true, expected 1"),
        ({"$.status": {"ne": "DOWN"}}, "$.status was 'DOWN', expected anything but 'DOWN'"),
        ({"$.replicas": {"gt": 3}}, "$.replicas was 3, expected greater than 3"),
        ({"$.replicas": {"ge": 4}}, "$.replicas was 3, expected at least 4"),
        ({"$.replicas": {"lt": 3}}, "$.replicas was 3, expected less than 3"),
        ({"$.ratio": {"le": 0.25}}, "$.ratio was 0.5, expected at most 0.25"),
        (
            {"$.status": {"gt": 1}},
            "$.status was 'DOWN' (a string, not a number), expected greater than 1",
        ),
        (
            {"$.name": {"contains": "billing"}},
            "$.name was 'payments-api', expected it to contain 'billing'",
        ),
        (
            {"$.tags": {"contains": "green"}},
            '$.tags was ["api", "blue"], expected it to contain \'green\'',
        ),
        (
            {"$.version": {"matches": "^3\\."}},
            "$.version was '2.10.1', expected it to match /^3\\./",
        ),
        ({"$.missing": {"exists": True}}, "$.missing does not exist, expected it to exist"),
        (
            {"$.status": {"exists": False}},
            "$.status exists (it was 'DOWN'), expected it not to exist",
        ),
        ({"$.tags": {"type": "object"}}, "$.tags was an array, expected an object"),
        ({"$.replicas": {"type": "string"}}, "$.replicas was an integer, expected a string"),
        ({"$.missing": "x"}, "$.missing was not found, expected 'x'"),
        (
            {"$.items[*].state": "UP"},
            "$.items[*].state was 'DOWN' (one of 3 values), expected 'UP'",
        ),
    ],
)
def test_json_operator_failures(
    http_server: TestServer, make_config: MakeConfig, assertion: dict[str, Any], reason: str
) -> None:
    assert json_failures(http_server, make_config, assertion) == [reason]


PASSING = [
    ("$.status", "DOWN"),
    ("$.replicas", {"eq": 3.0}),
    ("$.ready", True),
    ("$.owner", None),
    ("$.meta", {"eq": {"region": "eu-west-1"}}),
    ("$.meta.region", {"ne": "us-east-1"}),
    ("$.ratio", {"gt": 0.1}),
    ("$['replicas']", {"ge": 3}),
    ("$.tags[0]", {"lt": "b"}),
    ("$.version", {"le": "2.9"}),
    ("$.name", {"contains": "pay"}),
    ("$.tags", {"contains": "blue"}),
    ("$.items[0]", {"contains": "state"}),
    ("$.meta.region", {"matches": "^eu-"}),
    ("$.ready", {"exists": True}),
    ("$.nope", {"exists": False}),
    ("$.items", {"type": "array"}),
    ("$.meta", {"type": "object"}),
    ("$.ratio", {"type": "number"}),
    ("$.replicas", {"type": "integer"}),
    ("$.ready", {"type": "boolean"}),
    ("$.owner", {"type": "null"}),
    ("$.name", {"type": "string"}),
    ("$.items[0:2].state", "UP"),
]


def test_json_operators_that_pass(http_server: TestServer, make_config: MakeConfig) -> None:
    url = http_server.set_json("document", DOCUMENT)
    config = make_config(
        [
            {"name": f"pass-{i}", "url": url, "expect": {"json": {path: operand}}}
            for i, (path, operand) in enumerate(PASSING)
        ]
    )
    failures = {r.name: r.failures for r in run_checks(config).results if not r.ok}
    assert failures == {}


def test_every_failing_json_assertion_is_reported(
    http_server: TestServer, make_config: MakeConfig
) -> None:
    failures = json_failures(http_server, make_config, {"$.status": "UP", "$.replicas": {"gt": 5}})
    assert failures == [
        "$.status was 'DOWN', expected 'UP'",
        "$.replicas was 3, expected greater than 5",
    ]


def test_json_assertion_on_a_non_json_body(
    http_server: TestServer, make_config: MakeConfig
) -> None:
    config = make_config(
        [{"name": "j", "url": http_server.url("/status/200"), "expect": {"json": {"$.a": 1}}}]
    )
    (reason,) = run_checks(config).results[0].failures
    assert reason.startswith("the body is not JSON: ")


def test_body_assertions(http_server: TestServer, make_config: MakeConfig) -> None:
    page = http_server.url("/")
    config = make_config(
        [
            {
                "name": "good",
                "url": page,
                "expect": {
                    "body_contains": ["Example Domain", "examples"],
                    "body_not_contains": "maintenance",
                    "body_matches": "<h1>\\w+ Domain</h1>",
                },
            },
            {
                "name": "bad",
                "url": page,
                "expect": {
                    "body_contains": ["Welcome"],
                    "body_not_contains": ["Example"],
                    "body_matches": "version: \\d+",
                },
            },
        ]
    )
    good, bad = run_checks(config).results
    assert good.outcome is Outcome.OK
    assert bad.failures == [
        "body does not contain 'Welcome'",
        "body contains 'Example'",
        "body does not match /version: \\d+/",
    ]
    assert "Example Domain" in bad.details["body_excerpt"]


def test_header_assertions(http_server: TestServer, make_config: MakeConfig) -> None:
    url = http_server.set_json("h", {"a": 1})
    config = make_config(
        [
            {"name": "ok", "url": url, "expect": {"headers": {"Content-Type": "application/json"}}},
            {
                "name": "bad",
                "url": url,
                "expect": {"headers": {"content-type": "text/html", "X-Request-Id": "abc"}},
            },
        ]
    )
    ok, bad = run_checks(config).results
    assert ok.outcome is Outcome.OK
    assert bad.failures == [
        "header content-type was 'application/json', expected 'text/html'",
        "header X-Request-Id is missing, expected 'abc'",
    ]


def test_max_response_time(http_server: TestServer, make_config: MakeConfig) -> None:
    config = make_config(
        [
            {
                "name": "slow",
                "url": http_server.url("/delay/0.3"),
                "expect": {"max_response_time": "100ms"},
            },
            {
                "name": "fast",
                "url": http_server.url("/status/200"),
                "expect": {"max_response_time": "5s"},
            },
        ]
    )
    slow, fast = run_checks(config).results
    assert slow.outcome is Outcome.FAILED
    assert slow.reason.startswith("response took ")
    assert slow.reason.endswith("ms, maximum 100ms")
    assert fast.outcome is Outcome.OK


def test_tls_certificate_valid(
    tls_server: TestServer, make_config: MakeConfig, tls_client_context: Any
) -> None:
    config = make_config(
        [{"name": "t", "url": tls_server.url("/"), "expect": {"tls_cert_min_days": 14}}]
    )
    result = run_checks(config, ssl_context=tls_client_context).results[0]
    assert result.outcome is Outcome.OK, result.failures


def test_tls_certificate_expiring_soon(
    tls_server_expiring: TestServer, make_config: MakeConfig, tls_client_context: Any
) -> None:
    config = make_config(
        [{"name": "t", "url": tls_server_expiring.url("/"), "expect": {"tls_cert_min_days": 14}}]
    )
    result = run_checks(config, ssl_context=tls_client_context).results[0]
    assert result.outcome is Outcome.FAILED
    assert result.reason.startswith("TLS certificate expires in 3 days (on ")
    assert result.reason.endswith("), minimum 14")


def test_tls_certificate_expired(
    tls_server_expired: TestServer, make_config: MakeConfig, tls_client_context: Any
) -> None:
    url = tls_server_expired.url("/")
    config = make_config(
        [
            {"name": "verified", "url": url, "expect": {"tls_cert_min_days": 14}},
            {
                "name": "unverified",
                "url": url,
                "verify_tls": False,
                "expect": {"tls_cert_min_days": 1},
            },
        ]
    )
    verified, unverified = run_checks(config, ssl_context=tls_client_context).results
    assert verified.failures == [
        f"TLS certificate of 127.0.0.1:{tls_server_expired.port} is not valid: "
        "certificate has expired"
    ]
    assert unverified.details["status_code"] == 200
    assert unverified.reason.startswith("TLS certificate expired 1 day ago (on ")


def test_tls_cert_min_days_on_plain_http(http_server: TestServer, make_config: MakeConfig) -> None:
    """A URL from the environment passes validation (the file may run against https
    elsewhere); at run time the check fails, saying why."""
    url = "${PLAIN_HTTP_URL:-" + http_server.url("/") + "}"
    config = make_config([{"name": "t", "url": url, "expect": {"tls_cert_min_days": 1}}])
    (reason,) = run_checks(config).results[0].failures
    assert reason.startswith("tls_cert_min_days needs an https:// URL")


def _exchange(**overrides: Any) -> Exchange:
    fields: dict[str, Any] = {
        "method": "GET",
        "url": "https://api.example.com/",
        "status_code": 200,
        "headers": {},
        "body": b"",
        "truncated": False,
        "elapsed": 0.01,
        "is_tls": True,
    }
    fields.update(overrides)
    return Exchange(**fields)


def test_certificate_days_are_rounded_readably() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    expect = Expect.model_validate({"tls_cert_min_days": 14})
    soon = _exchange(cert_not_after=now + timedelta(hours=5))
    assert evaluate(expect, soon, now=now) == [
        "TLS certificate expires in 5 hours (on 2026-01-01), minimum 14"
    ]
    fine = _exchange(cert_not_after=now + timedelta(days=30))
    assert evaluate(expect, fine, now=now) == []


def test_a_body_in_another_charset_is_decoded() -> None:
    expect = Expect.model_validate({"body_contains": "café"})
    exchange = _exchange(body="café".encode("latin-1"), charset="latin-1")
    assert evaluate(expect, exchange) == []
