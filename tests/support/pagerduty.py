"""A local fake of PagerDuty's Events API v2 (`POST /v2/enqueue`) on 127.0.0.1,
and the heartbeat endpoint a run pings (both served by `LocalServer`).

It answers the way PagerDuty documents it:
- 202 {"status": "success", "message": "Event processed", "dedup_key": ...}, with a
  generated dedup_key for a trigger that has none;
- 400 {"status": "invalid event", "message": "Event object is invalid", "errors": [...]}
  for a missing or malformed routing_key, a bad event_action, a dedup_key over 255
  characters, a trigger without payload.summary/source/severity, a summary over
  1024 characters, a bad severity, a resolve/acknowledge without dedup_key;
- whatever the test scripts: `script(Reply(429), Reply(500), ...)` answers the next
  requests in that order, `always(Reply(503))` answers every request so, and
  `delay` makes every answer slow.

Everything it receives is recorded (`requests`); `events` are the accepted ones.
Tests assert on what arrived, never on calls to a mock.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from tests.support.http import LocalServer, QuietHandler

ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
ROUTING_KEY_LENGTH = 32


@dataclass(frozen=True)
class Reply:
    """A scripted answer: status, JSON body (a PagerDuty-like one by default), delay."""

    status: int
    body: dict[str, Any] | None = None
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Received:
    path: str
    body: Any  # the decoded JSON, or the raw text when it was not JSON
    status: int  # what the fake answered
    at: float  # time.monotonic() when it arrived


def validate(event: Any) -> list[str]:
    """PagerDuty's reasons to reject an event (400); [] when it is valid."""
    if not isinstance(event, dict):
        return ["Event object must be a JSON object"]
    errors = []
    key = event.get("routing_key")
    if not isinstance(key, str) or not key:
        errors.append("'routing_key' is missing or blank")
    elif len(key) != ROUTING_KEY_LENGTH:
        errors.append("Length of 'routing_key' is incorrect (should be 32 characters)")
    action = event.get("event_action")
    if action not in ACTIONS:
        errors.append("'event_action' is invalid (must be one of trigger, acknowledge, resolve)")
    dedup_key = event.get("dedup_key")
    if dedup_key is not None and (not isinstance(dedup_key, str) or len(dedup_key) > 255):
        errors.append("'dedup_key' must be a string of at most 255 characters")
    if action in ("acknowledge", "resolve") and not dedup_key:
        errors.append(f"'dedup_key' is required for event_action {action}")
    if action == "trigger":
        payload = event.get("payload")
        if not isinstance(payload, dict):
            errors.append("'payload' is missing or not an object")
        else:
            summary = payload.get("summary")
            if not isinstance(summary, str) or not summary:
                errors.append("'payload.summary' is missing or blank")
            elif len(summary) > 1024:
                errors.append("'payload.summary' is longer than 1024 characters")
            if not isinstance(payload.get("source"), str) or not payload.get("source"):
                errors.append("'payload.source' is missing or blank")
            if payload.get("severity") not in SEVERITIES:
                errors.append(
                    "'payload.severity' is invalid (must be one of critical, error, warning, info)"
                )
    return errors


class FakePagerDuty:
    def __init__(self, delay: float = 0.0, rate_limit: int | None = None) -> None:
        self.delay = delay
        # PagerDuty's limit: at most `rate_limit` events a minute per routing
        # key; past it, 429 and the event is not ingested.
        self.rate_limit = rate_limit
        self._accepted_at: dict[str, deque[float]] = {}
        self.requests: list[Received] = []
        self._script: deque[Reply] = deque()
        self._always: Reply | None = None
        self._lock = threading.Lock()
        self._local = LocalServer(_handler(self))

    # -- control -----------------------------------------------------------

    def start(self) -> FakePagerDuty:
        self._local.start()
        return self

    def stop(self) -> None:
        self._local.stop()

    def __enter__(self) -> FakePagerDuty:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._local.port

    @property
    def url(self) -> str:
        """The full enqueue URL, for `pagerduty.events_url`."""
        return self._local.url("/v2/enqueue")

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these, in order, then normally again."""
        with self._lock:
            self._script.extend(replies)

    def always(self, reply: Reply | None) -> None:
        """Answer every request with `reply` (None: back to normal)."""
        with self._lock:
            self._always = reply

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._script.clear()
            self._always = None

    # -- what arrived ----------------------------------------------------------

    @property
    def events(self) -> list[dict[str, Any]]:
        """The events PagerDuty accepted (202), in arrival order."""
        with self._lock:
            return [r.body for r in self.requests if r.status == 202 and r.path == "/v2/enqueue"]

    @property
    def changes(self) -> list[dict[str, Any]]:
        """The change events PagerDuty accepted, in arrival order."""
        with self._lock:
            return [r.body for r in self.requests if r.status == 202 and r.path != "/v2/enqueue"]

    @property
    def received(self) -> list[Any]:
        """Every request body, accepted or not."""
        with self._lock:
            return [r.body for r in self.requests]

    # -- the API -----------------------------------------------------------------

    def _answer(self, path: str, raw: bytes) -> tuple[Reply, Any]:
        try:
            body: Any = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            body = raw.decode("utf-8", errors="replace")
        with self._lock:
            reply = self._script.popleft() if self._script else self._always
        if reply is None:
            reply = self._process(path, body)
        elif reply.body is None:
            reply = Reply(reply.status, _canned(reply.status), reply.delay, reply.headers)
        with self._lock:
            self.requests.append(Received(path, body, reply.status, time.monotonic()))
        return reply, body

    def _process(self, path: str, body: Any) -> Reply:
        if path == "/v2/change/enqueue":  # the Change Events API
            if not isinstance(body, dict) or len(str(body.get("routing_key", ""))) != 32:
                return Reply(400, {"status": "invalid event", "message": "Event object is invalid"})
            payload = body.get("payload")
            if not isinstance(payload, dict) or not payload.get("summary"):
                return Reply(400, {"status": "invalid event", "message": "Event object is invalid"})
            return Reply(202, {"status": "success", "message": "Change event processed"})
        if path != "/v2/enqueue":
            return Reply(404, {"status": "not found", "message": f"no route {path}"})
        errors = validate(body)
        if errors:
            return Reply(
                400,
                {
                    "status": "invalid event",
                    "message": "Event object is invalid",
                    "errors": errors,
                },
            )
        if self.rate_limit is not None and self._throttled(body["routing_key"]):
            return Reply(429, _canned(429))
        dedup_key = body.get("dedup_key") or uuid.uuid4().hex
        return Reply(
            202, {"status": "success", "message": "Event processed", "dedup_key": dedup_key}
        )

    def _throttled(self, routing_key: str) -> bool:
        """Count an event against its key's minute; True when over the limit."""
        now = time.monotonic()
        with self._lock:
            seen = self._accepted_at.setdefault(routing_key, deque())
            while seen and seen[0] <= now - 60:
                seen.popleft()
            if self.rate_limit is not None and len(seen) >= self.rate_limit:
                return True
            seen.append(now)
            return False

    @property
    def throttled(self) -> int:
        """How many requests were answered 429."""
        with self._lock:
            return sum(1 for r in self.requests if r.status == 429)


def _canned(status: int) -> dict[str, Any]:
    if status == 429:
        return {"status": "throttle event", "message": "Requests for this service are throttled"}
    if status >= 500:
        return {"status": "error", "message": "Internal Server Error"}
    if status == 202:
        return {"status": "success", "message": "Event processed", "dedup_key": "scripted"}
    return {"status": "invalid event", "message": "Event object is invalid", "errors": []}


def _handler(fake: FakePagerDuty) -> type[QuietHandler]:
    class Handler(QuietHandler):
        def do_POST(self) -> None:
            reply, _ = fake._answer(self.path, self.read_body())
            delay = reply.delay or fake.delay
            if delay:
                time.sleep(delay)
            data = json.dumps(reply.body).encode()
            self.send_bytes(reply.status, data, "application/json", reply.headers)

    return Handler


class HeartbeatServer:
    """A tiny endpoint that counts GETs and answers `status`."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.hits = 0
        self.paths: list[str] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                with outer._lock:
                    outer.hits += 1
                    outer.paths.append(self.path)
                self.send_bytes(outer.status, b"OK", content_type=None)

        self._local = LocalServer(Handler)

    def start(self) -> HeartbeatServer:
        self._local.start()
        return self

    def stop(self) -> None:
        self._local.stop()

    def __enter__(self) -> HeartbeatServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self._local.url("/ping/abc")
