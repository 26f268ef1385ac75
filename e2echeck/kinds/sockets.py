"""What the socket kinds (tcp://, tls://, starttls://) share: the address of a
check, a connection timed at the socket, TLS client contexts (verification,
`ca_file`), and socket errors in words a person on call understands.

Only the standard library: the kinds built on it add nothing to the Lambda zip.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

READ_LIMIT = 64 * 1024  # bytes of a banner or a protocol answer read at most
DEFAULT_PORTS = {"tls": 443, "dns": 53, "grpcs": 443}


@dataclass(frozen=True, slots=True)
class Address:
    """host:port of a socket check, and the URL it came from."""

    url: str
    scheme: str
    host: str
    port: int

    @property
    def shown(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def address_of(url: str) -> Address:
    """The host and port of `url` (the config checked that it has them)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or DEFAULT_PORTS.get(scheme, 0)
    return Address(url, scheme, parts.hostname or "", port)


class Phase:
    """What an attempt is doing now, for a timeout's message."""

    __slots__ = ("done", "name")

    def __init__(self, name: str = "connect") -> None:
        self.name = name
        self.done: float | None = None  # perf_counter() when the awaited answer was in

    def finish(self) -> None:
        self.done = time.perf_counter()

    def elapsed_since(self, started: float) -> float:
        """Seconds from `started` to the answer (to now, when none came)."""
        return (self.done if self.done is not None else time.perf_counter()) - started


async def connect(
    address: Address, ssl_context: ssl.SSLContext | None = None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, float]:
    """A connection to `address` (TLS when `ssl_context`), and the seconds it took."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(
        address.host,
        address.port,
        ssl=ssl_context,
        server_hostname=address.host if ssl_context is not None else None,
        limit=READ_LIMIT,
    )
    return reader, writer, time.perf_counter() - started


async def close(writer: asyncio.StreamWriter) -> None:
    """Close without waiting on a peer that does not answer the close."""
    writer.close()
    with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
        await asyncio.wait_for(writer.wait_closed(), 1.0)


def client_context(
    verify: bool, ca_file: str | None, trusted: ssl.SSLContext | None
) -> ssl.SSLContext:
    """A client context: verifying against `ca_file`, the run's CAs (`trusted`)
    or the system's; or not verifying at all. OSError/SSLError when `ca_file`
    cannot be read."""
    if not verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if ca_file is not None:
        return ssl.create_default_context(cafile=ca_file)
    return trusted if trusted is not None else ssl.create_default_context()


def describe_error(exc: BaseException, address: Address, phase: str, timeout: float) -> str:
    """A socket or TLS error in words a person on call understands."""
    where = address.shown
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g}s during the {phase} with {where}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = exc.verify_message or exc.reason or "verification failed"
        return f"TLS certificate of {where} is not valid: {detail}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake with {where} failed: {exc.reason or exc}"
    if isinstance(exc, socket.gaierror):
        return f"could not resolve the host name {address.host}"
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused by {where}"
    if isinstance(exc, ConnectionResetError):
        return f"connection to {where} was reset during the {phase}"
    if isinstance(exc, asyncio.IncompleteReadError | EOFError):
        return f"{where} closed the connection during the {phase}"
    text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
    return f"{phase} with {where} failed: {text}"


def excerpt(data: bytes, limit: int = 200) -> str:
    """What a server sent, as text for a report (control characters escaped)."""
    text = data[:limit].decode("utf-8", errors="replace")
    shown = text.encode("unicode_escape").decode("ascii", errors="replace")
    return shown + ("..." if len(data) > limit else "")
