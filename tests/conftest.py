"""Shared fixtures: real HTTP(S) test servers on 127.0.0.1, the fake PagerDuty
Events API and heartbeat endpoint, moto's AWS server, and the session-wide fast
delivery policy (the helpers themselves live in tests/support/).

Other test packages add their own fixtures in conftest.py files of their
subdirectories; the fixtures here are for everyone.
"""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from e2echeck.config import Config
from tests.support.aws import MotoServer, moto_server_session
from tests.support.configs import QUICK_DEFAULTS, config_document, load_config
from tests.support.delivery import FAST_POLICY_ENV
from tests.support.pagerduty import FakePagerDuty, HeartbeatServer
from tests.support.servers import TestServer, tls_context, unused_port

_LOOPBACK_NAMES = {"localhost", "::1", "ip6-localhost"}


def _is_loopback(host: Any) -> bool:
    if host is None:
        return True
    name = host.decode("idna") if isinstance(host, bytes) else str(host)
    return name in _LOOPBACK_NAMES or name.startswith("127.")


@pytest.fixture(autouse=True, scope="session")
def _no_traffic_beyond_loopback() -> Iterator[None]:
    """A safety net for the whole suite: no name lookup and no connection may
    leave 127.0.0.1 (this machine has no internet, and such traffic is flagged).
    A test that needs an unresolvable name gets one here, answered locally."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_loopback(host):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (test suite)")
        return real_getaddrinfo(host, *args, **kwargs)

    def allowed(address: Any) -> bool:
        return not isinstance(address, tuple) or _is_loopback(address[0])

    def connect(self: socket.socket, address: Any) -> None:
        if not allowed(address):
            raise ConnectionRefusedError(f"test suite: no connection to {address!r}")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not allowed(address):
            raise ConnectionRefusedError(f"test suite: no connection to {address!r}")
        return real_connect_ex(self, address)

    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.getaddrinfo = real_getaddrinfo
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True, scope="session")
def _fast_delivery_policy() -> Iterator[None]:
    """Every run the suite starts (CliRunner, the Lambda handler, child processes
    that inherit the environment) retries PagerDuty with millisecond backoff: no
    test sleeps through the production one. A test of the defaults passes its own."""
    saved = {name: os.environ.get(name) for name in FAST_POLICY_ENV}
    os.environ.update(FAST_POLICY_ENV)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def http_server() -> Iterator[TestServer]:
    """One plain HTTP test server for the session (use unique keys for counters)."""
    with TestServer() as server:
        yield server


@pytest.fixture(scope="session")
def tls_ca() -> Any:
    trustme = pytest.importorskip("trustme")
    return trustme.CA()


@pytest.fixture(scope="session")
def tls_client_context(tls_ca: Any) -> ssl.SSLContext:
    """A client context that trusts `tls_ca` (pass to the engine as ssl_context)."""
    context = ssl.create_default_context()
    tls_ca.configure_trust(context)
    return context


@pytest.fixture(scope="session")
def tls_ca_file(tls_ca: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The CA certificate as a PEM file (for SSL_CERT_FILE in subprocess tests)."""
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    tls_ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture(scope="session")
def tls_server(tls_ca: Any) -> Iterator[TestServer]:
    """HTTPS with a certificate valid for a year more."""
    with TestServer(tls=tls_context(tls_ca, days_left=365)) as server:
        yield server


@pytest.fixture(scope="session")
def tls_server_expiring(tls_ca: Any) -> Iterator[TestServer]:
    """HTTPS with a certificate that expires in 3 days."""
    with TestServer(tls=tls_context(tls_ca, days_left=3)) as server:
        yield server


@pytest.fixture(scope="session")
def tls_server_expired(tls_ca: Any) -> Iterator[TestServer]:
    """HTTPS with a certificate that expired yesterday."""
    with TestServer(tls=tls_context(tls_ca, expired=True)) as server:
        yield server


@pytest.fixture
def refused_url() -> str:
    """A URL on 127.0.0.1 where nothing listens."""
    return f"http://127.0.0.1:{unused_port()}/"


@pytest.fixture
def make_config() -> Callable[..., Config]:
    """Build a validated Config from checks (dicts) and optional defaults, the
    way checks.yaml would: `make_config([{"name": "a", "url": ...}], retries=0)`."""

    def build(checks: list[dict[str, Any]], **defaults: Any) -> Config:
        document = config_document(checks, defaults={**QUICK_DEFAULTS, **defaults})
        return load_config(document, name="test.yaml")

    return build


@pytest.fixture
def fake_pd() -> Iterator[FakePagerDuty]:
    """A fake PagerDuty Events API v2 that records what it receives."""
    with FakePagerDuty() as fake:
        yield fake


@pytest.fixture
def heartbeat_server() -> Iterator[HeartbeatServer]:
    with HeartbeatServer() as server:
        yield server


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """moto's server mode on 127.0.0.1 (S3, SSM, Secrets Manager...), once per
    session; see `aws_env` for a test that uses it."""
    yield from moto_server_session()


@pytest.fixture
def aws_env(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A clean moto (state reset) and this process's environment pointing boto3 at
    it with dummy credentials; the dict is also what a child process needs."""
    moto_server.reset()
    for name, value in moto_server.env.items():
        monkeypatch.setenv(name, value)
    return dict(moto_server.env)
