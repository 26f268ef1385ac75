"""Servers for the benchmark, each run in its own process on 127.0.0.1.

    python bench/servers.py target --delay 0.2       # every GET/POST answers after 0.2 s
    python bench/servers.py pagerduty --delay 0.05   # Events API v2: 202 after 0.05 s

Each prints `PORT <n>` on its first line of stdout once it listens, and serves
until its stdin closes (so it dies with the benchmark). Both are plain asyncio
protocols that parse just enough HTTP/1.1 (keep-alive, Content-Length bodies):
one process holds thousands of concurrent connections at a few microseconds of
CPU per request, so the server is never what a measurement measures.

The fake PagerDuty writes one line per accepted event to `--log` (monotonic
arrival time, then the event's dedup_key and action), for arrival-time checks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import IO, Any

_TARGET_BODY = b"ok"


class _HttpProtocol(asyncio.Protocol):
    """Minimal HTTP/1.1 server side: requests are answered in order, after `delay`."""

    def __init__(self, delay: float, answer: Any) -> None:
        self.delay = delay
        self.answer = answer  # (method, path, body) -> (status, body bytes)
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            lines = head.split("\r\n")
            method, path, _ = [*lines[0].split(" "), "", ""][:3]
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip() or 0)
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            status, payload = self.answer(method, path, body)
            if self.delay:
                self.loop.call_later(self.delay, self._send, status, payload)
            else:
                self._send(status, payload)

    def _send(self, status: int, payload: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        reason = {200: "OK", 202: "Accepted", 400: "Bad Request"}.get(status, "OK")
        self.transport.write(
            b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (status, reason.encode(), len(payload), payload)
        )


def _target_answer(method: str, path: str, body: bytes) -> tuple[int, bytes]:
    return 200, _TARGET_BODY


def _pagerduty_answer(log: IO[str] | None) -> Any:
    def answer(method: str, path: str, body: bytes) -> tuple[int, bytes]:
        at = time.monotonic()
        try:
            event = json.loads(body)
            key, action = str(event["dedup_key"]), str(event["event_action"])
        except (ValueError, KeyError, TypeError):
            return 400, b'{"status": "invalid event", "message": "Event object is invalid"}'
        if log is not None:
            log.write(f"{at:.6f} {action} {key}\n")
            log.flush()
        reply = {"status": "success", "message": "Event processed", "dedup_key": key}
        return 202, json.dumps(reply).encode()

    return answer


async def _serve(kind: str, delay: float, log_path: str | None) -> None:
    loop = asyncio.get_running_loop()
    log = open(log_path, "a", encoding="utf-8") if log_path else None  # noqa: SIM115
    answer = _target_answer if kind == "target" else _pagerduty_answer(log)
    server = await loop.create_server(
        lambda: _HttpProtocol(delay, answer), "127.0.0.1", 0, backlog=4096
    )
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    # Serve until stdin closes: the parent's exit (or a crash) stops us.
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()
    if log is not None:
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["target", "pagerduty"])
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--log")
    args = parser.parse_args()
    asyncio.run(_serve(args.kind, args.delay, args.log))


if __name__ == "__main__":
    main()
