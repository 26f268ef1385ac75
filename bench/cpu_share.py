"""A small CPU, emulated: e2echeck pinned to one core shared with N busy loops.

A Lambda function's CPU scales with its memory (1,769 MB is one vCPU), so
128 MB gets about 1/14 of a core, 256 MB about 1/7, 512 MB about 2/7. Pinning a
process to one core next to N processes that never sleep gives it about
1/(N+1) of that core. The target server runs on the other cores, so that only
the checker is starved.

    python bench/cpu_share.py sizing            # checks served with honest timings
    python bench/cpu_share.py sizing --busy 6 --checks 50,100,200

Every busy loop started here is killed on the way out, whatever happens.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PY = sys.executable


def cpus() -> tuple[int, set[int]]:
    """The core to starve, and the others (for the server). RuntimeError with one core."""
    if not hasattr(os, "sched_setaffinity"):
        raise RuntimeError("CPU pinning needs os.sched_setaffinity (Linux)")
    available = os.sched_getaffinity(0)
    if len(available) < 2:
        raise RuntimeError("emulating a small CPU needs two cores: one starved, one for the server")
    cpu = max(available)
    return cpu, available - {cpu}


def _pin(cores: set[int]) -> object:
    return lambda: os.sched_setaffinity(0, cores)


@contextmanager
def busy_loops(count: int, cpu: int) -> Iterator[None]:
    """`count` processes spinning on `cpu`; all killed on exit."""
    loops: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(count):
            loops.append(
                subprocess.Popen(
                    [PY, "-c", "while True: pass"],
                    preexec_fn=_pin({cpu}),  # type: ignore[arg-type]
                )
            )
        time.sleep(0.2)  # let them take their share before anything is measured
        yield
    finally:
        for process in loops:
            process.kill()
        for process in loops:
            process.wait()


@contextmanager
def serving(
    command: list[str], env: dict[str, str], cores: set[int] | None = None
) -> Iterator[str]:
    """A bench/servers.py process (pinned to `cores` if given); yields its base URL.
    It prints `PORT n` once listening and stops when its stdin closes."""
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=None if cores is None else _pin(cores),  # type: ignore[arg-type]
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().split()
        if len(line) != 2 or line[0] != "PORT":
            raise RuntimeError(f"bench server {command[2]} did not start")
        yield f"http://127.0.0.1:{line[1]}"
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def target_server(
    delay: float, cores: set[int], env: dict[str, str]
) -> AbstractContextManager[str]:
    """bench/servers.py's target, pinned to `cores`; yields its base URL."""
    return serving([PY, str(BENCH / "servers.py"), "target", "--delay", str(delay)], env, cores)


def write_latency_checks(
    path: Path, base: str, count: int, retries: int, max_response_time: str = "400ms"
) -> None:
    lines = [
        "version: 1",
        f"defaults: {{retries: {retries}, timeout: 10s}}",
        "checks:",
    ]
    expect = f"{{max_response_time: {max_response_time}}}"
    lines += [f"  - {{name: c{i}, url: '{base}/c{i}', expect: {expect}}}" for i in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass
class StarvedRun:
    wall: float  # seconds, start-up included
    cpu: float  # user + sys
    failed: int
    retries: int  # attempts beyond the first, re-checks included
    median_ms: float  # median duration_ms of the checks
    max_ms: float
    summary: dict[str, object]


def run_pinned(
    config: Path, cpu: int, env: dict[str, str], extra: Sequence[str] = ()
) -> StarvedRun:
    """`e2echeck run CONFIG --format json` pinned to `cpu`, with what its report says."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        command = [PY, "-m", "e2echeck", "run", str(config), "--no-alert", "-q"]
        command += ["--json", str(out), *extra]
        start = time.perf_counter()
        process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            cwd=ROOT,
            preexec_fn=_pin({cpu}),  # type: ignore[arg-type]
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        assert process.stderr is not None
        err = process.stderr.read().decode("utf-8", "replace")
        if code not in (0, 1) or not out.exists():
            raise RuntimeError(f"{' '.join(command)} exited {code}:\n{err[-2000:]}")
        report = json.loads(out.read_text(encoding="utf-8"))
    durations = [c["duration_ms"] for c in report["checks"]]
    return StarvedRun(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        failed=sum(1 for c in report["checks"] if not c["ok"]),
        retries=sum(c["attempts"] - 1 for c in report["checks"]),
        median_ms=statistics.median(durations),
        max_ms=max(durations),
        summary=report["summary"],
    )


def sizing(busy: Sequence[int], counts: Sequence[int], env: dict[str, str]) -> list[str]:
    """For each CPU share and number of checks: failures, retries, median and
    max latency, wall time and the loop's lag. A size serves N checks with
    honest timings when none fails and the median stays within 15% of the
    endpoint's 200 ms."""
    cpu, others = cpus()
    lines = [
        "busy  share   checks  failed  retries  median   max      wall    lag p99  peak  warning"
    ]
    with target_server(0.2, others, env) as base, tempfile.TemporaryDirectory() as tmp:
        for loops in busy:
            with busy_loops(loops, cpu):
                for count in counts:
                    config = Path(tmp) / f"c{count}.yaml"
                    write_latency_checks(config, base, count, retries=0)
                    run = run_pinned(config, cpu, env)
                    lines.append(
                        f"{loops:<5} 1/{loops + 1:<5} {count:<7} {run.failed:<7} "
                        f"{run.retries:<8} {run.median_ms:4.0f} ms  {run.max_ms:4.0f} ms  "
                        f"{run.wall:5.1f} s  {run.summary.get('lag_p99_ms', '-')!s:>5} ms  "
                        f"{run.summary.get('peak_in_flight', '-')!s:<5} "
                        f"{'yes' if run.summary.get('timing_warning') else 'no'}"
                    )
                    print(lines[-1], file=sys.stderr, flush=True)
    return lines


def bench_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env.pop("E2ECHECK_CONFIG", None)
    env.pop("PAGERDUTY_ROUTING_KEY", None)
    return env


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["sizing"])
    parser.add_argument(
        "--busy",
        default="13,6,3",
        help="busy loops next to e2echeck, comma-separated (13: 128 MB, 6: 256 MB, 3: 512 MB)",
    )
    parser.add_argument("--checks", default="25,50,100,200", help="checks per run")
    args = parser.parse_args(argv)
    busy = [int(n) for n in args.busy.split(",")]
    counts = [int(n) for n in args.checks.split(",")]
    print("\n".join(sizing(busy, counts, bench_env())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
