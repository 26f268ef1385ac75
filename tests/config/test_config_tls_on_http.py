"""tls_cert_min_days on a URL written as http:// can never pass: validate says so,
and so does the JSON Schema; a URL from the environment is left alone."""

from __future__ import annotations

import json
from pathlib import Path
from textwrap import dedent

import jsonschema
import yaml

from tests.support.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
TEXT = dedent(
    """\
    version: 1
    checks:
      - name: plain
        url: http://127.0.0.1:9/health
        expect: {tls_cert_min_days: 14}
      - name: from-env
        url: ${SITE_URL:-http://127.0.0.1:8}/
        expect: {tls_cert_min_days: 14}
      - name: secure
        url: https://a.test/
        expect: {tls_cert_min_days: 14}
      - name: scenario
        steps:
          - name: first
            url: HTTP://a.test/x
            expect: {tls_cert_min_days: 1}
    """
)


def test_validate_rejects_a_certificate_check_on_a_literal_http_url(tmp_path: Path) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text(TEXT, encoding="utf-8")
    result = run_cli("validate", "--format", "json", str(path), env={"SITE_URL": None})
    assert result.exit_code == 2, result.output
    errors = [p for p in json.loads(result.stdout)["files"][0]["problems"]]
    assert [(p["line"], p["path"]) for p in errors] == [
        (5, "checks[0].expect.tls_cert_min_days"),
        (16, "checks[3].steps[0].expect.tls_cert_min_days"),
    ]
    assert "needs an https:// URL" in errors[0]["message"]


def test_the_schema_rejects_it_too() -> None:
    schema = json.loads((ROOT / "checks.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    document = yaml.safe_load(TEXT)
    rejected = {error.path[1] for error in validator.iter_errors(document)}
    assert rejected == {0, 3}
