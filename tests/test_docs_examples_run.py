"""Every checks.yaml example of the docs and the README is run, not only
validated: `e2echeck run --no-alert` against a local server on 127.0.0.1.

Each example's URLs point at the server (which answers every request with a
small JSON document, or the body it was sent; a tcp://, tls://, dns:// or grpc://
check reaches its port too, and fails there), its `${VAR}`s are set, its
secret references and `s3://` paths are replaced by local stand-ins. The run
must read the file and try every check: exit 0 or 1 (a check may well fail
against a generic server), never a config error, an unset variable or an
internal error; and the server must have been asked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.cli import run_cli
from tests.support.servers import Reply, Request, TestServer, json_reply
from tests.test_docs import EXAMPLES

URL_HOST = re.compile(r"\b([a-z][a-z0-9+.-]*)://[A-Za-z0-9.\-]+(:[0-9]+)?")
SECRET_REFERENCE = re.compile(r"\$\{(ssm|secretsmanager):[^}]*\}")
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}")
# What the docs tell a user to set: URLs, keys, tokens, passwords. Any other
# `${NAME}` left unset makes the run fail, as it would for the user (a `$${`
# meant as literal text, written as `${`, is read as a variable).
USER_SETS = re.compile(r"(URL|KEY|TOKEN|PASSWORD|SECRET|UUID|NUMBER)$")
DOCUMENT = {"status": "UP", "replicas": 3, "id": 42, "token": "t0ken-for-the-docs-test"}


@pytest.fixture(scope="module")
def docs_server() -> Iterator[TestServer]:
    def answer(request: Request) -> Reply:
        if request.method in ("POST", "PUT", "PATCH") and request.body:
            return Reply(200, request.body)  # an echo, for the examples that send a body
        return json_reply(DOCUMENT)

    with TestServer() as server:
        server.add_route("*", r".*", answer)
        yield server


def _local(value: Any, base: str) -> Any:
    """`value` with every URL's host on the local server, references replaced."""
    if isinstance(value, str):
        value = SECRET_REFERENCE.sub("docs-secret-value", value)
        value = re.sub(r"s3://[^\s\"']+", "shared-state.json", value)
        port = base.rsplit(":", 1)[1]

        def local(match: re.Match[str]) -> str:
            scheme, own_port = match.group(1), match.group(2)
            if scheme in ("http", "https"):
                return base
            if scheme == "starttls" and own_port:  # its port says which protocol speaks
                return f"{scheme}://127.0.0.1{own_port}"
            return f"{scheme}://127.0.0.1:{port}"

        return URL_HOST.sub(local, value)
    if isinstance(value, dict):
        # The local server speaks plain HTTP (a certificate's expiry is tested
        # elsewhere), and a run tries each check once: no test sleeps through retries.
        dropped = ("tls_cert_min_days", "retries", "retry_delay")
        return {k: _local(v, base) for k, v in value.items() if k not in dropped}
    if isinstance(value, list):
        return [_local(item, base) for item in value]
    return value


def _environment(text: str, base: str) -> dict[str, str]:
    """A value for each ${VAR} a user sets: the server for URLs, else a token."""
    env = {}
    for name, _ in VARIABLE.findall(text):
        if USER_SETS.search(name):
            env[name] = base if name.endswith("URL") else f"docs-{name.lower()}-value"
    return env


@pytest.mark.parametrize(("where", "body"), EXAMPLES, ids=[w for w, _ in EXAMPLES])
def test_every_docs_example_runs_against_a_local_server(
    where: str,
    body: str,
    tmp_path: Path,
    docs_server: TestServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = yaml.safe_load(body)
    local = _local(document, docs_server.base_url)
    local["defaults"] = {**(local.get("defaults") or {}), "retries": 0, "timeout": "2s"}
    text = yaml.safe_dump(local, sort_keys=False, allow_unicode=True)
    (tmp_path / "checks.yaml").write_text(text, encoding="utf-8")
    env: dict[str, str | None] = {**_environment(text, docs_server.base_url)}
    expected = (local.get("locations") or {}).get("expected")
    env["E2ECHECK_LOCATION"] = expected[0] if expected else None
    before = len(docs_server.log)

    monkeypatch.chdir(tmp_path)  # a relative state path lands here
    result = run_cli("run", "checks.yaml", "--no-alert", "--format", "json", env=env)

    assert result.exit_code in (0, 1), f"{where}: exit {result.exit_code}\n{result.output}"
    report = json.loads(result.stdout)
    tried = [c for c in report["checks"] if c["outcome"] != "skipped"]
    assert tried, f"{where}: no check ran"
    if "http://" in text:  # other kinds reach the same port, but speak no HTTP to log
        assert len(docs_server.log) > before, f"{where}: the local server was never asked"
    assert "internal error" not in result.output
