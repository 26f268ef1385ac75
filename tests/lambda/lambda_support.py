"""Shared by the Lambda tests and their fixtures (conftest.py)."""

from __future__ import annotations

import json
import platform
import queue
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

ROUTING_KEY = "R0UT1NGKEY0123456789abcdefABCDEF"  # 32 characters, like a real one

# The bundled config of the test zip: base URLs come from the environment, so
# one zip (built once per session) can reach servers on any port.
CONFIG = """\
version: 1
defaults: {timeout: 3s, retries: 0, retry_delay: 0s}
pagerduty:
  routing_key: ${PAGERDUTY_ROUTING_KEY}
  events_url: ${E2E_EVENTS_URL}
checks:
  - name: up
    url: ${E2E_BASE_URL}/ok
    expect: {status: 200, body_contains: [ok]}
    tags: [web]
  - name: down
    url: ${E2E_BASE_URL}/fail
    dedup_key: down-key
    tags: [api]
"""


@dataclass
class Servers:
    """The site (/ok, /fail, /slow) and the fake Events API (/v2/enqueue)."""

    base_url: str
    events_url: str
    events: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    events_status: int = 202

    def actions(self) -> dict[str, str]:
        """dedup_key -> the last event action received for it."""
        return {e["dedup_key"]: e["event_action"] for e in self.events}


def make_handler(state: Servers, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            with lock:
                state.requests.append(self.path)
            if self.path.startswith("/ok"):
                self._send(200, b"ok")
            elif self.path.startswith("/slow"):
                time.sleep(2.0)
                self._send(200, b"ok, slowly")
            else:
                self._send(500, b"boom")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if self.path != "/v2/enqueue":
                self._send(404, b"not found")
                return
            event = json.loads(body)
            with lock:
                status = state.events_status
                if status == 202:
                    state.events.append(event)
            if status == 202:
                answer = {
                    "status": "success",
                    "message": "Event processed",
                    "dedup_key": event.get("dedup_key"),
                }
            else:
                answer = {"status": "invalid event", "message": "Event object is invalid"}
            self._send(status, json.dumps(answer).encode(), "application/json")

    return Handler


class FakeContext:
    """The Lambda context object, as far as the handler uses it."""

    function_name = "e2echeck"
    aws_request_id = "00000000-0000-0000-0000-000000000000"

    def __init__(self, remaining_ms: int = 60_000) -> None:
        self._deadline = time.monotonic() + remaining_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


# --- The zip, for real --------------------------------------------------------


def host_target() -> tuple[str, str]:
    """(python_version, arch) of this machine, for a zip that runs here."""
    machine = platform.machine().lower()
    arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine
    )
    if arch is None or sys.platform != "linux":
        pytest.skip(f"the Lambda zip runs on Linux x86_64/arm64 only, not {sys.platform}/{machine}")
    return f"{sys.version_info.major}.{sys.version_info.minor}", arch


@dataclass(frozen=True)
class BuiltZip:
    path: Path
    size_bytes: int
    python_version: str
    arch: str
    config: Path


# --- A local Lambda Runtime API, for awslambdaric ----------------------------

RUNTIME_PREFIX = "/2018-06-01/runtime"


@dataclass
class Invocation:
    request_id: str
    event: Any
    done: threading.Event = field(default_factory=threading.Event)
    kind: str = ""  # "response" or "error"
    body: Any = None


class RuntimeAPI:
    """The part of the Lambda Runtime API a runtime client uses: the next
    invocation, its response or error, and the init error."""

    def __init__(self) -> None:
        self.pending: queue.Queue[Invocation] = queue.Queue()
        self.invocations: dict[str, Invocation] = {}
        self.init_errors: list[Any] = []
        self.stopping = threading.Event()
        self._count = 0

    def invoke(self, event: Any) -> Invocation:
        self._count += 1
        invocation = Invocation(f"req-{self._count:04d}", event)
        self.invocations[invocation.request_id] = invocation
        self.pending.put(invocation)
        return invocation

    def wait(self, invocation: Invocation, timeout: float) -> Invocation:
        if not invocation.done.wait(timeout):
            raise TimeoutError(f"no answer to {invocation.request_id} in {timeout} s")
        return invocation

    def next_invocation(self) -> Invocation | None:
        while not self.stopping.is_set():
            try:
                return self.pending.get(timeout=0.2)
            except queue.Empty:
                continue
        return None


def make_runtime_handler(api: RuntimeAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                data = b""
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return data
                    data += self.rfile.read(size)
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path != f"{RUNTIME_PREFIX}/invocation/next":
                self._send(404, b"{}")
                return
            invocation = api.next_invocation()
            if invocation is None:
                self._send(500, b'{"errorMessage": "shutting down"}')
                return
            deadline_ms = int(time.time() * 1000) + 60_000
            headers = {
                "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": (
                    "arn:aws:lambda:us-east-1:123456789012:function:e2echeck"
                ),
                "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000;Sampled=0",
            }
            self._send(200, json.dumps(invocation.event).encode(), headers)

        def do_POST(self) -> None:
            body = self._body()
            parts = self.path[len(RUNTIME_PREFIX) :].strip("/").split("/")
            if parts == ["init", "error"]:
                api.init_errors.append(json.loads(body or b"null"))
            elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                invocation = api.invocations.get(parts[1])
                if invocation is None:
                    self._send(400, b'{"errorMessage": "unknown request id"}')
                    return
                invocation.kind = parts[2]
                invocation.body = json.loads(body or b"null")
                invocation.done.set()
            else:
                self._send(404, b"{}")
                return
            self._send(202, b'{"status": "OK"}')

    return Handler
