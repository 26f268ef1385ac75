"""PagerDuty change events: a maintenance window starting and ending, a silence
added and removed (with its reason and who), and `e2echeck change` for deploys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.support.cli import run_cli
from tests.support.configs import QUICK_DEFAULTS, config_document, write_config
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import TestServer

ROUTING_KEY = "0123456789abcdef0123456789abcdef"
ENV = {"PAGERDUTY_ROUTING_KEY": ROUTING_KEY, "USER": "alice"}
WINDOW_FROM = datetime(2026, 12, 5, 21, 0, tzinfo=UTC)
WINDOW_TO = datetime(2026, 12, 5, 23, 0, tzinfo=UTC)


def _write(tmp_path: Path, fake: FakePagerDuty, server: TestServer, **extra: Any) -> Path:
    document = config_document(
        [{"name": "payments-api", "url": server.url("/status/503"), "expect": {"status": 200}}],
        defaults=QUICK_DEFAULTS,
        events_url=fake.url,
        state=tmp_path / "state.json",
    )
    document.update(extra)
    return write_config(tmp_path, document)


def _summaries(fake: FakePagerDuty) -> list[str]:
    return [c["payload"]["summary"] for c in fake.changes]


def test_a_window_sends_a_change_event_when_it_starts_and_when_it_ends(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    window = {
        "name": "db-migration",
        "from": WINDOW_FROM.isoformat(),
        "to": WINDOW_TO.isoformat(),
    }
    path = str(_write(tmp_path, fake_pd, http_server, maintenance=[window]))
    run_cli("run", path, env=ENV, now=WINDOW_FROM - timedelta(minutes=10))
    assert fake_pd.changes == []
    for minutes in (10, 20):
        run_cli("run", path, env=ENV, now=WINDOW_FROM + timedelta(minutes=minutes))
    assert _summaries(fake_pd) == ["maintenance started: window db-migration"]
    run_cli("run", path, env=ENV, now=WINDOW_TO + timedelta(minutes=5))
    assert _summaries(fake_pd) == [
        "maintenance started: window db-migration",
        "maintenance ended: window db-migration",
    ]
    change = fake_pd.changes[0]
    assert change["routing_key"] == ROUTING_KEY
    assert set(change["payload"]) >= {"summary", "timestamp", "source"}


def test_a_silence_sends_change_events_with_its_reason_and_who(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    path = str(_write(tmp_path, fake_pd, http_server))
    added = run_cli(
        "silence",
        "payments-*",
        "--for",
        "2h",
        "--reason",
        "provider outage",
        "--config",
        path,
        env=ENV,
    )
    assert added.exit_code == 0, added.output
    removed = run_cli("silence", "--remove", "payments-*", "--config", path, env=ENV)
    assert removed.exit_code == 0, removed.output
    assert _summaries(fake_pd) == [
        "silence added: payments-* for 2h by alice: provider outage",
        "silence removed: payments-* by alice",
    ]
    assert fake_pd.changes[0]["payload"]["custom_details"]["reason"] == "provider outage"
    assert fake_pd.events == []  # change events page nobody


def test_change_command_sends_a_deploy_with_its_link(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    path = str(_write(tmp_path, fake_pd, http_server))
    outcome = run_cli(
        "change",
        "deployed api v1.4",
        "--link",
        "https://ci.example.com/runs/812",
        "--config",
        path,
        env=ENV,
    )
    assert outcome.exit_code == 0, outcome.output
    (change,) = fake_pd.changes
    assert change["payload"]["summary"] == "deployed api v1.4"
    assert change["links"] == [
        {"href": "https://ci.example.com/runs/812", "text": "https://ci.example.com/runs/812"}
    ]
    assert change["payload"]["custom_details"]["by"] == "alice"


def test_change_command_fails_with_exit_3_when_pagerduty_refuses(
    tmp_path: Path, http_server: TestServer, refused_url: str
) -> None:
    document = config_document(
        [{"name": "a", "url": http_server.url("/status/200")}],
        events_url=refused_url,
    )
    path = str(write_config(tmp_path, document))
    outcome = run_cli("change", "deployed", "--config", path, env=ENV)
    assert outcome.exit_code == 3, outcome.output
    assert ROUTING_KEY not in outcome.output


def test_change_command_reads_the_pagerduty_section_of_a_directorys_files(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    """The files of one run: the section may be in any of them (the GitHub
    Action passes every configured file)."""
    suite = tmp_path / "checks.d"
    suite.mkdir()
    (suite / "a.yaml").write_text(
        f"version: 1\nchecks:\n  - name: a\n    url: {http_server.url('/status/200')}\n",
        encoding="utf-8",
    )
    _write(suite, fake_pd, http_server).rename(suite / "b.yaml")
    outcome = run_cli("change", "deployed shop v2", "--config", str(suite), env=ENV)
    assert outcome.exit_code == 0, outcome.output
    assert _summaries(fake_pd)[-1] == "deployed shop v2"
    again = run_cli(
        "change",
        "deployed shop v3",
        "--config",
        str(suite / "a.yaml"),
        "--config",
        str(suite / "b.yaml"),
        env=ENV,
    )
    assert again.exit_code == 0, again.output
    assert _summaries(fake_pd)[-1] == "deployed shop v3"
