"""Secret references: real boto3 over HTTP to moto's server on 127.0.0.1.

`run` resolves them when it loads the config; `validate` only checks their
syntax (and never imports boto3), `validate --resolve` reads them; one that
cannot be read is a config error at its position, and no value ever shows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from e2echeck.cli import main
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import TestServer

ROUTING_KEY = "R0UT1NGKEYfromSSM0123456789abcde"  # 32, like a real one
PLAIN_TOKEN = "plain-secret-token-4711"
PASSWORD = "json-field-passw0rd-0815"
SECRETS = (ROUTING_KEY, PLAIN_TOKEN, PASSWORD)


@pytest.fixture
def stored(aws: Any) -> Any:
    """A SecureString, a plain secret and a JSON secret in moto."""
    aws.client("ssm").put_parameter(
        Name="/e2echeck/routing-key", Value=ROUTING_KEY, Type="SecureString"
    )
    secrets = aws.client("secretsmanager")
    secrets.create_secret(Name="api-token", SecretString=PLAIN_TOKEN)
    secrets.create_secret(
        Name="api-login", SecretString=json.dumps({"user": "svc", "password": PASSWORD})
    )
    return aws


def _config(tmp_path: Path, server: TestServer, events_url: str, extra: str = "") -> Path:
    path = tmp_path / "checks.yaml"
    path.write_text(
        f"""\
version: 1
defaults: {{retries: 0, timeout: 3s}}
pagerduty:
  routing_key: ${{ssm:/e2echeck/routing-key}}
  events_url: {events_url}
checks:
  - name: api
    url: {server.url("/headers")}
    headers:
      X-Token: ${{secretsmanager:api-token}}
      X-Password: "${{secretsmanager:api-login#password}}"
    expect: {{status: 201}}
{extra}""",
        encoding="utf-8",
    )
    return path


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_run_resolves_securestring_plain_secret_and_json_field(
    stored: Any, tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    config = _config(tmp_path, http_server, fake_pd.url)
    before = len(http_server.requests_to("/headers"))

    result = _invoke("run", str(config), "--format", "json", "-vv")

    assert result.exit_code == 1, result.output  # the check expects 201: it fails and pages
    request = http_server.requests_to("/headers")[before]
    assert request.headers["x-token"] == PLAIN_TOKEN
    assert request.headers["x-password"] == PASSWORD
    assert [e["routing_key"] for e in fake_pd.events] == [ROUTING_KEY]
    # The failing body echoes every header back: the report shows none of them.
    _assert_no_secret(result.output + (result.stderr or ""))
    assert "***" in result.output


def test_environment_variable_holding_a_reference_is_resolved(
    stored: Any,
    tmp_path: Path,
    http_server: TestServer,
    fake_pd: FakePagerDuty,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The deploy template's way: PAGERDUTY_ROUTING_KEY=${ssm:...}, checks.yaml unchanged."""
    monkeypatch.setenv("PAGERDUTY_ROUTING_KEY", "${ssm:/e2echeck/routing-key}")
    config = _config(tmp_path, http_server, fake_pd.url)
    text = config.read_text().replace("${ssm:/e2echeck/routing-key}", "${PAGERDUTY_ROUTING_KEY}")
    config.write_text(text)

    result = _invoke("run", str(config))

    assert result.exit_code == 1, result.output
    assert [e["routing_key"] for e in fake_pd.events] == [ROUTING_KEY]
    _assert_no_secret(result.output)


def test_missing_reference_is_a_config_error_at_its_position(
    stored: Any, tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    extra = f"""\
  - name: other
    url: {http_server.url("/status/200")}
    headers: {{X-Key: "${{ssm:/e2echeck/missing}}"}}
"""
    config = _config(tmp_path, http_server, fake_pd.url, extra)
    before = len(http_server.log)

    result = _invoke("run", str(config))

    assert result.exit_code == 2
    lines = [ln for ln in result.stderr.splitlines() if "${ssm:/e2echeck/missing}" in ln]
    assert len(lines) == 1
    # Line 15, column 22: where the value holding the reference starts.
    assert lines[0].startswith(f"{config}:15:22: checks[1].headers.X-Key: ")
    assert "not found" in lines[0]
    _assert_no_secret(result.output + result.stderr)
    assert len(http_server.log) == before  # nothing ran
    assert fake_pd.events == []


def test_missing_json_field_and_missing_secret_are_reported_each(
    stored: Any, tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    extra = f"""\
  - name: other
    url: {http_server.url("/status/200")}
    headers:
      X-A: ${{secretsmanager:api-login#nope}}
      X-B: ${{secretsmanager:no-such-secret}}
"""
    config = _config(tmp_path, http_server, fake_pd.url, extra)

    result = _invoke("validate", "--resolve", str(config))

    assert result.exit_code == 2
    out = result.output
    assert (
        f"{config}:16:12: checks[1].headers.X-A: cannot read the secret reference "
        "${secretsmanager:api-login#nope}: the secret has no field 'nope'" in out
    )
    assert (
        f"{config}:17:12: checks[1].headers.X-B: cannot read the secret reference "
        "${secretsmanager:no-such-secret}: not found" in out
    )
    assert "${ssm:/e2echeck/routing-key}: read" in out
    # Each unreadable reference is reported once: the error at its place, no echo.
    assert out.count("${secretsmanager:no-such-secret}") == 1
    assert out.count("${secretsmanager:api-login#nope}") == 1
    _assert_no_secret(out)


def test_a_reference_in_a_url_is_validated_like_an_unset_variable(
    stored: Any, tmp_path: Path
) -> None:
    """Plain `validate` (no credentials) accepts `${ssm:...}` standing for part of a
    URL, checks the rest of the file and lists the reference; `--resolve` reads it."""
    stored.client("ssm").put_parameter(
        Name="/e2echeck/base-url", Value="http://127.0.0.1:9", Type="String"
    )
    config = tmp_path / "checks.yaml"
    config.write_text(
        "version: 1\n"
        "checks:\n"
        "  - name: api\n"
        "    url: ${ssm:/e2echeck/base-url}/health\n"
        "  - name: bad\n"
        "    url: https://a.test/\n"
        "    retries: 20\n",
        encoding="utf-8",
    )
    result = _invoke("validate", str(config))
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"{config}:7:14: checks[1].retries: expected 10 or less; got 20",
        f"{config}:4:10: secret reference ${{ssm:/e2echeck/base-url}}: "
        "syntax checked, not read (validate --resolve reads it)",
        f"{config}: invalid (1 error)",
    ]
    config.write_text(config.read_text().replace("retries: 20", "retries: 2"), encoding="utf-8")
    assert _invoke("validate", str(config)).exit_code == 0
    resolved = _invoke("validate", "--resolve", str(config))
    assert resolved.exit_code == 0, resolved.output
    assert "${ssm:/e2echeck/base-url}: read" in resolved.output
    stored.client("ssm").put_parameter(
        Name="/e2echeck/base-url", Value="not a url", Type="String", Overwrite=True
    )
    wrong = _invoke("validate", "--resolve", str(config))
    assert wrong.exit_code == 2 and "checks[0].url: expected an absolute" in wrong.output


def test_no_credentials_is_a_config_error(
    stored: Any,
    tmp_path: Path,
    http_server: TestServer,
    fake_pd: FakePagerDuty,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    config = _config(tmp_path, http_server, fake_pd.url)

    result = _invoke("run", str(config))

    assert result.exit_code == 2
    assert (
        f"{config}:4:16: pagerduty.routing_key: cannot read the secret reference "
        "${ssm:/e2echeck/routing-key}: no AWS credentials were found" in result.stderr
    )


def test_validate_checks_syntax_lists_references_and_never_loads_boto3(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    config = _config(tmp_path, http_server, fake_pd.url)
    script = (
        "import sys\n"
        "from e2echeck.cli import main\n"
        "try:\n"
        "    main([sys.argv[1], sys.argv[2]])\n"
        "except SystemExit as exit:\n"
        "    print('boto3 loaded' if 'boto3' in sys.modules else 'no boto3', exit.code)\n"
    )
    # Credentials pointing nowhere: a call to AWS would fail, not hang.
    env = {**os.environ, "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_DEFAULT_REGION": "x"}
    for fmt in ("text", "github"):
        completed = subprocess.run(
            [sys.executable, "-c", script, "validate", str(config)]
            if fmt == "text"
            else [
                sys.executable,
                "-c",
                script.replace("sys.argv[2]]", "sys.argv[2], '--format', 'github']"),
                "validate",
                str(config),
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        out = completed.stdout
        assert out.rstrip().endswith("no boto3 0"), out + completed.stderr
        if fmt == "text":
            assert (
                f"{config}:4:16: secret reference ${{ssm:/e2echeck/routing-key}}: "
                "syntax checked, not read" in out
            )
            assert f"{config}:10:16: secret reference ${{secretsmanager:api-token}}" in out
            assert f"{config}:11:20: secret reference ${{secretsmanager:api-login#password}}" in out
        else:
            assert (
                f"::notice file={config},line=10,col=16,title=e2echeck::"
                "${secretsmanager:api-token}" in out
            )


def test_validate_json_lists_references(tmp_path: Path, http_server: TestServer) -> None:
    config = _config(tmp_path, http_server, "http://127.0.0.1:9/v2/enqueue")
    result = _invoke("validate", "--format", "json", str(config))
    assert result.exit_code == 0
    (document,) = json.loads(result.output)["files"]
    assert [r["reference"] for r in document["secret_references"]] == [
        "${ssm:/e2echeck/routing-key}",
        "${secretsmanager:api-token}",
        "${secretsmanager:api-login#password}",
    ]
    assert document["secret_references"][0]["line"] == 4


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("${ssm:}", "expected ${ssm:/parameter/name}"),
        ("${ssm:/a b}", "expected ${ssm:/parameter/name}"),
        ("${ssm:/a#field}", "#field applies to ${secretsmanager:id#field} only"),
        ("${secretsmanager:}", "expected ${secretsmanager:id}"),
        ("${secretsmanager:id#}", "expected ${secretsmanager:id}"),
    ],
)
def test_malformed_references_are_errors_at_their_position(
    tmp_path: Path, written: str, message: str
) -> None:
    config = tmp_path / "checks.yaml"
    config.write_text(
        "version: 1\nchecks:\n  - name: a\n    url: http://127.0.0.1:9/\n"
        f"    headers: {{X-A: '{written}'}}\n",
        encoding="utf-8",
    )
    result = _invoke("validate", str(config))
    assert result.exit_code == 2
    assert f"{config}:5:20: checks[0].headers.X-A: invalid secret reference {written}" in (
        result.output
    )
    assert message in result.output


def test_without_boto3_a_reference_is_a_config_error(tmp_path: Path) -> None:
    """An environment without boto3 (outside Lambda, no `aws` extra)."""
    config = tmp_path / "checks.yaml"
    config.write_text(
        "version: 1\npagerduty:\n  routing_key: ${ssm:/e2echeck/routing-key}\n"
        "checks:\n  - name: a\n    url: http://127.0.0.1:9/\n",
        encoding="utf-8",
    )
    script = (
        "import sys\n"
        "sys.modules['boto3'] = None  # what `import boto3` meets when it is not installed\n"
        "from e2echeck.cli import main\n"
        "main(['run', sys.argv[1]])\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script, str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2, completed.stderr
    assert completed.stderr.startswith(
        f"{config}:3:16: pagerduty.routing_key: cannot read the secret reference "
        "${ssm:/e2echeck/routing-key}: boto3 is not installed "
        "(install e2echeck with its aws extra, or pip install boto3)"
    )
    assert "Traceback" not in completed.stderr


def test_package_checks_references_without_reading_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The zip is built where the secrets are not readable: the function reads them."""
    import zipfile

    from e2echeck.packaging import build_lambda_zip

    # Nothing answers here: a fetch would fail the build.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    config = tmp_path / "checks.yaml"
    text = (
        "version: 1\npagerduty:\n  routing_key: ${ssm:/e2echeck/routing-key}\n"
        "checks:\n  - name: a\n    url: http://127.0.0.1:9/\n"
    )
    config.write_text(text, encoding="utf-8")
    info = build_lambda_zip(config, tmp_path / "out.zip", requirements=[])
    with zipfile.ZipFile(info.path) as archive:
        assert archive.read("checks.yaml").decode() == text
