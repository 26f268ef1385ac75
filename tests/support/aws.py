"""AWS for tests: moto's server mode on 127.0.0.1, reached by the real boto3
over HTTP (no patching of boto3). One server per session; `reset()` empties it
between tests (moto's `POST /moto-api/reset`).

`env` is what boto3 needs to reach it, for this process or a child: the endpoint,
dummy credentials, a region, and no shared config or instance metadata lookups.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MotoServer:
    endpoint: str  # http://127.0.0.1:PORT
    env: dict[str, str]

    def reset(self) -> None:
        """Forget every bucket, parameter and secret."""
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200, answer.status

    def client(self, service: str) -> Any:
        """A boto3 client for `service` on this server (boto3 imported lazily)."""
        import boto3  # type: ignore[import-untyped]

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=self.env["AWS_DEFAULT_REGION"],
            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
        )


def moto_server_session() -> Iterator[MotoServer]:
    """Start moto on 127.0.0.1 and a free port; yield it; stop it."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        assert host == "127.0.0.1", host  # loopback only, as the network guard demands
        endpoint = f"http://127.0.0.1:{port}"
        env = {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        yield MotoServer(endpoint, env)
    finally:
        server.stop()
