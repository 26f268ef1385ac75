"""The tls:// and starttls:// kinds against real servers with trustme
certificates: valid, expiring, wrong host, self-signed; SMTP, IMAP and POP3
STARTTLS; a private CA given by `ca_file`."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from e2echeck.config import Config
from e2echeck.engine import Outcome, run_checks
from tests.support.servers import tls_context
from tests.support.sockets import SocketServer, starttls


def _run(
    make_config: Callable[..., Config], context: ssl.SSLContext | None = None, **check: Any
) -> Any:
    config = make_config([{"name": "t", **check}])
    return run_checks(config, ssl_context=context).results[0]


def test_a_valid_certificate_passes_with_its_facts(
    make_config: Callable[..., Config], tls_socket: SocketServer, tls_client_context: Any
) -> None:
    result = _run(
        make_config,
        tls_client_context,
        url=tls_socket.url("tls"),
        expect={"tls_cert_min_days": 21, "tls_min_version": "1.2"},
    )
    assert result.outcome is Outcome.OK, result.failures
    cert = result.details["certificate"]
    assert "127.0.0.1" in cert["sans"] and "localhost" in cert["sans"]
    assert cert["issuer"].startswith("O=trustme")
    assert 363 <= cert["days_left"] <= 365
    assert result.details["tls_version"] in ("1.2", "1.3")
    assert result.kind_details.status_cell == result.details["tls_version"]


def test_a_certificate_expiring_in_5_days_fails_a_21_day_minimum(
    make_config: Callable[..., Config], tls_socket_expiring: SocketServer, tls_client_context: Any
) -> None:
    result = _run(
        make_config,
        tls_client_context,
        url=tls_socket_expiring.url("tls"),
        expect={"tls_cert_min_days": 21},
    )
    assert result.outcome is Outcome.FAILED
    [failure] = result.failures
    assert failure.startswith("TLS certificate expires in 4 days (on ")
    assert failure.endswith("), minimum 21")
    assert result.details["certificate"]["days_left"] == 4


def test_a_certificate_for_another_host_fails_verification(
    make_config: Callable[..., Config], tls_socket_wrong_host: SocketServer, tls_client_context: Any
) -> None:
    result = _run(make_config, tls_client_context, url=tls_socket_wrong_host.url("tls"))
    assert result.outcome is Outcome.FAILED
    [failure] = result.failures
    assert failure.startswith(f"TLS certificate of 127.0.0.1:{tls_socket_wrong_host.port} is not")
    assert "mismatch" in failure.lower() or "127.0.0.1" in failure


def test_a_self_signed_chain_fails_unless_verify_tls_is_off(
    make_config: Callable[..., Config],
    tls_socket_self_signed: SocketServer,
    tls_client_context: Any,
) -> None:
    url = tls_socket_self_signed.url("tls")
    result = _run(make_config, tls_client_context, url=url)
    assert result.outcome is Outcome.FAILED
    assert "unable to get local issuer certificate" in result.failures[0]
    unverified = _run(
        make_config, tls_client_context, url=url, verify_tls=False, expect={"tls_cert_min_days": 7}
    )
    assert unverified.outcome is Outcome.OK, unverified.failures
    assert unverified.details["certificate"]["days_left"] >= 88


def test_ca_file_trusts_a_private_ca_per_check_and_in_defaults(
    make_config: Callable[..., Config], tls_socket: SocketServer, tls_ca_file: str
) -> None:
    url = tls_socket.url("tls")
    without = _run(make_config, url=url)  # the system's CAs only
    assert without.outcome is Outcome.FAILED
    assert _run(make_config, url=url, ca_file=tls_ca_file).outcome is Outcome.OK
    config = make_config([{"name": "t", "url": url}], ca_file=tls_ca_file)
    assert run_checks(config).results[0].outcome is Outcome.OK
    missing = _run(make_config, url=url, ca_file="/nonexistent/ca.pem")
    assert missing.outcome is Outcome.FAILED
    assert missing.failures[0].startswith("ca_file /nonexistent/ca.pem cannot be used")


@pytest.fixture(scope="module")
def server_tls(tls_ca: Any) -> ssl.SSLContext:
    return tls_context(tls_ca, days_left=10)


@pytest.fixture(params=["smtp", "imap", "pop3"])
def mail_server(request: Any, server_tls: ssl.SSLContext) -> Iterator[tuple[str, SocketServer]]:
    with SocketServer(starttls(request.param, server_tls)) as server:
        yield request.param, server


def test_starttls_upgrades_smtp_imap_and_pop3_then_checks_the_certificate(
    make_config: Callable[..., Config], mail_server: Any, tls_client_context: Any
) -> None:
    protocol, server = mail_server
    check = {"url": server.url("starttls"), "starttls": protocol}
    ok = _run(make_config, tls_client_context, **check, expect={"tls_cert_min_days": 7})
    assert ok.outcome is Outcome.OK, ok.failures
    assert ok.details["certificate"]["days_left"] == 9
    commands = {"smtp": [b"EHLO e2echeck.invalid\r\n", b"STARTTLS\r\n"]}
    commands |= {"imap": [b"a1 STARTTLS\r\n"], "pop3": [b"STLS\r\n"]}
    assert server.received[: len(commands[protocol])] == commands[protocol]
    short = _run(make_config, tls_client_context, **check, expect={"tls_cert_min_days": 14})
    assert short.outcome is Outcome.FAILED
    assert short.failures[0].startswith("TLS certificate expires in 9 days")


def test_an_smtp_server_without_starttls_fails_in_plain_words(
    make_config: Callable[..., Config], server_tls: ssl.SSLContext, tls_client_context: Any
) -> None:
    with SocketServer(starttls("smtp", server_tls, offer=False)) as server:
        result = _run(make_config, tls_client_context, url=server.url("starttls"), starttls="smtp")
    assert result.outcome is Outcome.FAILED
    assert result.failures == [
        f"STARTTLS with 127.0.0.1:{server.port}: the SMTP server does not offer STARTTLS "
        "(not in its EHLO reply)"
    ]


def test_ca_file_trusts_a_private_ca_for_https_checks_too(
    make_config: Callable[..., Config], tls_server: Any, tls_ca_file: str
) -> None:
    url = tls_server.url("/status/200")
    assert _run(make_config, url=url).outcome is Outcome.FAILED  # the system's CAs only
    trusted = _run(make_config, url=url, ca_file=tls_ca_file)
    assert trusted.outcome is Outcome.OK, trusted.failures
    missing = _run(make_config, url=url, ca_file="/nonexistent/ca.pem")
    assert missing.outcome is Outcome.FAILED
    assert missing.failures[0].startswith("ca_file /nonexistent/ca.pem cannot be used")
