"""A DNS server on 127.0.0.1 (UDP and TCP on one port), answering from a small
zone with dnspython: A, AAAA, MX and TXT records, NXDOMAIN for other names, a
slow answer (`slow.test.`), and a truncated UDP answer (`big.test.`, whole
over TCP). It counts the questions it got, by transport."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time
from typing import Any

ZONE: dict[tuple[str, str], list[str]] = {
    ("api.test.", "A"): ["203.0.113.10", "203.0.113.11"],
    ("api.test.", "AAAA"): ["2001:db8::10"],
    ("mail.test.", "MX"): ["10 mx1.mail.test.", "20 mx2.mail.test."],
    ("mail.test.", "TXT"): ['"v=spf1 -all"'],
    ("alias.test.", "CNAME"): ["api.test."],
    ("slow.test.", "A"): ["203.0.113.99"],
    ("big.test.", "TXT"): [f'"{"x" * 200} {i}"' for i in range(10)],
}
SLOW_NAME = "slow.test."
SLOW_SECONDS = 1.5


class DnsServer:
    """dnspython answering ZONE on 127.0.0.1:port over UDP and TCP."""

    __test__ = False

    def __init__(self, zone: dict[tuple[str, str], list[str]] | None = None) -> None:
        self.zone = dict(ZONE if zone is None else zone)
        self.questions: list[tuple[str, str, str]] = []  # (transport, name, type)
        self.lock = threading.Lock()
        owner = self

        class Udp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data, sock = self.request
                reply = owner.answer(data, "udp", limit=512)
                if reply is not None:
                    sock.sendto(reply, self.client_address)

        class Tcp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn: socket.socket = self.request
                with contextlib.suppress(OSError):
                    size = int.from_bytes(_read(conn, 2), "big")
                    reply = owner.answer(_read(conn, size), "tcp", limit=65535)
                    if reply is not None:
                        conn.sendall(len(reply).to_bytes(2, "big") + reply)

        class UdpServer(socketserver.ThreadingUDPServer):
            daemon_threads = True

        class TcpServer(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        for _ in range(20):
            self._udp = UdpServer(("127.0.0.1", 0), Udp)
            port = self._udp.server_address[1]
            try:
                self._tcp = TcpServer(("127.0.0.1", port), Tcp)
                break
            except OSError:
                self._udp.server_close()
        self._threads = [
            threading.Thread(target=server.serve_forever, daemon=True)
            for server in (self._udp, self._tcp)
        ]

    def answer(self, data: bytes, transport: str, limit: int) -> bytes | None:
        import dns.flags
        import dns.message
        import dns.rcode
        import dns.rdatatype
        import dns.rrset

        query = dns.message.from_wire(data)
        question = query.question[0]
        name = question.name.to_text().lower()
        rtype = dns.rdatatype.to_text(question.rdtype)
        with self.lock:
            self.questions.append((transport, name, rtype))
        if name == SLOW_NAME:
            time.sleep(SLOW_SECONDS)
        response = dns.message.make_response(query)
        records = self.zone.get((name, rtype))
        if records:
            response.answer.append(dns.rrset.from_text_list(name, 300, "IN", rtype, records))
        elif not any(known == name for known, _ in self.zone):
            response.set_rcode(dns.rcode.NXDOMAIN)
        wire = response.to_wire()
        if len(wire) > limit:
            response.answer.clear()
            response.flags |= dns.flags.TC
            wire = response.to_wire()
        return wire

    def __enter__(self) -> DnsServer:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        for server in (self._udp, self._tcp):
            server.shutdown()
            server.server_close()

    @property
    def port(self) -> int:
        return int(self._udp.server_address[1])

    @property
    def url(self) -> str:
        return f"dns://127.0.0.1:{self.port}"


def _read(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise OSError("closed")
        data += chunk
    return data
