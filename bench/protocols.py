"""Mixed check kinds against HTTP alone: 1,000 checks, half of them tcp://
(a request sent and the answer matched as a banner), run as fast as the same
number of http:// checks?

    python bench/protocols.py            # 1,000 checks, 200 ms target, 3 runs each
    python bench/protocols.py --quick    # 100 checks, 1 run

Both files run against the same bench/servers.py target on 127.0.0.1, which
answers every request after `--delay`; a tcp:// check sends `GET /x HTTP/1.0`
and waits for `^HTTP/1.1 200`, so both kinds wait for the same answer. Prints
the median wall time of each and their ratio (the target: at most 1.10).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from cpu_share import serving  # noqa: E402
from run import PY, ROOT, bench_env  # noqa: E402


def write(path: Path, base: str, count: int, mixed: bool) -> None:
    host_port = base.removeprefix("http://")
    lines = ["version: 1", "defaults: {retries: 0, timeout: 10s}", "checks:"]
    for i in range(count):
        if mixed and i % 2:
            lines.append(
                f"  - {{name: c{i}, url: 'tcp://{host_port}', "
                f"send: 'GET /c{i} HTTP/1.0\\r\\n\\r\\n', expect: {{banner: '^HTTP/1.1 200'}}}}"
            )
        else:
            lines.append(f"  - {{name: c{i}, url: '{base}/c{i}'}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def wall(config: Path, concurrency: int) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [PY, "-m", "e2echeck", "run", str(config), "--no-alert", "-q", "--concurrency",
         str(concurrency)],
        capture_output=True, text=True, env=bench_env(), cwd=ROOT, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"run failed ({done.returncode}): {done.stdout[-2000:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--checks", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    count, repeat = (100, 1) if args.quick else (args.checks, args.repeat)
    command = [PY, str(BENCH / "servers.py"), "target", "--delay", str(args.delay)]
    with tempfile.TemporaryDirectory() as tmp, serving(command, bench_env()) as base:
        http_only, mixed = Path(tmp) / "http.yaml", Path(tmp) / "mixed.yaml"
        write(http_only, base, count, mixed=False)
        write(mixed, base, count, mixed=True)
        times: dict[str, list[float]] = {"http": [], "mixed": []}
        for _ in range(repeat):
            times["http"].append(wall(http_only, args.concurrency))
            times["mixed"].append(wall(mixed, args.concurrency))
    http_s, mixed_s = (statistics.median(times[k]) for k in ("http", "mixed"))
    ratio = mixed_s / http_s
    print(f"{count} checks at concurrency {args.concurrency}, target answers in {args.delay}s")
    print(f"  http only      {http_s:6.2f}s  (median of {repeat})")
    print(f"  half tcp://    {mixed_s:6.2f}s")
    print(
        f"  ratio          {ratio:6.2f}   (target <= 1.10: {'met' if ratio <= 1.10 else 'MISSED'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
