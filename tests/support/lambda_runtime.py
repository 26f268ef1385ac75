"""The Lambda fakes: the site and Events API a function reaches, its context
object, and a local Lambda Runtime API for awslambdaric (all on `LocalServer`)."""

from __future__ import annotations

import json
import platform
import queue
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.http import QuietHandler
from tests.support.pagerduty import FakePagerDuty
from tests.support.pagerduty import Reply as PagerDutyReply
from tests.support.servers import Reply, TestServer

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


class Servers:
    """The site (/ok answers 200 "ok", anything else 500) and the fake Events API."""

    def __init__(self) -> None:
        self.site = TestServer()
        self.site.add_route("*", r".*", lambda r: Reply(500, b"boom"))
        self.site.add_route("GET", r"/ok.*", lambda r: Reply(200, b"ok"))
        self.pagerduty = FakePagerDuty()

    def __enter__(self) -> Servers:
        self.site.start()
        self.pagerduty.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.pagerduty.stop()
        self.site.stop()

    @property
    def base_url(self) -> str:
        return self.site.base_url

    @property
    def events_url(self) -> str:
        return self.pagerduty.url

    @property
    def events(self) -> list[dict[str, Any]]:
        """The events the fake Events API accepted, in arrival order."""
        return self.pagerduty.events

    @property
    def requests(self) -> list[str]:
        """The paths the site was asked for."""
        with self.site.lock:
            return [request.path for request in self.site.log]

    def refuse_events(self, status: int) -> None:
        """Answer every event with `status` from now on."""
        self.pagerduty.always(PagerDutyReply(status))

    def actions(self) -> dict[str, str]:
        """dedup_key -> the last event action received for it."""
        return {e["dedup_key"]: e["event_action"] for e in self.events}


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


def make_runtime_handler(api: RuntimeAPI) -> type[QuietHandler]:
    class Handler(QuietHandler):
        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_bytes(status, body, "application/json", headers)

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
            body = self.read_body()
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
