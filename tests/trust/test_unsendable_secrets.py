"""An error that would quote a secret names its position instead: a token with a
trailing newline (read from a file) or a control character, used in a header or
in the URL's query, fails its check with the header's or parameter's name and
where the value came from, through the text report, the JSON report and the
trigger PagerDuty gets; neither the secret nor a `***` stands in its place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from e2echeck.kinds.http.request import RequestSpec
from e2echeck.kinds.http.unsendable import unsendable
from tests.support.aws import MotoServer
from tests.support.cli import run_cli
from tests.support.configs import config_document, write_config
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import TestServer

ROUTING_KEY = "0123456789abcdef0123456789abcdef"
CORE = "tok-6f1e2d3c4b5a"


@pytest.mark.parametrize(
    ("secret", "what"),
    [
        (CORE + "\n", "a line break"),
        (CORE[:5] + "\x0c" + CORE[5:], "a control character"),
    ],
    ids=["trailing-newline", "control-character"],
)
def test_an_unsendable_secret_is_named_by_its_position(
    secret: str,
    what: str,
    tmp_path: Path,
    http_server: TestServer,
    fake_pd: FakePagerDuty,
) -> None:
    checks = [
        {
            "name": "by-header",
            "url": http_server.url("/status/200"),
            "headers": {"Authorization": "Bearer ${API_TOKEN}"},
        },
        {"name": "by-query", "url": http_server.url("/status/200") + "?access=${API_TOKEN}"},
    ]
    document = config_document(
        checks, defaults={"retries": 0, "timeout": "5s"}, events_url=fake_pd.url
    )
    document["redact"] = {"env": ["API_TOKEN"]}
    config = write_config(tmp_path, document)
    report = tmp_path / "report.json"
    env = {"PAGERDUTY_ROUTING_KEY": ROUTING_KEY, "API_TOKEN": secret}

    result = run_cli("run", str(config), "--json", str(report), env=env)

    assert result.exit_code == 1, result.output  # failed checks, not a crash
    assert "Traceback" not in result.output
    header = f"the value of header Authorization (from ${{API_TOKEN}}) contains {what}"
    query = f"the value of query parameter access (from ${{API_TOKEN}}) contains {what}"
    document = json.loads(report.read_text())
    failures = {c["name"]: " ".join(c["failures"]) for c in document["checks"]}
    assert header in failures["by-header"], failures
    assert query in failures["by-query"], failures
    assert header in result.stdout and query in result.stdout, result.stdout
    triggers = {e["dedup_key"]: e for e in fake_pd.events if e["event_action"] == "trigger"}
    assert set(triggers) == {"by-header", "by-query"}
    assert header in triggers["by-header"]["payload"]["summary"]
    assert query in triggers["by-query"]["payload"]["summary"]
    events = json.dumps(fake_pd.events).replace(ROUTING_KEY, "")
    for where, text in {
        "stdout": result.stdout,
        "stderr": result.stderr,
        "json": report.read_text(),
        "events": events,
    }.items():
        for part in (CORE, CORE[5:]):  # the whole, and what follows the \x0c
            assert part not in text, f"{part!r} leaked into {where}"
        shown = text.replace('"routing_key": "***"', "")  # the report's events mask it
        assert "***" not in shown, f"a masked quote in {where}: {text}"


def test_a_secret_reference_is_named_as_written(
    aws_env: dict[str, str],
    moto_server: MotoServer,
    tmp_path: Path,
    http_server: TestServer,
    fake_pd: FakePagerDuty,
) -> None:
    moto_server.client("ssm").put_parameter(Name="/x/token", Value=CORE + "\n", Type="SecureString")
    checks = [
        {
            "name": "by-header",
            "url": http_server.url("/status/200"),
            "headers": {"Authorization": "Bearer ${ssm:/x/token}"},
        }
    ]
    document = config_document(
        checks, defaults={"retries": 0, "timeout": "5s"}, events_url=fake_pd.url
    )
    config = write_config(tmp_path, document)
    result = run_cli("run", str(config), env={"PAGERDUTY_ROUTING_KEY": ROUTING_KEY})
    assert result.exit_code == 1, result.output
    said = "the value of header Authorization (from ${ssm:/x/token}) contains a line break"
    assert said in result.stdout, result.stdout
    summary = fake_pd.events[0]["payload"]["summary"]
    assert said in summary and "***" not in summary and CORE not in summary


@pytest.mark.parametrize(
    "value",
    ["a\x00b", "a\rb", "a\x0bb", " lead", "trail\t", "caf\u00e9", "a\x01b", "a\tb", "plain"],
)
def test_a_header_value_is_refused_exactly_when_the_http_library_refuses_it(
    value: str, http_server: TestServer
) -> None:
    import httpx2

    try:
        with httpx2.Client() as client:
            client.get(http_server.url("/status/200"), headers={"X-Probe": value})
        sent = True
    except (httpx2.HTTPError, ValueError):
        sent = False
    spec = RequestSpec(
        "GET", http_server.url("/status/200"), {"X-Probe": value}, None, None, None, None,
        5.0, False, True, False,
    )  # fmt: skip
    refused = unsendable(spec, {value: "${PROBE}"})
    assert (refused is None) == sent, (value, refused)
    if refused is not None:
        assert refused[0].startswith("the value of header X-Probe (from ${PROBE}) contains ")
        assert value.strip() not in refused[0]
