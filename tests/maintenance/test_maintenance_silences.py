"""`e2echeck silence` through the real CLI: stored in the state, honoured by runs,
and gone when expired. (The Lambda on S3 state: tests/lambda/test_lambda_maintenance.py.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.maintenance.test_maintenance_runs import ENV, Target, actions
from tests.support.cli import run_cli
from tests.support.configs import QUICK_DEFAULTS, config_document, write_config
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import TestServer

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


@pytest.fixture
def target(http_server: TestServer) -> Target:
    return Target(http_server)


@pytest.fixture
def config(tmp_path: Path, target: Target, fake_pd: FakePagerDuty) -> Path:
    document = config_document(
        [
            {"name": "payments-api", "url": target.url},
            {"name": "payments-web", "url": target.url},
            {"name": "blog", "url": target.url},
        ],
        defaults=QUICK_DEFAULTS,
        events_url=fake_pd.url,
        state=tmp_path / "state.json",
    )
    return write_config(tmp_path, document)


def silence(config: Path, *args: str, now: datetime = T0) -> Any:
    return run_cli("silence", "--config", str(config), *args, env=ENV, now=now)


def state_of(tmp_path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((tmp_path / "state.json").read_text())
    return document


def test_silence_is_honoured_until_it_expires_then_dropped(
    tmp_path: Path, config: Path, fake_pd: FakePagerDuty
) -> None:
    added = silence(config, "payments-*", "--for", "2h", "--reason", "card provider outage")
    assert added.exit_code == 0, added.output
    assert "silenced payments-* until 2026-11-28 12:00:00 UTC" in added.stdout
    [stored] = state_of(tmp_path)["silences"]
    assert stored["pattern"] == "payments-*"
    assert stored["reason"] == "card provider outage"

    listed = silence(config, "--list", now=T0 + timedelta(minutes=30))
    assert "payments-*  until 2026-11-28 12:00:00 UTC (1h30m left)  card provider outage" in (
        listed.stdout
    )

    inside = run_cli("run", str(config), env=ENV, now=T0 + timedelta(hours=1))
    assert inside.exit_code == 1  # blog is not silenced
    assert "MAINT payments-api" in inside.stdout
    assert "card provider outage" in inside.stdout
    assert sorted(e["dedup_key"] for e in fake_pd.events) == ["blog"]

    after = run_cli("run", str(config), env=ENV, now=T0 + timedelta(hours=2))
    assert after.exit_code == 1
    assert sorted(e["dedup_key"] for e in fake_pd.events) == [
        "blog",
        "payments-api",
        "payments-web",
    ]
    assert state_of(tmp_path)["silences"] == []  # expired: dropped on this write
    assert silence(config, "--list", now=T0 + timedelta(hours=2)).stdout == "no active silences\n"


def test_list_shows_the_windows_active_now(tmp_path: Path, target: Target) -> None:
    document = config_document([{"name": "blog", "url": target.url}], state=tmp_path / "state.json")
    document["maintenance"] = [{"name": "backup", "start": "09:45", "duration": "30m"}]
    config = write_config(tmp_path, document)
    listed = silence(config, "--list")
    assert listed.stdout.splitlines() == [
        "window backup  until 2026-11-28 10:15:00 UTC (0h15m left)",
        "no active silences",
    ]


def test_silencing_again_replaces_and_remove_ends_it(
    tmp_path: Path, config: Path, fake_pd: FakePagerDuty
) -> None:
    silence(config, "blog", "payments-api", "--for", "1h")
    silence(config, "blog", "--for", "3h", now=T0 + timedelta(minutes=10))
    silences = {s["pattern"]: s["until"] for s in state_of(tmp_path)["silences"]}
    assert silences == {
        "payments-api": "2026-11-28T11:00:00+00:00",
        "blog": "2026-11-28T13:10:00+00:00",
    }
    removed = silence(config, "--remove", "blog")
    assert removed.exit_code == 0
    assert [s["pattern"] for s in state_of(tmp_path)["silences"]] == ["payments-api"]
    missing = silence(config, "--remove", "blo*")
    assert missing.exit_code == 2
    assert "no active silence 'blo*' (active: payments-api)" in missing.stderr

    run_cli("run", str(config), env=ENV, now=T0 + timedelta(minutes=20))
    assert sorted(e["dedup_key"] for e in fake_pd.events) == ["blog", "payments-web"]


def test_silence_errors_exit_2(tmp_path: Path, config: Path) -> None:
    typo = silence(config, "paymnts-api", "--for", "1h")
    assert typo.exit_code == 2
    assert "'paymnts-api' matches no check; did you mean \"payments-api\"?" in typo.stderr
    assert silence(config, "blog").exit_code == 2  # no --for
    assert "--for" in silence(config, "blog").stderr
    assert silence(config, "blog", "--for", "soon").exit_code == 2
    assert silence(config, "--list", "--remove", "blog").exit_code == 2
    assert not (tmp_path / "state.json").exists()

    stateless = tmp_path / "stateless.yaml"
    stateless.write_text(
        "version: 1\nchecks:\n  - name: blog\n    url: https://blog.example.com/\n"
    )
    no_state = run_cli("silence", "--config", str(stateless), "blog", "--for", "1h")
    assert no_state.exit_code == 2
    assert "set state.path in checks.yaml or pass --state" in no_state.stderr
    with_state = run_cli(
        "silence", "--config", str(stateless), "--state", str(tmp_path / "s.json"), "blog",
        "--for", "1h",
    )  # fmt: skip
    assert with_state.exit_code == 0, with_state.output
    assert json.loads((tmp_path / "s.json").read_text())["silences"][0]["pattern"] == "blog"


def test_old_state_without_silences_still_loads(
    tmp_path: Path, config: Path, fake_pd: FakePagerDuty
) -> None:
    (tmp_path / "state.json").write_text(
        json.dumps({"version": 1, "updated_at": None, "alerts": {}})
    )
    assert silence(config, "--list").stdout == "no active silences\n"
    assert run_cli("run", str(config), env=ENV).exit_code == 1
    assert sorted(actions(fake_pd)) == ["trigger"] * 3
