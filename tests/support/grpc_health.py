"""A gRPC server on 127.0.0.1 implementing the standard health service
(grpc.health.v1.Health/Check) with grpcio, plain or with TLS: each service's
status is scripted in `statuses`, an unknown service is NOT_FOUND, as the
protocol says. Its messages are encoded by hand (two fields), like the kind's."""

from __future__ import annotations

from concurrent import futures
from typing import Any

STATUS_NUMBERS = {"UNKNOWN": 0, "SERVING": 1, "NOT_SERVING": 2, "SERVICE_UNKNOWN": 3}


def _decode_service(data: bytes) -> str:
    if not data:
        return ""
    assert data[0] == 0x0A, data
    length, pos, shift = 0, 1, 0
    while True:
        byte = data[pos]
        pos += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return data[pos : pos + length].decode()


def _encode_status(status: str) -> bytes:
    number = STATUS_NUMBERS[status]
    return b"\x08" + bytes([number]) if number else b""


class HealthServer:
    """grpc.health.v1.Health on 127.0.0.1; `statuses` maps service -> status."""

    __test__ = False

    def __init__(self, statuses: dict[str, str] | None = None, tls: Any = None) -> None:
        import grpc

        self.statuses = dict(statuses or {"": "SERVING"})
        self.asked: list[str] = []
        owner = self

        def check(request: str, context: Any) -> str:
            owner.asked.append(request)
            status = owner.statuses.get(request)
            if status is None:
                context.abort(grpc.StatusCode.NOT_FOUND, f"unknown service {request!r}")
            return status

        handler = grpc.method_handlers_generic_handler(
            "grpc.health.v1.Health",
            {
                "Check": grpc.unary_unary_rpc_method_handler(
                    check,
                    request_deserializer=_decode_service,
                    response_serializer=_encode_status,
                )
            },
        )
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        self._server.add_generic_rpc_handlers((handler,))
        if tls is None:
            self.port = self._server.add_insecure_port("127.0.0.1:0")
        else:
            key = tls.private_key_pem.bytes()
            chain = b"".join(pem.bytes() for pem in tls.cert_chain_pems)
            credentials = grpc.ssl_server_credentials([(key, chain)])
            self.port = self._server.add_secure_port("127.0.0.1:0", credentials)
        self.scheme = "grpc" if tls is None else "grpcs"

    def __enter__(self) -> HealthServer:
        self._server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.stop(grace=None)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"
