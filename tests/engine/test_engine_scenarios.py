"""Multi-step scenarios: order, captures (JSONPath, header, regex), cookies, first failure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from e2echeck.config import Config
from e2echeck.engine import Outcome, run_checks
from tests.support.servers import TestServer

MakeConfig = Callable[..., Config]


def roundtrip(server: TestServer) -> list[dict[str, Any]]:
    return [
        {
            "name": "create",
            "method": "POST",
            "url": server.url("/orders"),
            "json": {"item": "probe", "quantity": 2},
            "expect": {"status": 201, "json": {"$.item": "probe"}},
            "capture": {
                "order_id": "$.id",
                "header_id": {"header": "X-Order-Id"},
                "regex_id": {"regex": '"id":\\s*"([0-9a-f]+)"'},
            },
        },
        {
            "name": "read",
            "url": server.url("/orders/{{ order_id }}"),
            "params": {"via": "{{ header_id }}"},
            "expect": {"status": 200, "json": {"$.item": "probe", "$.quantity": {"ge": 1}}},
        },
        {
            "name": "delete",
            "method": "DELETE",
            "url": server.url("/orders/{{ regex_id }}"),
            "expect": {"status": [200, 204]},
        },
        {
            "name": "gone",
            "url": server.url("/orders/{{ order_id }}"),
            "expect": {"status": 404},
        },
    ]


def test_create_read_delete_with_every_capture_kind(
    http_server: TestServer, make_config: MakeConfig
) -> None:
    before = len(http_server.orders)
    config = make_config([{"name": "orders", "steps": roundtrip(http_server)}])
    result = run_checks(config).results[0]
    assert result.outcome is Outcome.OK, result.failures
    assert result.details["status_code"] == 404  # the last step's
    assert result.kind_details.step is None
    assert len(http_server.orders) == before  # created, then deleted
    reads = [r for r in http_server.log if r.method == "GET" and r.path.startswith("/orders/")]
    order_id = reads[-2].path.rsplit("/", 1)[1]
    assert reads[-2].query == {"via": [order_id]}  # the header capture fed the params


def test_first_failing_step_fails_the_check_and_stops(
    http_server: TestServer, make_config: MakeConfig
) -> None:
    steps = roundtrip(http_server)
    steps[1]["expect"] = {"status": 200, "json": {"$.item": "other"}}
    config = make_config([{"name": "orders", "steps": steps}])
    deletes_before = sum(1 for r in http_server.log if r.method == "DELETE")
    result = run_checks(config).results[0]
    assert result.outcome is Outcome.FAILED
    assert result.kind_details.step == "read"
    assert result.failures == ["step read: $.item was 'probe', expected 'other'"]
    assert result.details["method"] == "GET"
    assert "/orders/" in result.details["url"]
    assert sum(1 for r in http_server.log if r.method == "DELETE") == deletes_before


def test_a_failed_capture_fails_its_step(http_server: TestServer, make_config: MakeConfig) -> None:
    url = http_server.set_json("no-id", {"name": "x"})
    config = make_config(
        [
            {
                "name": "cap",
                "steps": [
                    {"name": "one", "url": url, "capture": {"the_id": "$.id"}},
                    {"name": "two", "url": http_server.url("/orders/{{ the_id }}")},
                ],
            },
            {
                "name": "cap-header",
                "steps": [
                    {"name": "one", "url": url, "capture": {"h": {"header": "X-Missing"}}},
                    {"name": "two", "url": http_server.url("/text?body={{ h }}")},
                ],
            },
            {
                "name": "cap-regex",
                "steps": [
                    {"name": "one", "url": url, "capture": {"r": {"regex": "id=(\\d+)"}}},
                    {"name": "two", "url": http_server.url("/text?body={{ r }}")},
                ],
            },
        ]
    )
    json_cap, header_cap, regex_cap = run_checks(config).results
    assert json_cap.failures == ["step one: cannot capture the_id: $.id was not found in the body"]
    assert json_cap.kind_details.step == "one"
    assert header_cap.failures == [
        "step one: cannot capture h: the response has no X-Missing header"
    ]
    assert regex_cap.failures == [
        "step one: cannot capture r: /id=(\\d+)/ found nothing in the body"
    ]


def test_steps_share_cookies(http_server: TestServer, make_config: MakeConfig) -> None:
    config = make_config(
        [
            {
                "name": "session",
                "steps": [
                    {"name": "login", "url": http_server.url("/cookie/set?value=s3cr3t")},
                    {
                        "name": "use",
                        "url": http_server.url("/cookie/check"),
                        "expect": {"json": {"$.cookie": "session=s3cr3t"}},
                    },
                ],
            }
        ]
    )
    result = run_checks(config).results[0]
    assert result.outcome is Outcome.OK, result.failures


def test_captures_fill_headers_and_bodies_keeping_json_types(
    http_server: TestServer, make_config: MakeConfig
) -> None:
    url = http_server.set_json("numbers", {"count": 7, "token": "tok-1"})
    config = make_config(
        [
            {
                "name": "fill",
                "steps": [
                    {
                        "name": "read",
                        "url": url,
                        "capture": {"count": "$.count", "token": "$.token"},
                    },
                    {
                        "name": "post-json",
                        "method": "POST",
                        "url": http_server.url("/anything/x"),
                        "headers": {"X-Token": "{{ token }}"},
                        "json": {"n": "{{ count }}", "label": "count={{ count }}"},
                        "expect": {
                            "json": {
                                "$.json.n": 7,
                                "$.json.label": "count=7",
                                "$.headers.X-Token": "tok-1",
                            }
                        },
                    },
                    {
                        "name": "post-form",
                        "method": "POST",
                        "url": http_server.url("/anything/y"),
                        "form": {"token": "{{ token }}"},
                        "expect": {"json": {"$.data": "token=tok-1"}},
                    },
                    {
                        "name": "post-body",
                        "method": "POST",
                        "url": http_server.url("/anything/z"),
                        "body": "raw {{ count }}",
                        "expect": {"json": {"$.data": "raw 7"}},
                    },
                ],
            }
        ]
    )
    result = run_checks(config).results[0]
    assert result.outcome is Outcome.OK, result.failures


def test_a_retried_scenario_restarts_from_its_first_step(
    http_server: TestServer, make_config: MakeConfig
) -> None:
    key = http_server.unique("scenario")
    config = make_config(
        [
            {
                "name": "restart",
                "retries": 2,
                "steps": [
                    {"name": "first", "url": http_server.url("/status/200")},
                    {"name": "flaky", "url": http_server.url(f"/flaky/{key}/2")},
                ],
            }
        ]
    )
    before = len(http_server.requests_to("/status/200"))
    result = run_checks(config).results[0]
    assert result.outcome is Outcome.OK
    assert result.attempts == 3
    assert len(http_server.requests_to("/status/200")) - before == 3
    assert result.retried_reasons == [
        "step flaky: expected status 2xx, got 503",
        "step flaky: expected status 2xx, got 503",
    ]
