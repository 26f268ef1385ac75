"""`e2echeck run --list`: what a run would run (kind, role, tags, dependencies,
maintenance), with nothing requested, sent or saved."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from tests.support.cli import run_cli
from tests.support.servers import TestServer

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _config(tmp_path: Path, server: TestServer) -> Path:
    path = tmp_path / "checks.yaml"
    path.write_text(
        f"""\
version: 1
pagerduty: {{routing_key: "${{PAGERDUTY_ROUTING_KEY}}"}}
state: {{path: {tmp_path / "state.json"}}}
checks:
  - name: api-health
    url: {server.url("/list/api")}
    tags: [api, smoke]
  - name: order-flow
    tags: [api]
    steps:
      - name: create
        url: {server.url("/list/create")}
      - name: read
        url: {server.url("/list/read")}
  - name: site
    url: {server.url("/list/site")}
    depends_on: [api-health]
  - name: old
    enabled: false
    url: {server.url("/list/old")}
  - name: internet
    role: control
    url: {server.url("/list/control")}
maintenance:
  - name: deploy
    from: "2026-11-28T11:00:00Z"
    to: "2026-11-28T13:00:00Z"
    checks: [site]
""",
        encoding="utf-8",
    )
    return path


def test_list_shows_what_would_run_and_runs_nothing(
    tmp_path: Path, http_server: TestServer
) -> None:
    config = _config(tmp_path, http_server)
    silenced = run_cli("silence", "api-health", "--for", "1h", "--config", str(config), now=NOW)
    assert silenced.exit_code == 0, silenced.output
    state_before = (tmp_path / "state.json").read_text(encoding="utf-8")

    result = run_cli("run", str(config), "--list", now=NOW, env={"PAGERDUTY_ROUTING_KEY": None})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "ROLE", "TAGS", "DEPENDS", "ON", "MAINTENANCE"]
    rows = {line.split()[0]: line for line in lines[1:5]}
    assert rows["api-health"].split()[1:5] == ["http", "service", "api,smoke", "internet"]
    assert "silence" in rows["api-health"]
    assert rows["order-flow"].split()[1:5] == ["http", "scenario", "(2", "steps)"]
    assert rows["site"].split()[1:] == [
        "http",
        "service",
        "-",
        "api-health,internet",
        "window",
        "deploy",
    ]
    assert rows["internet"].split()[1:] == ["http", "control", "-", "-", "-"]
    assert "old" not in rows
    assert lines[-1] == "4 checks would run (1 disabled, not listed)"
    # Nothing was requested, and the state is as it was.
    with http_server.lock:
        assert not [r for r in http_server.log if r.path.startswith("/list/")]
    assert (tmp_path / "state.json").read_text(encoding="utf-8") == state_before


def test_list_follows_the_selection_and_speaks_json(
    tmp_path: Path, http_server: TestServer
) -> None:
    config = _config(tmp_path, http_server)
    result = run_cli("run", str(config), "--list", "--tag", "smoke", "--format", "json", now=NOW)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [c["name"] for c in document["checks"]] == ["api-health", "internet"]
    assert document["checks"][0] == {
        "name": "api-health",
        "kind": "http",
        "role": "service",
        "tags": ["api", "smoke"],
        "depends_on": ["internet"],
        "maintenance": None,
    }
    assert document["disabled"] == 1


def test_list_with_a_selection_matching_nothing_is_a_usage_error(
    tmp_path: Path, http_server: TestServer
) -> None:
    config = _config(tmp_path, http_server)
    result = run_cli("run", str(config), "--list", "--only", "api-helth")
    assert result.exit_code == 2
    assert "--only 'api-helth' matches no enabled check" in result.stderr
