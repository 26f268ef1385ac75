"""The rule: which values are secrets (by name, position and origin), the
`redact` section, and secret captures; everything else prints in full."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from e2echeck.config import Config
from e2echeck.config.redact import config_redactor
from e2echeck.engine import run_checks
from e2echeck.redaction import SENSITIVE_WORDS, name_rule
from e2echeck.report.text import render_text
from tests.config.helpers import Outcome
from tests.support.cli import run_cli
from tests.support.configs import load_config, write_config
from tests.support.servers import Reply, Request, TestServer, json_reply

BASE = "https://api.staging.example.com"


def _config(checks: list[dict[str, Any]], env: dict[str, str], **top: Any) -> Config:
    return load_config({"version": 1, **top, "checks": checks}, env=env)


@pytest.mark.parametrize("word", SENSITIVE_WORDS)
def test_every_word_is_sensitive_in_any_case_anywhere_in_a_name(word: str) -> None:
    rule = name_rule()
    assert rule.sensitive(word)
    assert rule.sensitive(f"x_{word.lower()}_id")
    assert rule.sensitive(f"Pre-{word.title()}")


def test_names_without_a_word_are_not_sensitive() -> None:
    rule = name_rule()
    for name in ("E2E_API_URL", "BASE_URL", "TENANT", "order_id", "Accept", "page"):
        assert not rule.sensitive(name), name


def test_env_values_are_secret_by_the_variable_name() -> None:
    env = {
        "E2E_API_URL": BASE,
        "TENANT": "tenant-acme",
        "API_TOKEN": "tok-0123456789",
        "db_password": "pw-0123456789",
        "MY_SESSION_ID": "sess-0123456789",
    }
    config = _config(
        [
            {
                "name": "a",
                "url": "${E2E_API_URL}/health?tenant=${TENANT}",
                "description": "${API_TOKEN} ${db_password} ${MY_SESSION_ID}",
            }
        ],
        env,
    )
    redactor = config_redactor(config)
    shown = redactor.text(f"{config.checks[0].url} {config.checks[0].description}")
    assert shown == f"{BASE}/health?tenant=tenant-acme *** *** ***"


def test_redact_env_and_names_add_to_the_rule() -> None:
    env = {"E2E_API_URL": BASE, "ACCOUNT": "acct-998877", "OTHER": "other-554433"}
    config = _config(
        [
            {
                "name": "a",
                "url": "${E2E_API_URL}/x?acme_sig2=q-literal-1&page=2",
                "headers": {"X-Org-Ref": "org-1234567"},
                "params": {"Tenant_Ref": "ten-7654321"},
                "description": "${ACCOUNT} ${OTHER}",
            }
        ],
        env,
        redact={"env": ["ACCOUNT"], "names": ["ref", "ACME_SIG"]},
    )
    redactor = config_redactor(config)
    assert {"acct-998877", "org-1234567", "ten-7654321", "q-literal-1"} <= config.secrets
    assert "other-554433" not in config.secrets
    assert redactor.text("${ACCOUNT} other-554433") == "${ACCOUNT} other-554433"
    assert redactor.text("acct-998877 other-554433") == "*** other-554433"
    # By name alone, in any text: a query, a JSON excerpt.
    assert redactor.text(f"{BASE}/y?tenant_ref=zzz&page=2") == f"{BASE}/y?tenant_ref=***&page=2"
    assert redactor.text('{"my_ref": "abc"}') == '{"my_ref": "***"}'


def test_sensitive_positions_in_the_config_are_secrets() -> None:
    config = _config(
        [
            {
                "name": "a",
                "method": "POST",
                "url": f"{BASE}/login?api_key=k-literal-77",
                "headers": {"Authorization": "Bearer abcdefgh12345678", "Accept": "text/html"},
                "params": {"id": "order-1234", "access_token": "tok-literal-88"},
                "json": {"user": "alice", "creds": {"password": "pw-literal-99"}},
            },
            {
                "name": "b",
                "method": "POST",
                "url": f"{BASE}/form",
                "form": {"user": "alice", "passwd": "pw-literal-66"},
            },
        ],
        {},
    )
    secrets = config.secrets
    for value in (
        "k-literal-77",
        "abcdefgh12345678",
        "tok-literal-88",
        "pw-literal-99",
        "pw-literal-66",
    ):
        assert value in secrets, value
    for value in ("text/html", "order-1234", "alice", BASE):
        assert all(value not in secret for secret in secrets), value


@pytest.mark.parametrize(
    ("capture", "secret"),
    [
        ({"plain": "$.value"}, False),
        ({"plain": {"json": "$.value"}}, False),
        ({"plain": {"json": "$.value", "secret": True}}, True),
        ({"plain": {"header": "X-Value", "secret": "yes"}}, True),
        ({"plain": {"header": "X-Value"}}, False),
        ({"plain": {"regex": "v=(\\w+)"}}, False),
        ({"plain": {"regex": "v=(\\w+)", "secret": True}}, True),
        ({"plain": {"header": "X-Auth-Value"}}, True),
        ({"session_id": "$.value"}, True),
        ({"plain": "$.data.token"}, True),
    ],
)
def test_captured_values_are_secret_when_marked_or_named_so(
    capture: dict[str, Any], secret: bool
) -> None:
    value = "v3x9f8e7d6c5b4a"
    name, spec = next(iter(capture.items()))
    where = spec if isinstance(spec, str) else next(iter(spec.values()))

    def give(request: Request) -> Any:
        if where == "$.data.token":
            return json_reply({"data": {"token": value}})
        if where.startswith("X-"):
            return json_reply({}, headers=[(where, value)])
        if where.startswith("v="):
            return Reply(200, f"v={value}".encode())
        return json_reply({"value": value})

    with TestServer() as server:
        server.add_route("GET", r"/give", give)
        config = _config(
            [
                {
                    "name": "flow",
                    "steps": [
                        {"name": "get", "url": server.url("/give"), "capture": capture},
                        {"name": "use", "url": server.url(f"/status/500?q={{{{ {name} }}}}")},
                    ],
                }
            ],
            {},
            defaults={"retries": 0},
        )
        run = run_checks(config)
        base = server.base_url
    shown = render_text(run, redactor=_run_redactor(config, run), verbosity=1)
    assert not run.results[0].ok, shown
    assert run.results[0].kind_details.step == "use", shown
    assert (value not in shown) is secret, shown
    assert base in shown


def test_redact_section_errors_have_positions(validate: Callable[..., Outcome]) -> None:
    outcome = validate(
        """
        version: 1
        redact:
          env: [GOOD, 1BAD]
          nmes: [x]
        checks:
          - {name: a, url: "https://x.test/"}
        """
    )
    assert outcome.exit_code == 2
    messages = {p["path"]: p for p in outcome.problems}
    assert "redact.env[1]" in messages, outcome.problems
    assert messages["redact.env[1]"]["line"] == 3
    nmes = next(p for p in outcome.problems if "nmes" in p["message"])
    assert 'did you mean "names"' in nmes["message"]


def test_a_capture_needs_a_kind_besides_secret(validate: Callable[..., Outcome]) -> None:
    outcome = validate(
        """
        version: 1
        checks:
          - name: flow
            steps:
              - name: s
                url: https://x.test/
                capture: {tok: {secret: true}}
        """
    )
    assert outcome.exit_code == 2
    (error,) = outcome.problems
    assert error["path"].startswith("checks[0].steps[0].capture")
    assert 'expected a JSONPath such as "$.id", {json: "$.id"}' in error["message"]


def test_protocol_words_and_numbers_do_not_become_secrets() -> None:
    """`Access-Control-Allow-Credentials: true` and `"token_ttl": 3600` must not
    mask every "true" and "3600" of the run."""

    def reply(request: Request) -> Any:
        return json_reply(
            {"authenticated": True, "token_ttl": 3600, "note": "ttl 3600, ok true"},
            headers=[("Access-Control-Allow-Credentials", "true"), ("X-Session", "sess-abc-123")],
        )

    with TestServer() as server:
        server.add_route("GET", r"/me", reply)
        config = _config(
            [{"name": "me", "url": server.url("/me"), "expect": {"json": {"$.note": "x"}}}],
            {},
            defaults={"retries": 0},
        )
        run = run_checks(config)
    shown = render_text(run, redactor=_run_redactor(config, run), verbosity=2)
    assert "$.note was 'ttl 3600, ok true'" in shown, shown
    assert '"token_ttl": "***"' in shown  # masked in its position
    assert "sess-abc-123" not in _run_redactor(config, run).text("sess-abc-123")


def test_a_secret_in_a_metrics_label_is_refused(tmp_path: Path) -> None:
    """A check's name is a metric label and is never masked (masking would merge
    series): a secret inside one is a config error, and nothing runs."""
    with TestServer() as server:
        config = write_config(
            tmp_path,
            {
                "version": 1,
                "defaults": {"retries": 0},
                "checks": [{"name": "svc-${SVC_TOKEN}", "url": server.url("/status/200")}],
            },
        )
        metrics = tmp_path / "metrics.prom"
        result = run_cli(
            "run", str(config), "--no-alert", "--metrics", str(metrics),
            env={"SVC_TOKEN": "abcd1234"},
        )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "checks[0].name" in result.output and "rename the check" in result.output
    assert not metrics.exists()
    assert "abcd1234" not in result.output


def test_a_url_password_is_masked_and_the_rest_of_the_url_shown() -> None:
    redactor = config_redactor(_config([{"name": "a", "url": BASE}], {}))
    shown = redactor.text("GET https://probe:pa55-w0rd@api.example.com:8443/x?id=7 failed")
    assert shown == "GET https://probe:***@api.example.com:8443/x?id=7 failed"
    assert redactor.text("mail me@example.com, see https://x.test/a@b") == (
        "mail me@example.com, see https://x.test/a@b"
    )


def test_config_errors_quote_no_secret(validate: Callable[..., Outcome]) -> None:
    """A bad value read from a sensitive variable is an error that does not show it."""
    outcome = validate(
        """
        version: 1
        redact: {env: [PLAIN_LISTED]}
        pagerduty: {region: "${API_TOKEN}"}
        checks:
          - name: a
            url: https://x.test/
            timeout: "${PLAIN_LISTED}"
            retries: "${PLAIN}"
        """,
        env={"API_TOKEN": "tok-123456789", "PLAIN_LISTED": "listed-42424", "PLAIN": "plain-9191"},
    )
    assert outcome.exit_code == 2
    text = outcome.output + repr(outcome.problems)
    assert "tok-123456789" not in text and "listed-42424" not in text
    assert "got '***'" in text
    assert "plain-9191" in text  # not a secret: the mistake is shown as it is


def _run_redactor(config: Config, run: Any) -> Any:
    """The run's redactor, as the runner builds it."""
    return config_redactor(config).with_secrets(run.secrets)
