"""Socket servers for the tcp://, tls:// and starttls:// kinds (tests/support/sockets.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.servers import tls_context
from tests.support.sockets import SocketServer, banner, tls_idle


@pytest.fixture(scope="session")
def smtp_banner() -> Iterator[SocketServer]:
    """Greets like an SMTP server: '220 mail.test ESMTP'."""
    with SocketServer(banner(b"220 mail.test ESMTP ready\r\n")) as server:
        yield server


@pytest.fixture(scope="session")
def tls_socket(tls_ca: Any) -> Iterator[SocketServer]:
    """TLS on a raw socket, certificate for 127.0.0.1 valid a year more."""
    with SocketServer(tls_idle, tls=tls_context(tls_ca, days_left=365)) as server:
        yield server


@pytest.fixture(scope="session")
def tls_socket_expiring(tls_ca: Any) -> Iterator[SocketServer]:
    """TLS whose certificate expires in 5 days."""
    with SocketServer(tls_idle, tls=tls_context(tls_ca, days_left=5)) as server:
        yield server


def _server_context(cert: Any) -> Any:
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    return context


@pytest.fixture(scope="session")
def tls_socket_wrong_host(tls_ca: Any) -> Iterator[SocketServer]:
    """TLS with a certificate for another name (checked as 127.0.0.1)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    cert = tls_ca.issue_cert(
        "other.example", not_before=now - timedelta(days=1), not_after=now + timedelta(days=90)
    )
    with SocketServer(tls_idle, tls=_server_context(cert)) as server:
        yield server


@pytest.fixture(scope="session")
def tls_socket_self_signed() -> Iterator[SocketServer]:
    """TLS with a certificate that no trusted CA issued (its own CA's)."""
    trustme = pytest.importorskip("trustme")
    stranger = trustme.CA()
    with SocketServer(tls_idle, tls=tls_context(stranger, days_left=90)) as server:
        yield server
