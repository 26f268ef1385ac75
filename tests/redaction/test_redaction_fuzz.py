"""Hypothesis: a secret in any sensitive position, under any sensitive name,
reaches no output of a failing run (text at -vv, JSON, JUnit, PagerDuty events)."""

from __future__ import annotations

import json
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from e2echeck.config.redact import config_redactor
from e2echeck.engine import run_checks
from e2echeck.redaction import SENSITIVE_WORDS, Redactor, name_rule
from e2echeck.report.json_report import render_json
from e2echeck.report.junit import render_junit
from e2echeck.report.text import render_text
from tests.support.alerting import send_alerts
from tests.support.configs import load_config
from tests.support.servers import Reply, Request, TestServer, json_reply

POSITIONS = (
    "request header",
    "query parameter",
    "form field",
    "json key",
    "response header",
    "response json key",
    "capture name",
    "templated query parameter",
    "templated header",
)


def _case(word: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda upper: "".join(
            c.upper() if u else c.lower() for c, u in zip(word, upper, strict=True)
        )
    )


# A sensitive word in any case, with letters around it: "xAccess_TOKENid".
names = st.tuples(
    st.text(string.ascii_letters, max_size=4),
    st.sampled_from(SENSITIVE_WORDS).flatmap(_case),
    st.sampled_from(["", "_", "-"]),
    st.text(string.ascii_letters, max_size=4),
).map(lambda parts: "x" + "".join(parts))
secrets = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=10, max_size=24).map(
    lambda text: f"S3cr{text}"
)


@pytest.fixture(scope="module")
def echo() -> Any:
    """Answers 500, echoing what it received, and sends `reply` headers and JSON."""
    reply: dict[str, Any] = {"headers": [], "json": {}}

    def handle(request: Request) -> Reply:
        return json_reply(
            {
                "body": request.body.decode("utf-8", "replace"),
                # Every value received, without its name: only a known value is masked here.
                "values": [v for vs in request.query.values() for v in vs]
                + list(request.headers.values()),
                **reply["json"],
            },
            status=500,
            headers=list(reply["headers"]),
        )

    def give(request: Request) -> Reply:
        return json_reply({"value": reply["value"]}, headers=list(reply["headers"]))

    with TestServer() as server:
        server.add_route("*", r"/echo", handle)
        server.add_route("GET", r"/give", give)
        server.reply = reply  # type: ignore[attr-defined]
        yield server


def _check(position: str, name: str, secret: str, base: str) -> dict[str, Any]:
    request: dict[str, Any] = {"name": "probe", "method": "POST", "url": f"{base}/echo"}
    if position == "request header":
        request["headers"] = {name: secret}
    elif position == "query parameter":
        request["params"] = {name: secret}
    elif position == "form field":
        request["form"] = {name: secret}
    elif position == "json key":
        request["json"] = {"outer": {name: secret}}
    elif position in ("templated query parameter", "templated header"):
        use: dict[str, Any] = {"name": "use", "url": f"{base}/echo"}
        if position == "templated header":
            use["headers"] = {name: "{{ plain }}"}
        else:
            use["url"] += f"?{name}={{{{ plain }}}}&page=2"
        return {
            "name": "probe",
            "steps": [
                {"name": "give", "url": f"{base}/give", "capture": {"plain": "$.value"}},
                use,
            ],
        }
    elif position == "capture name":
        capture_name = name.replace("-", "_")
        return {
            "name": "probe",
            "steps": [
                {"name": "give", "url": f"{base}/give", "capture": {capture_name: "$.value"}},
                {
                    "name": "use",
                    "url": f"{base}/echo?q={{{{ {capture_name} }}}}",
                    "headers": {"X-Plain": f"{{{{ {capture_name} }}}}"},
                },
            ],
        }
    return request


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(position=st.sampled_from(POSITIONS), name=names, secret=secrets)
def test_no_sensitive_position_leaks(echo: Any, position: str, name: str, secret: str) -> None:
    echo.reply["value"] = secret
    echo.reply["headers"] = [(name, secret)] if position == "response header" else []
    echo.reply["json"] = {name: secret} if position == "response json key" else {}
    document = {
        "version": 1,
        "defaults": {"retries": 0, "timeout": "5s"},
        "pagerduty": {"routing_key": "r" * 32},
        "checks": [_check(position, name, secret, echo.base_url)],
    }
    config = load_config(document)

    run = run_checks(config)

    assert not run.results[0].ok
    redactor = config_redactor(config).with_secrets(run.secrets)
    alerts = send_alerts(config, run, dry_run=True)
    outputs = {
        "text": render_text(run, redactor=redactor, verbosity=2),
        "json": render_json(run, redactor=redactor, report=alerts),
        "junit": render_junit(run, redactor=redactor),
        "events": json.dumps(alerts.to_json()),
    }
    for where, text in outputs.items():
        assert secret not in text, f"{position} {name!r}: the secret leaked into {where}"
    assert echo.base_url in outputs["text"]


@settings(max_examples=200, deadline=None)
@given(name=names, secret=secrets, plain=st.text(string.ascii_letters, min_size=1, max_size=8))
def test_pairs_in_text_are_masked_by_name(name: str, secret: str, plain: str) -> None:
    """A URL's query, a form body, a cookie, JSON too cut to parse: masked by name
    alone, even when the value is known nowhere else."""
    redactor = Redactor((), name_rule())
    for text in (
        f"https://api.test/p?{name}={secret}&page=2",
        f"{name}={secret}; Path=/",
        f'{{"ok": true, "{name}": "{secret}", "more": "cut sho',
        f'{{"{name}": {secret}, "n": 1}}',
    ):
        shown = redactor.text(text)
        assert secret not in shown, text
        assert "***" in shown
    # A name without a sensitive word prints in full.
    assert redactor.text(f"https://api.test/p?q{plain}z=value1") == (
        f"https://api.test/p?q{plain}z=value1"
    ) or name_rule().sensitive(f"q{plain}z")
