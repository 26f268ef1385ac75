"""`e2echeck run`'s outputs as a new user meets them: report and metrics paths
(folders created, a bad path refused before anything runs), a JUnit report
that the Jenkins xUnit schema accepts and junitparser reads, lines streamed to
a CI log as checks complete, and colour as --color, NO_COLOR and FORCE_COLOR say."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import run_cli
from tests.support.configs import QUICK_DEFAULTS, config_document, write_config
from tests.support.junit import facts_of, xsd_errors
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import TestServer

ROUTING_KEY = "R0UTINGKEY0123456789abcdefabcdef"


def _config(tmp_path: Path, fake: FakePagerDuty, server: TestServer, key: str) -> str:
    document = config_document(
        [
            {"name": "up", "url": server.url(f"/status/200?k={key}")},
            {"name": "down", "url": server.url(f"/status/503?k={key}")},
        ],
        defaults=QUICK_DEFAULTS,
        events_url=fake.url,
        routing_key=ROUTING_KEY,
    )
    return str(write_config(tmp_path, document))


def _sent(fake: FakePagerDuty, key: str) -> list[dict[str, Any]]:
    return [e for e in fake.events if key in str(e)]


def test_report_folders_are_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    key = http_server.unique()
    path = _config(tmp_path, fake_pd, http_server, key)
    monkeypatch.chdir(tmp_path)
    result = run_cli(
        "run",
        path,
        "--no-alert",
        "--junit",
        "reports/e2e.xml",
        "--json",
        "reports/json/e2e.json",
        "--metrics",
        "metrics/deep/e2e.prom",
    )
    assert result.exit_code == 1, result.output  # the real outcome: a check failed
    assert "<testsuites" in (tmp_path / "reports/e2e.xml").read_text()
    assert '"passed": 1' in (tmp_path / "reports/json/e2e.json").read_text()
    assert 'e2echeck_check_success{check="up"' in (tmp_path / "metrics/deep/e2e.prom").read_text()


@pytest.mark.parametrize("option", ["--junit", "--json", "--metrics"])
@pytest.mark.parametrize("bad", ["under-a-file", "a-directory"])
def test_a_path_that_cannot_be_written_stops_the_run_before_any_check(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty, option: str, bad: str
) -> None:
    key = http_server.unique()
    path = _config(tmp_path, fake_pd, http_server, key)
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "a-directory").mkdir()
    target = tmp_path / "a-file" / "e2e.out" if bad == "under-a-file" else tmp_path / "a-directory"
    result = run_cli("run", path, option, str(target))
    assert result.exit_code == 2
    if bad == "a-directory":  # refused by the option itself
        assert "is a directory" in result.output
    else:
        why = f"{tmp_path / 'a-file'} is a file, not a folder"
        assert result.output.strip().splitlines() == [f"e2echeck: cannot write {target}: {why}"]
    assert not [r for r in http_server.requests_to("/status/200") if r.arg("k") == key]
    assert _sent(fake_pd, key) == []


def test_junit_is_valid_for_jenkins_and_read_by_junitparser(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    from junitparser import Error, Failure, JUnitXml, Skipped

    key = http_server.unique()
    document = config_document(
        [
            {"name": "up", "url": http_server.url(f"/status/200?k={key}"), "tags": ["web"]},
            {"name": "down", "url": http_server.url(f"/status/503?k={key}")},
            {"name": "planned", "url": http_server.url(f"/status/500?k={key}")},
            {"name": "off", "url": http_server.url("/"), "enabled": False},
        ],
        defaults=QUICK_DEFAULTS,
        events_url=fake_pd.url,
        routing_key=ROUTING_KEY,
    )
    document["maintenance"] = [
        {
            "name": "deploy",
            "from": "2020-01-01T00:00:00Z",
            "to": "2099-01-01T00:00:00Z",
            "checks": ["planned"],
        }
    ]
    path = write_config(tmp_path, document)
    junit = tmp_path / "e2e.xml"
    result = run_cli("run", str(path), "--no-alert", "--junit", str(junit))
    assert result.exit_code == 1, result.output
    text = junit.read_text(encoding="utf-8")
    assert xsd_errors(text) == []

    xml = JUnitXml.fromfile(str(junit))
    (suite,) = list(xml)
    cases = {case.name: case for case in suite}
    assert set(cases) == {"up", "down", "planned"}
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (3, 1, 0, 1)
    assert cases["up"].is_passed and cases["up"].classname == "e2echeck.web"
    assert isinstance(cases["down"].result[0], Failure)
    assert cases["down"].result[0].message == "expected status 2xx, got 503"
    assert isinstance(cases["planned"].result[0], Skipped)
    assert not any(isinstance(r, Error) for c in cases.values() for r in c.result)
    facts = facts_of(cases["down"].system_out)
    assert facts["outcome"] == "failed" and facts["alert_action"] == "trigger"
    assert facts["url"] == http_server.url(f"/status/503?k={key}")
    names = {p.name for p in suite.properties()}
    assert {"lag_p50_ms", "peak_in_flight"} <= names


def test_a_ci_log_gets_each_line_as_its_check_completes(
    tmp_path: Path, http_server: TestServer
) -> None:
    """stdout is a pipe: the fast check's line arrives while the slow one still runs,
    and the summary comes at the end, with no line printed twice."""
    document = config_document(
        [
            {"name": "slow", "url": http_server.url("/delay/3")},
            {"name": "fast", "url": http_server.url("/status/500")},
        ],
        defaults={**QUICK_DEFAULTS, "timeout": "10s"},
    )
    path = write_config(tmp_path, document)
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "e2echeck", "run", str(path), "--no-alert"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert process.stdout is not None
    try:
        ready, _, _ = select.select([process.stdout], [], [], 20)
        assert ready, "no line before the run ended"
        first = process.stdout.readline().decode()
        arrived = time.monotonic() - started
        still_running = process.poll() is None
        rest, _ = process.communicate(timeout=60)
    finally:
        process.kill()
    assert first.startswith("FAIL  fast  500"), first
    assert still_running and arrived < 2.9, arrived
    lines = (first + rest.decode()).splitlines()
    assert lines[1].startswith("PASS  slow  200")
    assert lines[2] == ""
    assert lines[3].startswith("2 checks in ") and lines[3].endswith("1 passed, 1 failed")
    assert lines[4:] == [
        "would send 2 events (--no-alert):",
        "  resolve  slow",
        "  trigger  fast  [critical] fast failed: expected status 2xx, got 500",
    ]
    assert sum(line.startswith(("PASS", "FAIL")) for line in lines) == 2
    assert "\x1b[" not in first + rest.decode()
    assert process.returncode == 1


@pytest.mark.parametrize(
    ("args", "env", "coloured"),
    [
        ((), {}, False),
        (("--color", "always"), {}, True),
        (("--color", "never"), {"FORCE_COLOR": "1"}, False),
        (("--color", "always"), {"NO_COLOR": "1"}, True),
        ((), {"FORCE_COLOR": "1"}, True),
        ((), {"FORCE_COLOR": "0"}, False),
        ((), {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),
    ],
)
def test_colour_follows_the_option_then_no_color_then_force_color(
    tmp_path: Path,
    http_server: TestServer,
    args: tuple[str, ...],
    env: dict[str, str],
    coloured: bool,
) -> None:
    document = config_document(
        [{"name": "down", "url": http_server.url("/status/503")}], defaults=QUICK_DEFAULTS
    )
    path = write_config(tmp_path, document)
    unset: dict[str, str | None] = {"NO_COLOR": None, "FORCE_COLOR": None}
    result = run_cli("run", str(path), "--no-alert", *args, env={**unset, **env})
    assert result.exit_code == 1
    assert ("\x1b[31;1mFAIL\x1b[0m  down" in result.output) is coloured, result.output
    assert ("\x1b[" in result.output) is coloured
