"""The process's one verifying TLS context: built once, still verifying, and
built again when SSL_CERT_FILE names other trusted CAs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import pytest

from e2echeck._tls import verifying_context
from tests.support.servers import TestServer, tls_context


def test_one_context_serves_every_client() -> None:
    assert verifying_context() is verifying_context()


def test_it_verifies_and_follows_ssl_cert_file(
    tmp_path: Path, tls_ca: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with TestServer(tls=tls_context(tls_ca)) as server:
        with pytest.raises(httpx2.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx2.get(server.url("/status/200"), verify=verifying_context())
        bundle = tmp_path / "ca.pem"
        tls_ca.cert_pem.write_to_path(str(bundle))
        monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
        trusted = verifying_context()
        assert httpx2.get(server.url("/status/200"), verify=trusted).status_code == 200
        monkeypatch.delenv("SSL_CERT_FILE")
        assert verifying_context() is not trusted
