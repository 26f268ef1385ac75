"""`e2echeck run --metrics PATH`: the Prometheus textfile, read back with
prometheus_client's own parser and compared with the run's JSON report."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from e2echeck.cli import main
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import TestServer

parser = pytest.importorskip("prometheus_client.parser")

ROUTING_KEY = "PROMKEY0000000000000000000000abc"  # 32 characters


@pytest.fixture
def fake_pd() -> Iterator[FakePagerDuty]:
    fake = FakePagerDuty().start()
    try:
        yield fake
    finally:
        fake.stop()


def _config(tmp_path: Path, server: TestServer, events_url: str) -> Path:
    path = tmp_path / "checks.yaml"
    path.write_text(
        f"""\
version: 1
defaults: {{timeout: 3s, retries: 0, retry_delay: 0s}}
pagerduty:
  routing_key: {ROUTING_KEY}
  events_url: {events_url}
checks:
  - name: up
    url: {server.url("/status/200")}
  - name: down
    url: {server.url("/status/503")}
    retries: 2
    dedup_key: down-key
  - name: slow
    url: {server.url("/delay/0.2")}
""",
        encoding="utf-8",
    )
    return path


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in parser.text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_file_matches_the_run(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    metrics = tmp_path / "textfile" / "e2echeck.prom"
    metrics.parent.mkdir()
    metrics.write_text("stale content\n")  # replaced whole, never appended to
    report = tmp_path / "report.json"
    state = tmp_path / "state.json"
    before = time.time()

    result = CliRunner().invoke(
        main,
        [
            "run",
            str(_config(tmp_path, http_server, fake_pd.url)),
            "--metrics",
            str(metrics),
            "--json",
            str(report),
            "--state",
            str(state),
        ],
        catch_exceptions=False,
    )

    assert result.exit_code == 1, result.output
    checks = {c["name"]: c for c in json.loads(report.read_text())["checks"]}
    samples = _samples(metrics.read_text())
    assert sorted(p.name for p in metrics.parent.iterdir()) == ["e2echeck.prom"]  # no temp left
    for name, check in checks.items():
        labels = (("check", name),)
        assert samples[("e2echeck_check_success", labels)] == (1.0 if check["ok"] else 0.0)
        assert samples[("e2echeck_check_attempts", labels)] == check["attempts"]
        assert samples[("e2echeck_check_duration_seconds", labels)] == pytest.approx(
            check["duration_ms"] / 1000, abs=0.001
        )
    assert samples[("e2echeck_check_attempts", (("check", "down"),))] == 3
    assert samples[("e2echeck_check_duration_seconds", (("check", "slow"),))] >= 0.2
    # With state: the failing check's alert is open, the others are not.
    assert samples[("e2echeck_alert_open", (("check", "down"), ("dedup_key", "down-key")))] == 1
    assert samples[("e2echeck_alert_open", (("check", "up"), ("dedup_key", "up")))] == 0
    last_run = samples[("e2echeck_last_run_timestamp_seconds", ())]
    assert before <= last_run <= time.time()
    assert ROUTING_KEY not in metrics.read_text()


def test_without_state_there_is_no_alert_metric(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    metrics = tmp_path / "e2echeck.prom"
    config = _config(tmp_path, http_server, fake_pd.url)
    result = CliRunner().invoke(
        main, ["run", str(config), "--no-alert", "--metrics", str(metrics)], catch_exceptions=False
    )
    assert result.exit_code == 1
    names = {name for name, _ in _samples(metrics.read_text())}
    assert names == {
        "e2echeck_check_success",
        "e2echeck_check_duration_seconds",
        "e2echeck_check_attempts",
        "e2echeck_last_run_timestamp_seconds",
    }


def test_unwritable_metrics_path_is_an_error(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    config = _config(tmp_path, http_server, fake_pd.url)
    (tmp_path / "a-file").write_text("not a folder")
    target: Any = tmp_path / "a-file" / "e2echeck.prom"  # a missing folder is created
    result = CliRunner().invoke(
        main, ["run", str(config), "--no-alert", "--metrics", str(target)], catch_exceptions=False
    )
    assert result.exit_code == 2
    assert f"cannot write {target}" in result.stderr
