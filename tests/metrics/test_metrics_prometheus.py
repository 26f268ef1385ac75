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
        "e2echeck_check_outcome",
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


def test_a_maintenance_only_run_is_ok_everywhere_and_never_success_0(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    """Failures in maintenance are planned: exit 0, `ok: true`, no Success of 0 in
    Prometheus or EMF, and every check's outcome in the textfile."""
    from e2echeck.config import load_config
    from e2echeck.engine.results import Outcome, RunResult
    from e2echeck.metrics.emf import emf_documents
    from e2echeck.redaction import Redactor
    from tests.alerting.helpers import STARTED
    from tests.alerting.helpers import result as check_result

    path = tmp_path / "checks.yaml"
    path.write_text(
        f"""\
version: 1
defaults: {{timeout: 3s, retries: 0, retry_delay: 0s}}
pagerduty:
  routing_key: {ROUTING_KEY}
  events_url: {fake_pd.url}
maintenance:
  - name: deploy
    from: 2000-01-01T00:00:00Z
    to: 2100-01-01T00:00:00Z
    checks: [down]
checks:
  - name: up
    url: {http_server.url("/status/200")}
  - name: down
    url: {http_server.url("/status/503")}
""",
        encoding="utf-8",
    )
    metrics, report = tmp_path / "e2echeck.prom", tmp_path / "report.json"
    result = CliRunner().invoke(
        main,
        ["run", str(path), "--metrics", str(metrics), "--json", str(report)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    document = json.loads(report.read_text())
    assert document["summary"]["ok"] is True
    assert document["summary"]["maintenance"] == 1
    samples = _samples(metrics.read_text())
    assert ("e2echeck_check_success", (("check", "down"),)) not in samples
    assert samples[("e2echeck_check_success", (("check", "up"),))] == 1
    down_outcomes = {
        outcome: samples[("e2echeck_check_outcome", (("check", "down"), ("outcome", outcome)))]
        for outcome in ("ok", "failed", "maintenance", "unknown", "skipped")
    }
    assert down_outcomes == {
        "ok": 0,
        "failed": 0,
        "maintenance": 1,
        "unknown": 0,
        "skipped": 0,
    }
    assert not any(
        name == "e2echeck_check_success" and value == 0 for (name, _), value in samples.items()
    )

    config = load_config(path)

    run = RunResult(
        results=[
            check_result(config, "up", Outcome.OK),
            check_result(config, "down", Outcome.MAINTENANCE, maintenance="window deploy"),
        ],
        started_at=STARTED,
        finished_at=STARTED,
    )
    assert run.ok
    emf = emf_documents(run, redactor=Redactor())
    down = next(d for d in emf if d.get("check") == "down")
    assert "Success" not in down and down["Maintenance"] == 1
    names = [m["Name"] for m in down["_aws"]["CloudWatchMetrics"][0]["Metrics"]]
    assert "Maintenance" in names and "Success" not in names
    assert emf[-1]["Maintenance"] == 1


def test_unknown_and_skipped_checks_have_their_outcome_in_the_textfile(
    tmp_path: Path, http_server: TestServer
) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text(
        f"""\
version: 1
defaults: {{timeout: 3s, retries: 0, retry_delay: 0s}}
checks:
  - name: internet
    role: control
    url: {http_server.url("/status/503")}
  - name: api
    url: {http_server.url("/status/200")}
""",
        encoding="utf-8",
    )
    metrics = tmp_path / "e2echeck.prom"
    result = CliRunner().invoke(
        main, ["run", str(path), "--no-alert", "--metrics", str(metrics)], catch_exceptions=False
    )
    assert result.exit_code == 1, result.output
    samples = _samples(metrics.read_text())
    assert samples[("e2echeck_check_outcome", (("check", "api"), ("outcome", "unknown")))] == 1
    assert ("e2echeck_check_success", (("check", "api"),)) not in samples
