"""A moto server on 127.0.0.1 for the AWS tests: real boto3 over HTTP to it.

`aws_env` is what a process needs to reach it (endpoint, dummy credentials, a
region); `aws` also sets it in this process and resets moto's state after each
test, so every test starts with no parameters and no secrets.
"""

from __future__ import annotations

import logging
import socket
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from fake_pagerduty import FakePagerDuty

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def aws_env(moto_endpoint: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@pytest.fixture
def aws(
    aws_env: dict[str, str], moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """This process pointed at the moto server; yields a boto3 session for setup."""
    for name, value in aws_env.items():
        monkeypatch.setenv(name, value)
    try:
        yield boto3.session.Session()
    finally:
        request = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()


@pytest.fixture
def fake_pd() -> Iterator[FakePagerDuty]:
    fake = FakePagerDuty().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(autouse=True)
def _fresh_container() -> Iterator[None]:
    """Each test starts as a cold Lambda container (the handler's cache)."""
    from e2echeck import lambda_handler

    lambda_handler.reset_cache()
    yield
    lambda_handler.reset_cache()
