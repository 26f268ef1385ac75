"""The Lambda handler: secret references fetched once per container and again
after the cache's time (a rotated key takes effect), a missing one raises
ConfigError; every run logs CloudWatch EMF documents that follow the EMF
specification and match the run."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from e2echeck import lambda_handler
from e2echeck.config import ConfigError
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import TestServer

KEY_1 = "FIRSTKEY00000000000000000000000a"  # 32 characters, like a real one
KEY_2 = "SECONDKEY0000000000000000000000b"


def _config(tmp_path: Path, server: TestServer, events_url: str, routing_key: str) -> Path:
    path = tmp_path / "checks.yaml"
    path.write_text(
        f"""\
version: 1
defaults: {{timeout: 3s, retries: 0, retry_delay: 0s}}
pagerduty:
  routing_key: {routing_key}
  events_url: {events_url}
checks:
  - name: up
    url: {server.url("/status/200")}
  - name: down
    url: {server.url("/status/503")}
    retries: 1
""",
        encoding="utf-8",
    )
    return path


def _keys_of_triggers(fake_pd: FakePagerDuty) -> list[str]:
    return [e["routing_key"] for e in fake_pd.events if e["event_action"] == "trigger"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rotated_secret_is_used_once_the_cache_expires(
    aws: Any,
    tmp_path: Path,
    http_server: TestServer,
    fake_pd: FakePagerDuty,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ssm = aws.client("ssm")
    ssm.put_parameter(Name="/pd/key", Value=KEY_1, Type="SecureString")
    clock = Clock()
    monkeypatch.setattr(lambda_handler, "clock", clock)
    event = {"config": str(_config(tmp_path, http_server, fake_pd.url, "${ssm:/pd/key}"))}

    lambda_handler.handler(event, None)
    ssm.put_parameter(Name="/pd/key", Value=KEY_2, Type="SecureString", Overwrite=True)
    clock.now += 14 * 60  # a warm container within 15 minutes: the cached key
    lambda_handler.handler(event, None)
    clock.now += 2 * 60  # 16 minutes after the first load: fetched again
    lambda_handler.handler(event, None)

    assert _keys_of_triggers(fake_pd) == [KEY_1, KEY_1, KEY_2]
    out = capsys.readouterr().out
    assert KEY_1 not in out and KEY_2 not in out


def test_secret_in_a_json_field_from_the_environment(
    aws: Any,
    tmp_path: Path,
    http_server: TestServer,
    fake_pd: FakePagerDuty,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The template's RoutingKeyParameter with a Secrets Manager secret."""
    arn = aws.client("secretsmanager").create_secret(
        Name="pd", SecretString=json.dumps({"routing_key": KEY_1})
    )["ARN"]
    monkeypatch.setenv("PAGERDUTY_ROUTING_KEY", f"${{secretsmanager:{arn}#routing_key}}")
    event = {"config": str(_config(tmp_path, http_server, fake_pd.url, "${PAGERDUTY_ROUTING_KEY}"))}
    lambda_handler.handler(event, None)
    assert _keys_of_triggers(fake_pd) == [KEY_1]


def test_missing_secret_raises_config_error_naming_it(
    aws: Any, tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    config = _config(tmp_path, http_server, fake_pd.url, "${ssm:/pd/absent}")
    with pytest.raises(ConfigError) as raised:
        lambda_handler.handler({"config": str(config)}, None)
    assert str(raised.value) == (
        f"{config}:4:16: pagerduty.routing_key: cannot read the secret reference "
        "${ssm:/pd/absent}: not found"
    )
    assert fake_pd.events == []


# -- EMF --------------------------------------------------------------------------

# The units the EMF specification allows (those of CloudWatch PutMetricData).
EMF_UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes",
    "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits",
    "Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second",
    "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second",
    "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
}  # fmt: skip


def emf_problems(document: Any) -> list[str]:
    """What makes `document` an invalid EMF document (the specification's rules)."""
    problems: list[str] = []
    if not isinstance(document, dict) or not isinstance(document.get("_aws"), dict):
        return ["no _aws object at the root"]
    meta = document["_aws"]
    timestamp = meta.get("Timestamp")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        problems.append("_aws.Timestamp must be a whole number of milliseconds")
    directives = meta.get("CloudWatchMetrics")
    if not isinstance(directives, list) or not directives:
        return [*problems, "_aws.CloudWatchMetrics must be a non-empty array"]
    for directive in directives:
        namespace = directive.get("Namespace")
        if not isinstance(namespace, str) or not 1 <= len(namespace) <= 255:
            problems.append("Namespace must be a string of 1 to 255 characters")
        elif not re.fullmatch(r"[.\-_/#:A-Za-z0-9 ]+", namespace):
            problems.append(f"Namespace {namespace!r} has characters CloudWatch refuses")
        dimension_sets = directive.get("Dimensions")
        if not isinstance(dimension_sets, list):
            problems.append("Dimensions must be an array of dimension sets")
            dimension_sets = []
        for dimension_set in dimension_sets:
            if not isinstance(dimension_set, list) or len(dimension_set) > 30:
                problems.append("a dimension set must be an array of at most 30 keys")
                continue
            for key in dimension_set:
                value = document.get(key)
                if not isinstance(value, str) or not 1 <= len(value) <= 1024:
                    problems.append(f"dimension {key!r} has no string value at the root")
        metrics = directive.get("Metrics")
        if not isinstance(metrics, list) or not 1 <= len(metrics) <= 100:
            problems.append("Metrics must be an array of 1 to 100 definitions")
            metrics = []
        for metric in metrics:
            name = metric.get("Name")
            if not isinstance(name, str) or not 1 <= len(name) <= 255:
                problems.append("a metric needs a Name of 1 to 255 characters")
                continue
            if "Unit" in metric and metric["Unit"] not in EMF_UNITS:
                problems.append(f"{name}: unknown Unit {metric['Unit']!r}")
            value = document.get(name)
            values = value if isinstance(value, list) else [value]
            if not values or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in values
            ):
                problems.append(f"metric {name!r} has no number at the root")
    return problems


def test_emf_documents_follow_the_specification_and_match_the_run(
    tmp_path: Path,
    http_server: TestServer,
    fake_pd: FakePagerDuty,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = _config(tmp_path, http_server, fake_pd.url, "NOTASECRETKEY00000000000000000aa")
    before = time.time()
    summary = lambda_handler.handler({"config": str(config)}, None)
    after = time.time()

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    documents = [line for line in lines if "_aws" in line]
    assert lines[-1]["type"] == "summary"  # the summary stays the last line
    for document in documents:
        assert emf_problems(document) == [], document
        assert before * 1000 - 1000 <= document["_aws"]["Timestamp"] <= after * 1000
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "e2echeck"

    checks = {c["name"]: c for c in summary["checks"]}
    per_check = {d["check"]: d for d in documents if "check" in d}
    assert set(per_check) == set(checks) == {"up", "down"}
    for name, document in per_check.items():
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Dimensions"] == [["check"]]
        units = {m["Name"]: m.get("Unit") for m in directive["Metrics"]}
        assert units == {"Success": "None", "Latency": "Milliseconds", "Attempts": "Count"}
        assert document["Success"] == (1 if checks[name]["outcome"] == "ok" else 0)
        assert document["Attempts"] == checks[name]["attempts"]
        assert document["Latency"] == pytest.approx(checks[name]["duration_ms"], abs=0.1)
    assert per_check["up"]["Success"] == 1 and per_check["up"]["Attempts"] == 1
    assert per_check["down"]["Success"] == 0 and per_check["down"]["Attempts"] == 2

    (run,) = [d for d in documents if "check" not in d]
    (directive,) = run["_aws"]["CloudWatchMetrics"]
    assert directive["Dimensions"] == [[]]
    assert {m["Name"] for m in directive["Metrics"]} == {
        "Checks",
        "Failed",
        "Unknown",
        "Maintenance",
        "RunDuration",
    }
    totals = summary["summary"]
    assert (run["Checks"], run["Failed"], run["Unknown"]) == (2, totals["failed"], 0)
    assert run["Maintenance"] == totals["maintenance"] == 0
    assert run["Failed"] == 1
    assert run["RunDuration"] == pytest.approx(totals["duration_ms"], abs=0.1)


def test_emf_namespace_and_stack_come_from_the_environment(
    tmp_path: Path,
    http_server: TestServer,
    fake_pd: FakePagerDuty,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two stacks in one account and region (the template sets both variables):
    every document names the stack's namespace and leads each dimension set with
    Stack, so staging and production never share a series."""
    monkeypatch.setenv("E2ECHECK_METRICS_NAMESPACE", "Team/e2e")
    monkeypatch.setenv("E2ECHECK_STACK", "e2e-staging")
    config = _config(tmp_path, http_server, fake_pd.url, "NOTASECRETKEY00000000000000000aa")
    lambda_handler.handler({"config": str(config)}, None)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    documents = [line for line in lines if "_aws" in line]
    assert len(documents) == 3
    for document in documents:
        assert emf_problems(document) == [], document
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "Team/e2e"
        assert document["Stack"] == "e2e-staging"
        expected = [["Stack", "check"]] if "check" in document else [["Stack"]]
        assert directive["Dimensions"] == expected


def test_metrics_target_from_the_environment() -> None:
    from e2echeck.metrics import NAMESPACE, MetricsTarget

    assert MetricsTarget.from_environment({}) == MetricsTarget(NAMESPACE, None)
    target = MetricsTarget.from_environment(
        {"E2ECHECK_METRICS_NAMESPACE": " prod/e2e ", "E2ECHECK_STACK": "e2e-prod"}
    )
    assert target == MetricsTarget("prod/e2e", "e2e-prod")
    assert target.dimensions([], ["check", "location"]) == [
        ["Stack"],
        ["Stack", "check", "location"],
    ]
    # A namespace CloudWatch would refuse keeps the metrics in the default one.
    refused = MetricsTarget.from_environment({"E2ECHECK_METRICS_NAMESPACE": "bad$name"})
    assert refused.namespace == NAMESPACE and refused.dimensions(["check"]) == [["check"]]


def test_emf_checker_rejects_what_the_specification_forbids() -> None:
    """The checker above can fail: each broken document is caught."""
    good = {
        "_aws": {
            "Timestamp": 1,
            "CloudWatchMetrics": [
                {"Namespace": "e2echeck", "Dimensions": [["check"]], "Metrics": [{"Name": "M"}]}
            ],
        },
        "check": "a",
        "M": 1,
    }
    assert emf_problems(good) == []
    assert emf_problems({**good, "check": 3})  # a dimension value that is no string
    assert emf_problems({k: v for k, v in good.items() if k != "M"})  # a metric missing
    assert emf_problems({**good, "_aws": {**good["_aws"], "Timestamp": "now"}})
    assert emf_problems({**good, "_aws": {"Timestamp": 1, "CloudWatchMetrics": []}})
