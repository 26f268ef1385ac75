"""The floor for check throughput: a bare httpx2.AsyncClient loop.

    python bench/floor_client.py BASE_URL COUNT CONCURRENCY

GETs BASE_URL/c0 .. BASE_URL/c<COUNT-1> (the same URLs the benchmark's
checks.yaml lists), at most CONCURRENCY in flight, reading each body, and does
nothing else: no assertions, no results, no report. Exits 1 if a request did
not answer 200 (the floor must do the same work as the product).
"""

from __future__ import annotations

import asyncio
import sys

import httpx2


async def main(base: str, count: int, concurrency: int) -> int:
    urls = iter(f"{base}/c{i}" for i in range(count))
    bad = 0
    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx2.AsyncClient(limits=limits, timeout=10.0) as client:

        async def worker() -> None:
            nonlocal bad
            for url in urls:
                response = await client.get(url)
                if response.status_code != 200:
                    bad += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
