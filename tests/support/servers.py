"""The check targets: real HTTP(S) servers on 127.0.0.1 with a free port, no mocks.

`TestServer` (served by `LocalServer`) is an HTTP/1.1 server with scriptable routes
and built-in behaviours (statuses, delays, redirects, resets, stalls, huge and endless bodies,
JSON, a fail-N-times counter, a small /orders resource, cookies, and imitations
of the httpbin endpoints the example checks.yaml uses). Pass an `ssl.SSLContext`
to serve HTTPS; `tls_context` builds one from a trustme certificate.

    with TestServer() as server:
        server.url("/status/503")           # http://127.0.0.1:PORT/status/503
        server.set_json("health", {"status": "UP"})   # GET /json/health
        server.add_route("GET", r"/custom", lambda req: Reply(200, b"hi"))
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.http import LocalServer, QuietHandler

MIB = 1024 * 1024

SLIDESHOW = {
    "slideshow": {
        "author": "Yours Truly",
        "date": "date of publication",
        "slides": [
            {"title": "Wake up to WonderWidgets!", "type": "all"},
            {
                "items": [
                    "Why <em>WonderWidgets</em> are great",
                    "Who <em>buys</em> WonderWidgets",
                ],
                "title": "Overview",
                "type": "all",
            },
        ],
        "title": "Sample Slide Show",
    }
}

EXAMPLE_PAGE = (
    b"<!doctype html><html><head><title>Example Domain</title></head>"
    b"<body><h1>Example Domain</h1><p>This domain is for use in examples.</p></body></html>"
)


@dataclass
class Request:
    method: str
    path: str  # without the query
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    match: re.Match[str] | None = None
    server: TestServer | None = None

    def arg(self, name: str, default: str = "") -> str:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = "text/plain; charset=utf-8"
    chunked: bool = False  # send `body` (an iterable) with chunked transfer encoding


def json_reply(
    document: Any, status: int = 200, headers: list[tuple[str, str]] | None = None
) -> Reply:
    return Reply(status, json.dumps(document).encode(), headers or [], "application/json")


Handler = Callable[[Request], Reply | None]


class _RST(Exception):
    """Close the connection with a TCP reset."""


class _Stall(Exception):
    """Headers (and a little of the body) sent: hold the connection open."""


class TestServer:
    """A threaded HTTP(S) server on 127.0.0.1, port chosen by the OS."""

    __test__ = False  # not a pytest test class

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.json_docs: dict[str, Any] = {}
        self.counters: dict[str, int] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.log: list[Request] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._local: LocalServer | None = None
        self._builtin_routes()

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> TestServer:
        owner = self

        class RequestHandler(_Handler):
            server_owner = owner

        self._local = LocalServer(RequestHandler, self.tls).start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._local is not None:
            self._local.stop()
            self._local = None

    def __enter__(self) -> TestServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._local is not None, "server not started"
        return self._local.port

    @property
    def base_url(self) -> str:
        assert self._local is not None, "server not started"
        return self._local.base_url

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    # -- scripting -------------------------------------------------------------------

    def add_route(self, method: str, pattern: str, handler: Handler) -> None:
        """Serve `method` (or "*") on paths fully matching the regex `pattern`;
        routes added later win over earlier ones and the built-ins."""
        self.routes.insert(0, (method.upper(), re.compile(pattern), handler))

    def set_json(self, name: str, document: Any) -> str:
        """Serve `document` at GET /json/<name>; returns its URL."""
        self.json_docs[name] = document
        return self.url(f"/json/{name}")

    def unique(self, prefix: str = "k") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:12]}"

    def requests_to(self, path: str) -> list[Request]:
        with self.lock:
            return [r for r in self.log if r.path == path]

    # -- built-in routes -----------------------------------------------------------------

    def _builtin_routes(self) -> None:
        add = self.add_route
        add(
            "*",
            r"/status/(\d{3})",
            lambda r: Reply(int(_group(r, 1)), f"status {_group(r, 1)}".encode()),
        )
        add("*", r"/delay/([\d.]+)", self._delay)
        add("*", r"/redirect/(\d+)", self._redirect_chain)
        add("*", r"/redirect-to", self._redirect_to)
        add("*", r"/redirect-loop", lambda r: Reply(302, b"", [("Location", "/redirect-loop")]))
        add("*", r"/reset", self._reset)
        add("*", r"/stall", self._stall)
        add("*", r"/big/(\d+)", self._big)
        add("*", r"/endless", self._endless)
        add("GET", r"/json/([\w.-]+)", self._json_doc)
        add("*", r"/flaky/([\w.-]+)/(\d+)", self._flaky)
        add(
            "*",
            r"/text",
            lambda r: Reply(
                200, r.arg("body").encode(), content_type=r.arg("type", "text/plain; charset=utf-8")
            ),
        )
        add("*", r"/headers", lambda r: json_reply({"headers": r.headers}))
        add("*", r"/cookie/set", self._cookie_set)
        add("*", r"/cookie/check", self._cookie_check)
        add("*", r"/cookie/set-and-redirect", self._cookie_set_and_redirect)
        add("POST", r"/orders", self._order_create)
        add("*", r"/orders/([\w-]+)", self._order_item)
        # httpbin.org and friends, as the example checks.yaml uses them
        add("GET", r"/json", lambda r: json_reply(SLIDESHOW))
        add("*", r"/bearer", self._bearer)
        add("*", r"/anything(/.*)?", self._anything)
        add("*", r"/generate_204", lambda r: Reply(204))
        add(
            "GET", r"/", lambda r: Reply(200, EXAMPLE_PAGE, content_type="text/html; charset=UTF-8")
        )

    def _delay(self, request: Request) -> Reply:
        self.stopping.wait(float(_group(request, 1)))
        return Reply(200, b"slow ok")

    def _redirect_chain(self, request: Request) -> Reply:
        left = int(_group(request, 1))
        if left <= 0:
            return Reply(200, b"redirected")
        return Reply(302, b"", [("Location", f"/redirect/{left - 1}")])

    def _redirect_to(self, request: Request) -> Reply:
        return Reply(
            int(request.arg("status", "302")), b"", [("Location", request.arg("url", "/"))]
        )

    def _reset(self, request: Request) -> Reply:
        raise _RST

    def _stall(self, request: Request) -> Reply:
        raise _Stall

    def _big(self, request: Request) -> Reply:
        size = int(_group(request, 1)) * MIB
        chunk = b"x" * (64 * 1024)

        def body() -> Iterator[bytes]:
            yield b"start of a big body\n"
            sent = 20
            while sent < size:
                piece = chunk[: size - sent]
                sent += len(piece)
                yield piece

        return Reply(200, body(), [("Content-Length", str(size))])

    def _endless(self, request: Request) -> Reply:
        def body() -> Iterator[bytes]:
            yield b"start of an endless body\n"
            chunk = b"y" * (64 * 1024)
            while not self.stopping.is_set():
                yield chunk

        return Reply(200, body(), chunked=True)

    def _json_doc(self, request: Request) -> Reply:
        name = _group(request, 1)
        if name not in self.json_docs:
            return json_reply({"error": f"no document {name}"}, 404)
        document = self.json_docs[name]
        if isinstance(document, bytes):
            return Reply(200, document, content_type="application/json")
        return json_reply(document)

    def _flaky(self, request: Request) -> Reply:
        key, failures = _group(request, 1), int(_group(request, 2))
        with self.lock:
            count = self.counters.get(key, 0) + 1
            self.counters[key] = count
        if count <= failures:
            return Reply(503, f"failure {count} of {failures}".encode())
        return Reply(200, f"ok after {count - 1} failures".encode())

    def _cookie_set(self, request: Request) -> Reply:
        value = request.arg("value", "abc123")
        return Reply(200, b"cookie set", [("Set-Cookie", f"session={value}; Path=/")])

    def _cookie_set_and_redirect(self, request: Request) -> Reply:
        return Reply(
            302,
            b"",
            [("Set-Cookie", "session=via-redirect; Path=/"), ("Location", "/cookie/check")],
        )

    def _cookie_check(self, request: Request) -> Reply:
        cookie = request.headers.get("cookie", "")
        if "session=" in cookie:
            return json_reply({"cookie": cookie})
        return json_reply({"error": "no session cookie"}, 401)

    def _order_create(self, request: Request) -> Reply:
        data = request.json() or {}
        order_id = uuid.uuid4().hex[:10]
        order = {"id": order_id, **data}
        with self.lock:
            self.orders[order_id] = order
        return json_reply(
            order, 201, [("Location", f"/orders/{order_id}"), ("X-Order-Id", order_id)]
        )

    def _order_item(self, request: Request) -> Reply:
        order_id = _group(request, 1)
        with self.lock:
            order = self.orders.get(order_id)
            if order is not None and request.method == "DELETE":
                del self.orders[order_id]
                return Reply(204)
        if order is None:
            return json_reply({"error": f"no order {order_id}"}, 404)
        if request.method in ("GET", "HEAD"):
            return json_reply({**order, "query": {k: v[0] for k, v in request.query.items()}})
        return json_reply({"error": "method not allowed"}, 405)

    def _bearer(self, request: Request) -> Reply:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            return Reply(401, b"", [("WWW-Authenticate", "Bearer")])
        return json_reply({"authenticated": True, "token": auth[7:]})

    def _anything(self, request: Request) -> Reply:
        try:
            parsed = request.json()
        except ValueError:
            parsed = None
        query = "&".join(f"{k}={v}" for k, values in request.query.items() for v in values)
        host = request.headers.get("host", f"127.0.0.1:{self.port}")
        scheme = "https" if self.tls else "http"
        return json_reply(
            {
                "args": {k: v[0] if len(v) == 1 else v for k, v in request.query.items()},
                "data": request.body.decode("utf-8", "replace"),
                "headers": {k.title(): v for k, v in request.headers.items()},
                "json": parsed,
                "method": request.method,
                "url": f"{scheme}://{host}{request.path}" + (f"?{query}" if query else ""),
            }
        )


def _group(request: Request, index: int) -> str:
    assert request.match is not None
    return str(request.match.group(index))


class _Handler(QuietHandler):
    server_owner: TestServer
    timeout = 30

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            self.request.do_handshake()
        super().setup()

    def _dispatch(self) -> None:
        owner = self.server_owner
        parts = urlsplit(self.path)
        body = self.read_body()
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            server=owner,
        )
        with owner.lock:
            owner.log.append(request)
        reply: Reply | None = None
        for method, pattern, handler in owner.routes:
            if method not in ("*", self.command):
                continue
            match = pattern.fullmatch(parts.path)
            if match:
                request.match = match
                try:
                    reply = handler(request)
                except _RST:
                    self._reset()
                    return
                except _Stall:
                    self._stall()
                    return
                break
        else:
            reply = json_reply({"error": f"no route for {self.command} {parts.path}"}, 404)
        if reply is None:
            return
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        names = {name.lower() for name, _ in reply.headers}
        for name, value in reply.headers:
            self.send_header(name, value)
        if reply.status not in (204, 304) and "content-type" not in names:
            self.send_header("Content-Type", reply.content_type)
        body = reply.body
        try:
            if reply.chunked:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for piece in [body] if isinstance(body, bytes) else body:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")
            elif isinstance(body, bytes):
                if "content-length" not in names and reply.status not in (204, 304):
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)
            else:
                self.end_headers()
                for piece in body:
                    self.wfile.write(piece)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True

    def _reset(self) -> None:
        sock = self.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        sock.close()

    def _stall(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b"the first bytes of a body that never ends")
        self.wfile.flush()
        self.server_owner.stopping.wait(120)
        self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch


def tls_context(ca: Any, *, days_left: float = 365, expired: bool = False) -> ssl.SSLContext:
    """A server-side context with a certificate from the trustme `ca` for
    127.0.0.1 and localhost, valid `days_left` more days (or expired a day ago)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    if expired:
        cert = ca.issue_cert(
            "127.0.0.1",
            "localhost",
            not_before=now - timedelta(days=30),
            not_after=now - timedelta(days=1),
        )
    else:
        cert = ca.issue_cert(
            "127.0.0.1",
            "localhost",
            not_before=now - timedelta(days=1),
            not_after=now + timedelta(days=days_left),
        )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    return context


def unused_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
