"""The shared state of several locations at scale (bench/run.py runs it).

    python bench/locations.py CHECKS LOCATIONS ROUNDS

Builds the state of CHECKS checks observed by LOCATIONS locations (a tenth of
the checks failing, reasons included), then times one run's work on it as the
last location: decode the document, record and decide every check (quorum,
watch, thresholds), encode it again, in CPU time. No I/O: the read and the conditional write
are one request each whatever the size.

Prints one JSON line: {"state_bytes": ..., "seconds": [...]}.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _config(checks: int, locations: list[str]) -> Any:
    from e2echeck.config import load_config_text

    lines = [
        "version: 1",
        "state: {path: s3://bench/state.json}",
        f"locations: {{expected: [{', '.join(locations)}]}}",
        "checks:",
        "  - {name: internet, url: 'https://control.example.com/', role: control}",
    ]
    lines += [
        f"  - {{name: check-{i:05}, url: 'https://service-{i}.example.com/health'}}"
        for i in range(checks)
    ]
    return load_config_text("\n".join(lines) + "\n", "bench.yaml", env={})


def _run(config: Any, now: datetime) -> Any:
    from e2echeck.engine.results import CheckResult, Outcome, RunResult
    from e2echeck.kinds.http import HttpDetails

    results = []
    for index, check in enumerate(config.checks):
        failed = index % 10 == 1
        results.append(
            CheckResult(
                check=check,
                outcome=Outcome.FAILED if failed else Outcome.OK,
                kind_details=HttpDetails(url=check.first_url, status_code=503 if failed else 200),
                duration_ms=12.5,
                attempts=1,
                failures=["expected status 2xx, got 503"] if failed else [],
                started_at=now,
            )
        )
    return RunResult(results=results, started_at=now, finished_at=now)


def main(argv: list[str]) -> int:
    from e2echeck._gc import gc_paused
    from e2echeck.alerting.located_dispatch import _mark_delivered, plan_run
    from e2echeck.alerting.state import State
    from e2echeck.redaction import Redactor

    checks, count, rounds = int(argv[0]), int(argv[1]), int(argv[2])
    names = [f"region-{n}" for n in range(count)]
    config = _config(checks, names)
    redactor = Redactor(config.secrets)
    now = datetime.now(UTC)
    run = _run(config, now)
    state = State()
    for name in names:  # every location reports once; its events are delivered
        plan = plan_run(config, state, run, name, now, name, redactor)
        sent = {(e.dedup_key, e.created_at, e.action) for e in plan.outgoing}
        _mark_delivered(state, sent, name)
    raw = state.encode()
    seconds = []
    for _ in range(rounds):
        started = time.process_time()  # CPU time: the machine may be shared
        with gc_paused():  # as a run does (located_dispatch)
            again = State.decode(raw)
            plan_run(config, again, run, names[-1], now, "bench", redactor)
            again.encode()
        seconds.append(time.process_time() - started)
    print(json.dumps({"state_bytes": len(raw), "seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
