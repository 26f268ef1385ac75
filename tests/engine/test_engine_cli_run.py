"""`e2echeck run`: reports (text, JSON, JUnit), options, exit codes, and the example file."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import configs
from tests.support.cli import CliResult, run_cli
from tests.support.configs import QUICK_DEFAULTS, config_document
from tests.support.junit import facts_of, xsd_errors
from tests.support.servers import Reply, TestServer

ROOT = Path(__file__).resolve().parents[2]


def write_config(tmp_path: Path, checks: list[dict[str, Any]], **defaults: Any) -> str:
    document = config_document(checks, defaults={**QUICK_DEFAULTS, "timeout": "2s", **defaults})
    return str(configs.write_config(tmp_path, document))


def invoke(*args: str, env: dict[str, str] | None = None) -> CliResult:
    return run_cli("run", *args, env=env, catch_exceptions=False)


@pytest.fixture
def mixed_config(tmp_path: Path, http_server: TestServer, refused_url: str) -> str:
    json_url = http_server.set_json("cli-health", {"status": "DOWN"})
    return write_config(
        tmp_path,
        [
            {"name": "good", "url": http_server.url("/status/200"), "tags": ["web"]},
            {
                "name": "status",
                "url": http_server.url("/status/503"),
                "expect": {"status": 200},
                "tags": ["api"],
            },
            {
                "name": "json",
                "url": json_url,
                "expect": {"json": {"$.status": "UP"}},
                "tags": ["api"],
            },
            {"name": "refused", "url": refused_url, "dedup_key": "refused-key"},
            {"name": "slow", "url": http_server.url("/delay/3"), "timeout": "200ms"},
            {
                "name": "secret",
                "url": http_server.url("/status/401"),
                "headers": {"Authorization": "Bearer very-secret-token-1234"},
                "expect": {"status": 401, "body_contains": "very-secret-token-1234"},
            },
        ],
    )


def test_text_report_has_one_readable_line_per_check(
    mixed_config: str, http_server: TestServer
) -> None:
    result = invoke(mixed_config, "--no-alert", env={"NO_COLOR": ""})
    assert result.exit_code == 1
    out = result.output
    lines = {line.split()[1]: line for line in out.splitlines() if line[:4] in ("PASS", "FAIL")}
    assert lines["good"].startswith("PASS")
    assert "200" in lines["good"] and "1 attempt" in lines["good"]
    assert "expected status 200, got 503" in lines["status"]
    assert "$.status was 'DOWN', expected 'UP'" in lines["json"]
    assert "connection refused by 127.0.0.1:" in lines["refused"]
    assert (
        f"timed out after 200ms waiting for a response from 127.0.0.1:{http_server.port}"
        in lines["slow"]
    )
    assert "6 checks in " in out and "1 passed, 5 failed" in out
    assert "\x1b[" not in out  # not a TTY: no colour
    assert "very-secret-token-1234" not in out  # redacted
    assert "***" in lines["secret"]


def test_quiet_prints_only_failures_and_the_summary(mixed_config: str) -> None:
    out = invoke(mixed_config, "--no-alert", "-q").output
    assert "PASS" not in out
    assert out.count("FAIL") == 5
    assert "1 passed, 5 failed" in out


def test_verbose_prints_every_reason(mixed_config: str) -> None:
    out = invoke(mixed_config, "--no-alert", "-v").output
    assert "    - expected status 200, got 503" in out
    assert "    - body does not contain '***'" in out
    assert "    GET http://127.0.0.1:" in out
    assert "very-secret-token-1234" not in out


def test_json_output(mixed_config: str) -> None:
    result = invoke(mixed_config, "--no-alert", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.output)
    checks = {c["name"]: c for c in document["checks"]}
    for check in checks.values():
        for key in (
            "name",
            "ok",
            "outcome",
            "status_code",
            "duration_ms",
            "attempts",
            "failures",
            "failed_step",
            "dedup_key",
            "alert",
        ):
            assert key in check
        expected_action = "resolve" if check["ok"] else "trigger"
        assert check["alert"] == {"action": expected_action, "delivery": "not sent (--no-alert)"}
    assert checks["good"]["ok"] is True and checks["good"]["status_code"] == 200
    assert checks["status"]["failures"] == ["expected status 200, got 503"]
    assert checks["refused"]["dedup_key"] == "refused-key"
    assert checks["refused"]["status_code"] is None
    assert document["summary"]["total"] == 6
    assert document["summary"]["failed"] == 5
    assert "very-secret-token-1234" not in result.output


def test_json_and_junit_files(mixed_config: str, tmp_path: Path) -> None:
    junit, report = tmp_path / "junit.xml", tmp_path / "report.json"
    result = invoke(mixed_config, "--no-alert", "-q", "--junit", str(junit), "--json", str(report))
    assert result.exit_code == 1
    assert json.loads(report.read_text())["summary"]["passed"] == 1
    root = ET.fromstring(junit.read_text())
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "6" and suite.get("failures") == "5"
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {"good", "status", "json", "refused", "slow", "secret"}
    assert cases["good"].find("failure") is None
    failure = cases["status"].find("failure")
    assert failure is not None and failure.get("message") == "expected status 200, got 503"
    props = facts_of(cases["refused"].findtext("system-out"))
    assert props["dedup_key"] == "refused-key"
    assert props["alert_action"] == "trigger"
    assert "very-secret-token-1234" not in junit.read_text()


def test_junit_marks_unknown_and_skipped(
    tmp_path: Path, http_server: TestServer, refused_url: str
) -> None:
    config = write_config(
        tmp_path,
        [
            {"name": "svc", "url": http_server.url("/status/200")},
            {"name": "net", "role": "control", "url": refused_url},
        ],
    )
    junit = tmp_path / "j.xml"
    result = invoke(config, "--no-alert", "--junit", str(junit))
    assert result.exit_code == 1
    assert "UNKN  svc" in result.output
    assert "connectivity lost" in result.output
    assert xsd_errors(junit.read_text()) == []
    cases = {c.get("name"): c for c in ET.fromstring(junit.read_text()).iter("testcase")}
    error = cases["svc"].find("error")
    assert error is not None and error.get("type") == "unknown"

    slow = write_config(
        tmp_path,
        [
            {"name": "a", "url": http_server.url("/delay/2")},
            {"name": "b", "url": http_server.url("/")},
        ],
    )
    result = invoke(
        slow, "--no-alert", "--concurrency", "1", "--deadline", "300ms", "--junit", str(junit)
    )
    assert result.exit_code == 1
    assert "SKIP  b" in result.output
    assert "not started before the run's deadline (300ms)" in result.output
    cases = {c.get("name"): c for c in ET.fromstring(junit.read_text()).iter("testcase")}
    assert cases["b"].find("skipped") is not None
    assert xsd_errors(junit.read_text()) == []
    assert "cut by the run's deadline" in (cases["a"].find("failure").get("message") or "")  # type: ignore[union-attr]


def test_only_and_tag(mixed_config: str) -> None:
    result = invoke(mixed_config, "--no-alert", "--only", "good")
    assert result.exit_code == 0
    assert "1 check in " in result.output
    result = invoke(mixed_config, "--no-alert", "--tag", "api", "--format", "json")
    names = [c["name"] for c in json.loads(result.output)["checks"]]
    assert names == ["status", "json"]
    result = invoke(
        mixed_config, "--no-alert", "--only", "s*", "--only", "good", "--format", "json"
    )
    assert [c["name"] for c in json.loads(result.output)["checks"]] == [
        "good",
        "status",
        "slow",
        "secret",
    ]


def test_usage_errors_exit_2(mixed_config: str, tmp_path: Path) -> None:
    result = run_cli("run", mixed_config, "--no-alert", "--only", "gooood")
    assert result.exit_code == 2
    assert "--only 'gooood' matches no enabled check; did you mean \"good\"?" in result.output
    result = run_cli("run", mixed_config, "--no-alert", "--deadline", "soon")
    assert result.exit_code == 2
    assert "--deadline" in result.output and "expected a duration" in result.output
    result = run_cli("run", mixed_config)
    assert result.exit_code == 2
    assert "no routing key for good" in result.output
    assert "or run with --no-alert" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\nchecks:\n  - name: x\n    url: http://127.0.0.1:1/\n"
        "    expect: {stauts: 200}\n"
    )
    result = run_cli("run", str(bad), "--no-alert")
    assert result.exit_code == 2
    assert "bad.yaml:5:" in result.output and "stauts" in result.output
    assert "Traceback" not in result.output


def test_exit_0_when_every_check_passes(tmp_path: Path, http_server: TestServer) -> None:
    config = write_config(tmp_path, [{"name": "a", "url": http_server.url("/status/204")}])
    result = invoke(config, "--no-alert")
    assert result.exit_code == 0
    assert result.output.startswith("PASS  a  204")


def test_version_and_validate_never_import_httpx2(tmp_path: Path) -> None:
    config = write_config(tmp_path, [{"name": "a", "url": "http://127.0.0.1:1/"}])
    code = (
        "import sys\n"
        "from e2echeck.cli import main\n"
        "try:\n"
        f"    main([{{!r}}, {config!r}] if len(sys.argv) > 1 else ['--version'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('httpx2' in sys.modules, 'jsonpath' in sys.modules)\n"
    ).replace("{!r}", "'validate'")
    for extra in ([], ["validate"]):
        out = subprocess.run(
            [sys.executable, "-c", code, *extra],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        ).stdout
        assert out.strip().splitlines()[-1] == "False False", out


def test_the_example_checks_yaml_against_local_imitations(
    http_server: TestServer, tls_server: TestServer, tls_ca_file: str
) -> None:
    # Every URL of checks.yaml is overridden to point at 127.0.0.1: the site page
    # is served over TLS (it asserts tls_cert_min_days), the API by the httpbin
    # imitation, the control check by /generate_204. Nothing leaves the machine.
    env = {
        "E2E_SITE_URL": tls_server.base_url,
        "E2E_API_URL": http_server.base_url,
        "E2E_CONTROL_URL": http_server.url("/generate_204"),
        "SSL_CERT_FILE": tls_ca_file,
        "NO_COLOR": "1",
    }
    example = yaml.safe_load((ROOT / "checks.yaml").read_text())
    for check in example["checks"]:
        urls = [check.get("url")] + [s["url"] for s in check.get("steps", [])]
        for url in filter(None, urls):
            assert url.startswith(("${E2E_SITE_URL", "${E2E_API_URL", "${E2E_CONTROL_URL")), url
    result = invoke(str(ROOT / "checks.yaml"), "--no-alert", "--format", "json", env=env)
    document = json.loads(result.output)
    outcomes = {c["name"]: (c["outcome"], c["failures"]) for c in document["checks"]}
    assert outcomes == {
        "site-home": ("ok", []),
        "api-json": ("ok", []),
        "api-auth": ("ok", []),
        "order-roundtrip": ("ok", []),
        "internet-reachable": ("ok", []),
    }
    assert result.exit_code == 0
    # A base URL from the environment is no secret: it prints in full.
    urls = {c["name"]: c["url"] for c in document["checks"]}
    assert urls["api-json"].startswith(http_server.base_url + "/"), urls
    text = invoke(str(ROOT / "checks.yaml"), "--no-alert", env=env).output
    assert "5 checks in " in text and "5 passed" in text


def _deep_route(http_server: TestServer, path: str, body: bytes) -> str:
    reply = Reply(200, body, content_type="application/json")
    http_server.add_route("*", path, lambda request: reply)
    return http_server.url(path)


def test_json_nested_deeper_than_the_parser_allows_is_a_failed_check(
    http_server: TestServer, tmp_path: Path
) -> None:
    url = _deep_route(http_server, "/deep", b"[" * 100_000)
    config = write_config(
        tmp_path,
        [
            {"name": "deep", "url": url, "expect": {"json": {"$[0]": 1}}},
            {
                "name": "capture",
                "steps": [
                    {"name": "login", "url": url, "capture": {"token": "$.token"}},
                    {"name": "use", "url": http_server.url("/status/200?t={{ token }}")},
                ],
            },
        ],
    )
    result = invoke(config, "--no-alert", "--format", "json")
    assert result.exit_code == 1, result.output
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    deep, capture = checks["deep"], checks["capture"]
    assert deep["outcome"] == "failed"
    assert deep["failures"] == ["the body is not JSON: nested too deeply"]
    assert deep["status_code"] == 200
    assert deep["duration_ms"] > 0
    assert capture["outcome"] == "failed"
    assert capture["failed_step"] == "login"
    assert capture["status_code"] == 200
    assert capture["failures"] == [
        "step login: cannot capture token from $.token: the body is not JSON: nested too deeply"
    ]
    assert "internal error" not in result.output

    text = invoke(config, "--no-alert", env={"NO_COLOR": ""})
    line = next(ln for ln in text.output.splitlines() if ln.startswith("FAIL  deep"))
    assert " 200 " in line and "ms" in line
    assert "1 attempt   the body is not JSON: nested too deeply" in line


def test_json_that_parses_but_is_too_deep_to_search_is_a_failed_check(
    http_server: TestServer, tmp_path: Path
) -> None:
    """Just under the parser's limit: a recursive-descent path cannot walk it."""
    depth = sys.getrecursionlimit() - 80
    url = _deep_route(http_server, "/deep", b"[" * depth + b"]" * depth)
    config = write_config(tmp_path, [{"name": "deep", "url": url, "expect": {"json": {"$..x": 1}}}])
    result = invoke(config, "--no-alert", "--format", "json")
    assert result.exit_code == 1, result.output
    (check,) = json.loads(result.stdout)["checks"]
    assert check["status_code"] == 200
    assert len(check["failures"]) == 1
    assert "nested too deeply" in check["failures"][0], check["failures"]
