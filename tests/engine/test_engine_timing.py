"""Honest timings: latencies taken at the transport, the loop's lag in the reports,
latency failures re-checked when the loop lagged, and a CPU-starved run."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from e2echeck.engine import Outcome, RunResult, arun_checks, run_checks
from e2echeck.redaction import Redactor
from e2echeck.report.json_report import build_json
from e2echeck.report.junit import render_junit
from e2echeck.report.text import render_text
from tests.support.cli import run_cli
from tests.support.servers import TestServer

ROOT = Path(__file__).resolve().parents[2]
REMEDY = "Lower --concurrency or give the function more memory."


def test_latency_is_the_endpoints_time_measured_at_the_transport(
    make_config: Any, http_server: TestServer
) -> None:
    config = make_config(
        [{"name": f"d{i}", "url": http_server.url("/delay/0.2")} for i in range(4)]
    )
    started = time.perf_counter()
    run = run_checks(config, concurrency=1)  # one at a time: three of them wait their turn
    wall = time.perf_counter() - started
    assert wall >= 0.8
    for result in run.results:
        assert result.ok, result.failures
        assert 190 <= result.duration_ms < 600, result.duration_ms  # not the queue's 400-800
    assert run.timing.peak_in_flight == 1
    assert run.timing.concurrency == 1
    assert run.timing.warning is None


def _blocked_run(config: Any, block_at: float, block_for: float) -> RunResult:
    """Run `config` while another task blocks the event loop for `block_for`
    seconds, `block_at` seconds in: what a starved CPU does to a response."""

    async def scenario() -> RunResult:
        async def blocker() -> None:
            await asyncio.sleep(block_at)
            time.sleep(block_for)  # blocks the whole loop, on purpose

        task = asyncio.create_task(blocker())
        run = await arun_checks(config, concurrency=10)
        await task
        return run

    return asyncio.run(scenario())


def test_a_latency_failure_while_the_loop_lagged_is_rechecked_at_low_concurrency(
    make_config: Any, http_server: TestServer
) -> None:
    config = make_config(
        [
            {
                "name": "latency",
                "url": http_server.url("/delay/0.3"),
                "expect": {"max_response_time": "500ms"},
            },
            {
                "name": "status",
                "url": http_server.url("/delay/0.3"),
                "expect": {"status": 500, "max_response_time": "500ms"},
            },
        ],
        retries=0,
    )
    run = _blocked_run(config, block_at=0.1, block_for=0.5)
    latency, status = run.results
    # The loop was blocked while the response came in: the first attempt took
    # about 0.6 s. It was the lag's fault, so it is checked again, quietly.
    assert latency.outcome is Outcome.OK, latency.failures
    assert latency.attempts == 2
    assert len(latency.retried_reasons) == 1
    assert latency.retried_reasons[0].startswith("response took ")
    assert "re-checked at low concurrency" in latency.retried_reasons[0]
    assert latency.duration_ms < 500
    # A wrong status is not the lag's fault: not re-checked, it counts.
    assert status.outcome is Outcome.FAILED
    assert status.attempts == 1
    assert status.failures[0] == "expected status 500, got 200"
    timing = run.timing
    assert timing.rechecked == 1
    assert timing.lag_max_ms >= 400
    assert timing.warning is not None and timing.warning.endswith(REMEDY)
    assert "1 latency failure was re-checked" in timing.warning
    # ... and every report says so.
    text = render_text(run, redactor=Redactor())
    assert "\ntimings unreliable: the event loop lagged" in text
    assert REMEDY in text
    summary = build_json(run, redactor=Redactor())["summary"]
    assert summary["latency_rechecks"] == 1
    assert summary["timing_warning"] == timing.warning
    assert summary["lag_max_ms"] >= 400
    suite = ET.fromstring(render_junit(run, redactor=Redactor())).find("testsuite")
    assert suite is not None
    properties = {p.get("name"): p.get("value") for p in suite.findall("./properties/property")}
    assert properties["timing_warning"] == timing.warning
    assert properties["latency_rechecks"] == "1"


def test_a_latency_failure_without_lag_counts_at_once(
    make_config: Any, http_server: TestServer
) -> None:
    config = make_config(
        [
            {
                "name": "slow",
                "url": http_server.url("/delay/0.3"),
                "expect": {"max_response_time": "100ms"},
            }
        ],
        retries=0,
    )
    run = run_checks(config)
    (slow,) = run.results
    assert slow.outcome is Outcome.FAILED
    assert slow.attempts == 1
    assert slow.failures[0].startswith("response took ")
    assert run.timing.rechecked == 0


def _write(tmp_path: Path, checks: list[dict[str, Any]], **defaults: Any) -> str:
    document = {
        "version": 1,
        "defaults": {"retries": 0, "timeout": "2s", **defaults},
        "checks": checks,
    }
    path = tmp_path / "checks.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return str(path)


def test_the_reports_carry_the_loops_lag_and_the_peak_in_flight(
    tmp_path: Path, http_server: TestServer
) -> None:
    config = _write(
        tmp_path,
        [{"name": f"c{i}", "url": http_server.url("/delay/0.05")} for i in range(6)],
    )
    junit = tmp_path / "junit.xml"
    done = run_cli(
        "run",
        config,
        "--no-alert",
        "--format",
        "json",
        "--concurrency",
        "3",
        "--junit",
        str(junit),
        catch_exceptions=False,
    )
    assert done.exit_code == 0, done.output
    summary = json.loads(done.stdout)["summary"]
    for key in ("lag_p50_ms", "lag_p99_ms", "lag_max_ms"):
        assert isinstance(summary[key], int | float) and summary[key] >= 0
    assert summary["lag_p50_ms"] <= summary["lag_p99_ms"] <= summary["lag_max_ms"]
    assert 1 <= summary["peak_in_flight"] <= 3
    assert summary["latency_rechecks"] == 0
    assert summary["timing_warning"] is None
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    properties = {p.get("name"): p.get("value") for p in suite.findall("./properties/property")}
    assert float(properties["lag_p99_ms"]) >= 0
    assert 1 <= int(properties["peak_in_flight"]) <= 3
    assert properties["latency_rechecks"] == "0"
    text = run_cli("run", config, "--no-alert", catch_exceptions=False)
    assert "timings unreliable" not in text.output


# -- a CPU-starved run -------------------------------------------------------------------


def _can_pin() -> bool:
    return hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) >= 2


@pytest.fixture
def starved_cpu() -> Iterator[int]:
    """One CPU shared with three busy loops (a quarter of a core for anyone else
    pinned there); the loops are killed whatever happens."""
    cpu = max(os.sched_getaffinity(0))
    busy: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(3):
            busy.append(
                subprocess.Popen(
                    [sys.executable, "-c", "while True: pass"],
                    preexec_fn=lambda: os.sched_setaffinity(0, {cpu}),
                )
            )
        yield cpu
    finally:
        for process in busy:
            process.kill()
        for process in busy:
            process.wait()


@pytest.mark.slow
@pytest.mark.skipif(not _can_pin(), reason="needs os.sched_setaffinity and two CPUs")
def test_a_cpu_starved_run_does_not_fail_latency_assertions(
    tmp_path: Path, starved_cpu: int
) -> None:
    others = os.sched_getaffinity(0) - {starved_cpu}
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "servers.py"), "target", "--delay", "0.2"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=lambda: os.sched_setaffinity(0, others),
    )
    try:
        assert server.stdout is not None
        port = server.stdout.readline().split()[1]
        checks = [
            {
                "name": f"c{i}",
                "url": f"http://127.0.0.1:{port}/c{i}",
                "expect": {"max_response_time": "400ms"},
            }
            for i in range(40)
        ]
        config = _write(tmp_path, checks, timeout="10s")
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "e2echeck",
                "run",
                config,
                "--no-alert",
                "--format",
                "json",
                "--concurrency",
                "100",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
            preexec_fn=lambda: os.sched_setaffinity(0, {starved_cpu}),
        )
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=10)
    report = json.loads(done.stdout)
    failed = [(c["name"], c["failures"]) for c in report["checks"] if not c["ok"]]
    assert failed == [], (failed, report["summary"])
    assert done.returncode == 0, done.stderr
    assert 1 <= report["summary"]["peak_in_flight"] <= 40


def test_waiting_for_a_connection_is_neither_timed_nor_charged_to_the_timeout(
    http_server: TestServer,
) -> None:
    """Two requests, one connection: the second waits 0.5 s for it. Its latency
    is still the endpoint's 0.5 s, and its 0.8 s timeout starts when it is sent."""
    from e2echeck.kinds.http.request import HttpPool, RequestSpec

    spec = RequestSpec(
        method="GET",
        url=http_server.url("/delay/0.5"),
        headers={},
        params=None,
        content=None,
        json=None,
        form=None,
        timeout=0.8,
        follow_redirects=True,
        verify_tls=True,
        need_cert=False,
    )

    async def scenario() -> tuple[list[float], float]:
        async with HttpPool(1) as pool:
            started = time.perf_counter()
            done = await asyncio.gather(pool.exchange(spec), pool.exchange(spec))
            return [exchange.elapsed for exchange, _ in done], time.perf_counter() - started

    elapsed, wall = asyncio.run(scenario())
    assert wall >= 1.0  # one after the other
    for seconds in elapsed:
        assert 0.49 <= seconds < 0.8, elapsed
