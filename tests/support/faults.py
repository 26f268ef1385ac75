"""A fault proxy in front of a local server (moto's): it forwards every request,
or answers 500, or resets the connection, as the test sets `mode`; `after`
forwards that many requests first, so a fault can start mid-run. `method` and
`path` (the request's path ends with it, query left out) narrow the fault to
the requests that match; the others are always forwarded and not counted. Every
answer carries the proxy's own `Date`, or `date()` when the test sets it (S3's
clock as the test wants it: moved with the test's time, or unreadable)."""

from __future__ import annotations

import http.client
import socket
import struct
import threading
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import urlsplit

from tests.support.http import LocalServer, QuietHandler

Mode = Literal["pass", "error", "reset"]
_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "host", "content-length", "date"}
)


class FaultProxy(LocalServer):
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        proxy = self

        class Handler(QuietHandler):
            def _any(self) -> None:
                proxy._handle(self)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _any

            def date_time_string(self, timestamp: float | None = None) -> str:
                return proxy.date() if proxy.date else super().date_time_string(timestamp)

        super().__init__(Handler)
        self.host, self.upstream_port = parts.hostname or "127.0.0.1", parts.port or 80
        self.mode: Mode = "pass"
        self.after = 0  # requests forwarded before the fault starts
        self.seen = 0
        self.faults = 0
        self.method: str | None = None
        self.path: str | None = None
        self.date: Callable[[], str] | None = None
        self._lock = threading.Lock()

    def fail(
        self, mode: Mode, after: int = 0, method: str | None = None, path: str | None = None
    ) -> None:
        with self._lock:
            self.mode, self.after, self.seen, self.faults = mode, after, 0, 0
            self.method, self.path = method, path

    def _matches(self, handler: Any) -> bool:
        if self.method is not None and handler.command != self.method:
            return False
        return self.path is None or urlsplit(handler.path).path.endswith(self.path)

    def _handle(self, handler: Any) -> None:
        body = handler.read_body()
        with self._lock:
            matching = self._matches(handler)
            self.seen += matching
            faulty = self.mode != "pass" and matching and self.seen > self.after
            if faulty:
                self.faults += 1
        if faulty and self.mode == "reset":
            handler.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            handler.close_connection = True
            handler.connection.close()
            return
        if faulty:
            error = b"<Error><Code>InternalError</Code><Message>injected</Message></Error>"
            handler.send_bytes(500, error, "application/xml")
            return
        upstream = http.client.HTTPConnection(self.host, self.upstream_port, timeout=30)
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP}
        upstream.request(handler.command, handler.path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        extra = {k: v for k, v in answer.getheaders() if k.lower() not in _HOP}
        extra.pop("Content-Type", None)
        handler.send_bytes(answer.status, data, answer.getheader("Content-Type"), extra)
        upstream.close()
