"""HTTP for a run: pooled connections, redirects followed by hand, bodies read up to a cap.

Imported only when a run has an HTTP check, so commands that run no check never load httpx2.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import http.cookiejar
import socket
import ssl
from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from time import perf_counter
from typing import Any

import httpx2

from e2echeck._tls import verifying_context
from e2echeck.config.types import format_duration
from e2echeck.kinds.base import BODY_LIMIT
from e2echeck.kinds.http.exchange import Exchange, RequestFailed, format_size
from e2echeck.kinds.http.tls import CertificateFormatError, peer_certificate_not_after

MAX_REDIRECTS = 20
_REDIRECT_BODY_LIMIT = 64 * 1024


@dataclass(slots=True)
class RequestSpec:
    """One request ready to send: templates filled, headers merged."""

    method: str
    url: str
    headers: dict[str, str]
    params: dict[str, Any] | None
    content: str | None
    json: Any
    form: dict[str, str] | None
    timeout: float
    follow_redirects: bool
    verify_tls: bool
    need_cert: bool
    ca_file: str | None = None  # the CAs to trust instead of the run's


class _NoCookies(http.cookiejar.CookieJar):
    """The run's shared jar keeps nothing: checks must not see each other's cookies.

    Each check keeps its own cookies (see `HttpPool.exchange`)."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def set_cookie(self, cookie: http.cookiejar.Cookie) -> None:
        return None


# httpcore probes every idle connection of a pool (a socket poll through
# anyio) each time it hands a connection out, so a request costs CPU in
# proportion to the pool's size: with one pool of 100 connections that probing
# was half of a run's CPU. A run's connections are therefore split into pools
# ("shards") of at most this many, each request going to the least busy one;
# together they hold `concurrency` connections, as one pool would.
SHARD_CONNECTIONS = 16


class _Shards:
    """Clients of one kind (verifying or not), and the requests each has in flight."""

    def __init__(self, clients: list[httpx2.AsyncClient]) -> None:
        self.clients = clients
        self.busy = [0] * len(clients)

    def pick(self) -> int:
        """The least busy shard. It has room: the run's slots never let more than
        `concurrency` (the sum of the shards' sizes) requests out at once."""
        busy = self.busy
        return 0 if len(busy) == 1 else busy.index(min(busy))


def _load_transport() -> None:
    """Import now what httpcore imports on a run's first request (anyio's asyncio
    backend: 150 ms of CPU on a seventh of a core), before the run's clock and
    lag ticker start, so the first requests are not timed across an import."""
    with contextlib.suppress(ImportError):  # another backend: imported on first use
        import anyio._backends._asyncio  # noqa: F401


class HttpPool:
    """The HTTP clients of one run: verifying ones, and ones without TLS
    verification created only when a check asks for `verify_tls: false`."""

    def __init__(
        self,
        concurrency: int,
        *,
        ssl_context: ssl.SSLContext | None = None,
        body_limit: int = BODY_LIMIT,
    ) -> None:
        self._shard_count = max(1, -(-concurrency // SHARD_CONNECTIONS))
        per_shard = -(-concurrency // self._shard_count)
        self._limits = httpx2.Limits(max_connections=per_shard, max_keepalive_connections=per_shard)
        self.body_limit = body_limit
        self._timeouts: dict[float, httpx2.Timeout] = {}
        # One TLS context for every shard (loading the CA bundle takes 30 ms),
        # built the way each client would build its own, once per process.
        verify = ssl_context if ssl_context is not None else verifying_context()
        self._verified = self._new_shards(verify)
        self._unverified: _Shards | None = None
        self._by_ca_file: dict[str, _Shards] = {}
        _load_transport()

    def _new_shards(self, verify: ssl.SSLContext) -> _Shards:
        return _Shards([self._new_client(verify) for _ in range(self._shard_count)])

    def _new_client(self, verify: ssl.SSLContext) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(
            limits=self._limits,
            verify=verify,
            cookies=httpx2.Cookies(_NoCookies()),
            follow_redirects=False,
            timeout=httpx2.Timeout(10.0),
        )

    def shards(self, verify_tls: bool, ca_file: str | None = None) -> _Shards:
        """The clients for a check's TLS settings; OSError or ssl.SSLError when
        its `ca_file` cannot be loaded."""
        if verify_tls and ca_file is not None:
            found = self._by_ca_file.get(ca_file)
            if found is None:
                context = ssl.create_default_context(cafile=ca_file)
                found = self._by_ca_file[ca_file] = self._new_shards(context)
            return found
        if verify_tls:
            return self._verified
        if self._unverified is None:
            self._unverified = self._new_shards(httpx2.create_ssl_context(verify=False))
        return self._unverified

    def timeout(self, seconds: float) -> httpx2.Timeout:
        found = self._timeouts.get(seconds)
        if found is None:
            found = self._timeouts[seconds] = httpx2.Timeout(seconds)
        return found

    async def aclose(self) -> None:
        for shards in (self._verified, self._unverified, *self._by_ca_file.values()):
            if shards is not None:
                for client in shards.clients:
                    await client.aclose()

    async def __aenter__(self) -> HttpPool:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def exchange(
        self, spec: RequestSpec, cookies: httpx2.Cookies | None = None
    ) -> tuple[Exchange, httpx2.Cookies | None]:
        """Send `spec`, follow its redirects, read the body up to the limit.

        `cookies` are the check's own (None until a response sets one); the
        possibly new jar is returned. RequestFailed when no response came."""
        try:
            shards = self.shards(spec.verify_tls, spec.ca_file)
        except (OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise RequestFailed(
                f"ca_file {spec.ca_file} cannot be used: {reason}", url=spec.url
            ) from None
        shard = shards.pick()
        shards.busy[shard] += 1
        try:
            return await self._exchange(shards.clients[shard], spec, cookies)
        finally:
            shards.busy[shard] -= 1

    async def _exchange(
        self, client: httpx2.AsyncClient, spec: RequestSpec, cookies: httpx2.Cookies | None
    ) -> tuple[Exchange, httpx2.Cookies | None]:
        try:
            request = client.build_request(
                spec.method,
                spec.url,
                headers=spec.headers,
                params=spec.params or None,
                content=spec.content,
                json=spec.json,
                data=spec.form,
                timeout=self.timeout(spec.timeout),
            )
        except (httpx2.InvalidURL, httpx2.UnsupportedProtocol, ValueError) as exc:
            raise RequestFailed(f"invalid URL {spec.url}: {exc}", url=spec.url) from None
        if cookies:
            cookies.set_cookie_header(request)
        url = request.url
        reading = False
        start = perf_counter()
        timers: list[_TransportTimer] = []
        try:
            async with asyncio.timeout(spec.timeout) as budget:
                hops = 0
                hop_headers: list[Mapping[str, str]] = []  # a hop's Set-Cookie is a secret too
                while True:
                    timer = _TransportTimer(budget if not timers else None, spec.timeout)
                    timers.append(timer)
                    request.extensions = {**request.extensions, "trace": timer}
                    response = await client.send(request, stream=True, follow_redirects=False)
                    timer.response_at(perf_counter())
                    try:
                        if "set-cookie" in response.headers:
                            if cookies is None:
                                cookies = httpx2.Cookies()
                            cookies.extract_cookies(response)
                        next_request = response.next_request
                        if spec.follow_redirects and next_request is not None:
                            hops += 1
                            if hops > MAX_REDIRECTS:
                                raise RequestFailed(
                                    f"more than {MAX_REDIRECTS} redirects, the last to "
                                    f"{next_request.url}",
                                    url=str(url),
                                )
                            await _read_capped(response, _REDIRECT_BODY_LIMIT)
                            timer.body_at(perf_counter())
                            hop_headers.append(response.headers)
                            request = next_request
                            if cookies:
                                cookies.set_cookie_header(request)
                            url = request.url
                            continue
                        reading = True
                        cert_not_after = None
                        is_tls = url.scheme == "https"
                        if spec.need_cert and is_tls:
                            cert_not_after = _cert_not_after(response)
                        body, truncated = await _read_capped(response, self.body_limit)
                        timer.body_at(perf_counter())
                        return Exchange(
                            method=request.method,
                            url=str(url),
                            status_code=response.status_code,
                            headers=response.headers,
                            body=body,
                            truncated=truncated,
                            elapsed=_total(timers, start),
                            charset=response.charset_encoding,
                            cert_not_after=cert_not_after,
                            is_tls=is_tls,
                            body_limit=self.body_limit,
                            hop_headers=tuple(hop_headers),
                        ), cookies
                    finally:
                        await response.aclose()
        except RequestFailed as failed:
            failed.elapsed = failed.elapsed or _total(timers, start)
            raise
        except TimeoutError:
            raise RequestFailed(
                _timeout_reason("read" if reading else "response", spec.timeout, url),
                url=str(url),
                elapsed=_total(timers, start),
                timed_out=True,
            ) from None
        except httpx2.HTTPError as exc:
            raise RequestFailed(
                describe_error(exc, url, spec.timeout, reading),
                url=str(url),
                elapsed=_total(timers, start),
                timed_out=isinstance(exc, httpx2.TimeoutException),
            ) from None


# The transport events that start a request's clock: opening a connection
# (TCP, then TLS) when it needs one, else writing the request's first byte.
_STARTS = frozenset(
    {
        "connection.connect_tcp.started",
        "connection.connect_unix_socket.started",
        "http11.send_request_headers.started",
        "http2.send_request_headers.started",
    }
)
_HEADERS = frozenset(
    {"http11.receive_response_headers.complete", "http2.receive_response_headers.complete"}
)
_BODY = frozenset({"http11.receive_response_body.complete", "http2.receive_response_body.complete"})


class _TransportTimer:
    """One hop's timestamps, taken by httpcore's trace hooks: from the moment
    the request goes to the network (a new connection's TCP connect, else the
    first byte written) to its response headers and its body's last byte.
    Waiting for a connection slot or for the event loop before that is not
    counted. The first hop also restarts the check's `timeout` at that moment."""

    __slots__ = ("_budget", "_timeout", "body", "headers", "start")

    def __init__(self, budget: asyncio.Timeout | None, timeout: float) -> None:
        self._budget = budget
        self._timeout = timeout
        self.start: float | None = None
        self.headers: float | None = None
        self.body: float | None = None

    async def __call__(self, event: str, info: dict[str, Any]) -> None:
        if event in _STARTS:
            if self.start is None:
                self.start = perf_counter()
                budget = self._budget
                if budget is not None and not budget.expired():
                    budget.reschedule(asyncio.get_running_loop().time() + self._timeout)
        elif event in _HEADERS:
            self.headers = perf_counter()
        elif event in _BODY:
            self.body = perf_counter()

    def response_at(self, now: float) -> None:
        if self.headers is None:  # a transport without trace events
            self.headers = now

    def body_at(self, now: float) -> None:
        if self.body is None:  # the read stopped at the body cap
            self.body = now

    def span(self, since: float) -> float:
        start = since if self.start is None else self.start
        end = self.body or self.headers or perf_counter()
        return max(0.0, end - start)


def _total(timers: list[_TransportTimer], start: float) -> float:
    """The hops' transport times added up (the time between hops is not the endpoint's)."""
    return sum(timer.span(start) for timer in timers)


async def _read_capped(response: httpx2.Response, limit: int) -> tuple[bytes, bool]:
    """The body up to `limit` bytes, and whether there was more."""
    chunks: list[bytes] = []
    size = 0
    stream: AsyncIterator[bytes] = response.aiter_bytes()
    async with aclosing(stream):  # type: ignore[type-var]
        async for chunk in stream:
            size += len(chunk)
            if size > limit:
                chunks.append(chunk[: len(chunk) - (size - limit)])
                return b"".join(chunks), True
            chunks.append(chunk)
    return (chunks[0] if len(chunks) == 1 else b"".join(chunks)), False


def _cert_not_after(response: httpx2.Response) -> Any:
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None
    try:
        return peer_certificate_not_after(stream.get_extra_info("ssl_object"))
    except CertificateFormatError:
        return None


def host_of(url: httpx2.URL) -> str:
    return url.netloc.decode("ascii", errors="replace")


def _timeout_reason(phase: str, timeout: float, url: httpx2.URL) -> str:
    after = format_duration(timeout)
    host = host_of(url)
    if phase == "connect":
        return f"timed out after {after} connecting to {host}"
    if phase == "write":
        return f"timed out after {after} sending the request to {host}"
    if phase == "pool":
        return f"timed out after {after} waiting for a free connection to {host}"
    if phase == "read":
        return f"timed out after {after} reading the response body from {host}"
    return f"timed out after {after} waiting for a response from {host}"


def _causes(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(found) < 10:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


_DNS_WORDS = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no address associated",
    "name resolution",
    "getaddrinfo failed",
)


def describe_error(exc: httpx2.HTTPError, url: httpx2.URL, timeout: float, reading: bool) -> str:
    """A transport error in words a person on call understands."""
    host = host_of(url)
    if isinstance(exc, httpx2.ConnectTimeout):
        return _timeout_reason("connect", timeout, url)
    if isinstance(exc, httpx2.WriteTimeout):
        return _timeout_reason("write", timeout, url)
    if isinstance(exc, httpx2.PoolTimeout):
        return _timeout_reason("pool", timeout, url)
    if isinstance(exc, httpx2.TimeoutException):
        return _timeout_reason("read" if reading else "response", timeout, url)
    causes = _causes(exc)
    text = " ".join(str(c) for c in causes).lower()
    for cause in causes:
        if isinstance(cause, ssl.SSLCertVerificationError):
            detail = cause.verify_message or cause.reason or "verification failed"
            return f"TLS certificate of {host} is not valid: {detail}"
    for cause in causes:
        if isinstance(cause, ssl.SSLError):
            detail = cause.reason or str(cause)
            return f"TLS handshake with {host} failed: {detail}"
    if isinstance(exc, httpx2.ConnectError):
        if any(isinstance(c, socket.gaierror) for c in causes) or any(
            word in text for word in _DNS_WORDS
        ):
            return f"could not resolve the host name {url.host}"
        if any(isinstance(c, ConnectionRefusedError) for c in causes) or (
            "connection refused" in text or f"errno {errno.ECONNREFUSED}]" in text
        ):
            return f"connection refused by {host}"
        if any(isinstance(c, ConnectionResetError) for c in causes) or "reset" in text:
            return f"connection to {host} was reset while connecting"
        return f"could not connect to {host}: {_first_words(exc)}"
    when = "while reading the response body" if reading else "before a response arrived"
    if any(isinstance(c, ConnectionResetError) for c in causes) or "reset by peer" in text:
        return f"connection to {host} was reset {when}"
    if isinstance(exc, httpx2.RemoteProtocolError):
        if reading:
            return (
                f"{host} closed the connection before the body was complete ({_first_words(exc)})"
            )
        if "disconnected" in text or "closed" in text:
            return f"{host} closed the connection {when}"
        return f"{host} sent an invalid HTTP response: {_first_words(exc)}"
    if isinstance(exc, httpx2.ReadError | httpx2.WriteError | httpx2.CloseError):
        return f"connection to {host} broke {when}: {_first_words(exc)}"
    if isinstance(exc, httpx2.DecodingError):
        return f"the response body from {host} could not be decoded: {_first_words(exc)}"
    if isinstance(exc, httpx2.UnsupportedProtocol | httpx2.InvalidURL):  # pragma: no cover
        return f"invalid URL {url}: {_first_words(exc)}"
    return f"request to {host} failed: {type(exc).__name__}: {_first_words(exc)}"


def _first_words(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


__all__ = [
    "BODY_LIMIT",
    "MAX_REDIRECTS",
    "HttpPool",
    "RequestSpec",
    "describe_error",
    "format_size",
]
