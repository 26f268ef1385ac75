"""One timing of the alert delivery phase, in a fresh process (bench/run.py runs it).

    python bench/alert_phase.py product ENQUEUE_URL COUNT
    python bench/alert_phase.py floor ENQUEUE_URL COUNT

`product`: e2echeck.alerting.send_alerts on a RunResult of COUNT failed checks
(no state: one trigger each), timed from the call to its return, so the lazy
imports of pagerduty and httpx2 that a real run pays are included.
`floor`: the same COUNT trigger bodies POSTed with a bare httpx2.Client from a
thread pool as wide as e2echeck's delivery (DeliveryPolicy().max_workers),
imports included too, and nothing else.

Prints one JSON line: {"seconds": ..., "delivered": ...}.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from typing import Any

ROUTING_KEY = "0123456789abcdef0123456789abcdef"


def _config(enqueue_url: str, count: int) -> Any:
    from e2echeck.config import load_config_text

    lines = [
        "version: 1",
        "pagerduty:",
        f"  routing_key: {ROUTING_KEY}",
        f"  events_url: {enqueue_url}",
        f"  max_events_per_minute: {max(count, 1)}",  # measure delivery, not the storm budget
        "checks:",
    ]
    for i in range(count):
        lines.append(f"  - {{name: c{i}, url: 'https://service-{i}.example.com/health'}}")
    return load_config_text("\n".join(lines) + "\n", "bench.yaml", env={})


def _failed_run(config: Any) -> Any:
    from e2echeck.engine.results import CheckResult, Outcome, RunResult
    from e2echeck.kinds.http import HttpDetails

    now = datetime.now(UTC)
    results = [
        CheckResult(
            check=check,
            outcome=Outcome.FAILED,
            kind_details=HttpDetails(
                url=check.first_url,
                status_code=503,
                body_excerpt="<h1>Service Unavailable</h1>",
            ),
            duration_ms=12.5,
            attempts=3,
            failures=["status 503, expected 2xx"],
            started_at=now,
        )
        for check in config.checks
    ]
    return RunResult(results=results, started_at=now, finished_at=now)


def product(enqueue_url: str, count: int) -> dict[str, Any]:
    from e2echeck.alerting import send_alerts
    from e2echeck.config.redact import config_redactor

    config = _config(enqueue_url, count)
    run = _failed_run(config)
    redactor = config_redactor(config).with_secrets(run.secrets)  # the runner's, built once
    start = time.perf_counter()
    report = send_alerts(config, run, dry_run=False, redactor=redactor)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "delivered": report.delivered}


def floor(enqueue_url: str, count: int) -> dict[str, Any]:
    from e2echeck.alerting import DeliveryPolicy
    from e2echeck.alerting.sinks.pagerduty import PagerDutySink
    from e2echeck.alerting.transitions import observe
    from e2echeck.redaction import Redactor

    config = _config(enqueue_url, count)
    run = _failed_run(config)
    redactor = Redactor(config.secrets)
    sink = PagerDutySink(config, redactor)
    bodies = [
        {"routing_key": ROUTING_KEY, **sink.body(o.trigger)}
        for o in observe(config, run, redactor)
        if o.trigger is not None
    ]
    workers = min(DeliveryPolicy().max_workers, count)
    start = time.perf_counter()
    from concurrent.futures import ThreadPoolExecutor

    import httpx2

    limits = httpx2.Limits(max_connections=workers, max_keepalive_connections=workers)
    with httpx2.Client(limits=limits, timeout=10.0) as client:

        def post(body: dict[str, Any]) -> bool:
            return client.post(enqueue_url, json=body).status_code == 202

        with ThreadPoolExecutor(max_workers=workers) as pool:
            delivered = sum(pool.map(post, bodies))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "delivered": delivered}


if __name__ == "__main__":
    mode, url, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print(json.dumps((product if mode == "product" else floor)(url, n)))
