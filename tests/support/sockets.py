"""Socket servers on 127.0.0.1 for the tcp://, tls:// and starttls:// kinds: a
TCP listener that greets with a banner (and echoes or answers what it is sent),
a TLS listener, and an SMTP, IMAP or POP3 server that offers STARTTLS.

Each runs in a thread with a port chosen by the OS and counts the connections
it accepted, so a test can tell that a check really connected.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any

Greeter = Callable[[socket.socket, "SocketServer"], None]


class _Threaded(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SocketServer:
    """A threaded TCP server on 127.0.0.1 whose `handle(conn, server)` is given."""

    __test__ = False

    def __init__(self, handle: Greeter, tls: ssl.SSLContext | None = None) -> None:
        self.handle = handle
        self.tls = tls
        self.connections = 0
        self.received: list[bytes] = []
        self.lock = threading.Lock()
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                with owner.lock:
                    owner.connections += 1
                conn: socket.socket = self.request
                conn.settimeout(10)
                try:
                    if owner.tls is not None:
                        conn = owner.tls.wrap_socket(conn, server_side=True)
                    owner.handle(conn, owner)
                except (OSError, ssl.SSLError):
                    pass

        self._server = _Threaded(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> SocketServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, scheme: str) -> str:
        return f"{scheme}://127.0.0.1:{self.port}"


def read_line(conn: socket.socket, limit: int = 4096) -> bytes:
    data = b""
    while not data.endswith(b"\n") and len(data) < limit:
        chunk = conn.recv(1)
        if not chunk:
            break
        data += chunk
    return data


def banner(text: bytes, *, answer: bytes | None = None, delay: float = 0.0) -> Greeter:
    """Greets with `text` (after `delay`), then answers one line with `answer`
    (recording the line) and closes."""

    def handle(conn: socket.socket, server: SocketServer) -> None:
        if delay:
            time.sleep(delay)
        if text:
            conn.sendall(text)
        if answer is not None:
            line = read_line(conn)
            with server.lock:
                server.received.append(line)
            conn.sendall(answer)
        else:
            time.sleep(0.2)
        conn.close()

    return handle


def silent(conn: socket.socket, server: SocketServer) -> None:
    """Accepts and says nothing for a few seconds."""
    time.sleep(3)


def tls_idle(conn: socket.socket, server: SocketServer) -> None:
    """After the handshake (done by the wrap), wait for the client to leave."""
    with contextlib.suppress(OSError, ssl.SSLError):
        conn.recv(1)


def starttls(protocol: str, tls: ssl.SSLContext, *, offer: bool = True) -> Greeter:
    """An SMTP, IMAP or POP3 server that offers STARTTLS (`offer`), upgrades the
    connection with `tls`, and records the commands it was sent."""

    def record(conn: socket.socket, server: SocketServer) -> bytes:
        line = read_line(conn)
        with server.lock:
            server.received.append(line)
        return line

    def upgrade(conn: socket.socket) -> None:
        secure = tls.wrap_socket(conn, server_side=True)
        with contextlib.suppress(OSError, ssl.SSLError):
            secure.recv(1)

    def smtp(conn: socket.socket, server: SocketServer) -> None:
        conn.sendall(b"220 mail.test ESMTP ready\r\n")
        record(conn, server)  # EHLO
        extensions = b"250-mail.test\r\n250-SIZE 1000000\r\n"
        conn.sendall(extensions + (b"250 STARTTLS\r\n" if offer else b"250 HELP\r\n"))
        if not offer:
            return
        record(conn, server)  # STARTTLS
        conn.sendall(b"220 2.0.0 Ready to start TLS\r\n")
        upgrade(conn)

    def imap(conn: socket.socket, server: SocketServer) -> None:
        conn.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n")
        line = record(conn, server)
        tag = line.split(b" ")[0]
        conn.sendall(tag + (b" OK Begin TLS\r\n" if offer else b" BAD no\r\n"))
        if offer:
            upgrade(conn)

    def pop3(conn: socket.socket, server: SocketServer) -> None:
        conn.sendall(b"+OK POP3 ready\r\n")
        record(conn, server)
        conn.sendall(b"+OK Begin TLS\r\n" if offer else b"-ERR no\r\n")
        if offer:
            upgrade(conn)

    dialogues: dict[str, Any] = {"smtp": smtp, "imap": imap, "pop3": pop3}
    handler: Greeter = dialogues[protocol]
    return handler
