"""Mixed check kinds against HTTP alone: 1,000 checks, a third http://, a third
tcp:// (a request sent and the answer matched as a banner) and a third dns://,
run as fast as the same number of http:// checks?

    python bench/protocols.py            # 1,000 checks, 200 ms target, 3 runs each
    python bench/protocols.py --quick    # 100 checks, 1 run

Both files run against the same bench/servers.py target on 127.0.0.1, which
answers every request after `--delay`; a tcp:// check sends `GET /x HTTP/1.0`
and waits for `^HTTP/1.1 200`, so both kinds wait for the same answer; the
dns:// checks ask a DNS server in this process that answers after the same delay. Prints
the median wall time of each and their ratio (the target: at most 1.10).
"""

from __future__ import annotations

import argparse
import asyncio
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from cpu_share import serving  # noqa: E402
from run import PY, ROOT, bench_env  # noqa: E402


def dns_server(delay: float) -> int:
    """A UDP DNS server in a thread of this process, every A question answered
    203.0.113.10 after `delay`; its port."""
    import dns.message
    import dns.rrset

    ready: queue.Queue[int] = queue.Queue()

    class Answer(asyncio.DatagramProtocol):
        def connection_made(self, transport: Any) -> None:
            self.transport = transport

        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            query = dns.message.from_wire(data)
            reply = dns.message.make_response(query)
            name = query.question[0].name
            reply.answer.append(dns.rrset.from_text(name, 60, "IN", "A", "203.0.113.10"))
            wire = reply.to_wire()
            asyncio.get_running_loop().call_later(delay, self.transport.sendto, wire, addr)

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(Answer, local_addr=("127.0.0.1", 0))
        ready.put(transport.get_extra_info("sockname")[1])
        await asyncio.Event().wait()

    threading.Thread(target=asyncio.run, args=(serve(),), daemon=True).start()
    return ready.get(timeout=10)


def write(path: Path, base: str, count: int, mixed: bool, dns_port: int = 0) -> None:
    host_port = base.removeprefix("http://")
    lines = ["version: 1", "defaults: {retries: 0, timeout: 10s}", "checks:"]
    for i in range(count):
        if mixed and i % 3 == 2:
            lines.append(
                f"  - {{name: c{i}, url: 'dns://127.0.0.1:{dns_port}', "
                f"dns: {{name: c{i}.bench.test}}, expect: {{answers: {{contains: 203.0.113.10}}}}}}"
            )
        elif mixed and i % 3 == 1:
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
        write(mixed, base, count, mixed=True, dns_port=dns_server(args.delay))
        times: dict[str, list[float]] = {"http": [], "mixed": []}
        for _ in range(repeat):
            times["http"].append(wall(http_only, args.concurrency))
            times["mixed"].append(wall(mixed, args.concurrency))
    http_s, mixed_s = (statistics.median(times[k]) for k in ("http", "mixed"))
    ratio = mixed_s / http_s
    print(f"{count} checks at concurrency {args.concurrency}, target answers in {args.delay}s")
    print(f"  http only      {http_s:6.2f}s  (median of {repeat})")
    print(f"  http/tcp/dns   {mixed_s:6.2f}s")
    print(
        f"  ratio          {ratio:6.2f}   (target <= 1.10: {'met' if ratio <= 1.10 else 'MISSED'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
