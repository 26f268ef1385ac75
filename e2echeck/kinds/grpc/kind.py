"""The grpc:// and grpcs:// kinds: the standard gRPC health checking protocol
(grpc.health.v1.Health/Check), with grpcio from the `grpc` extra, imported only
when a run has such a check.

One channel per target and TLS setting is kept for the run. grpcs:// verifies
the server's certificate against `ca_file`, else gRPC's own root certificates.
The attempt is bounded by `timeout` (the call's deadline); its elapsed time, to
which `max_response_time` applies, is the call's.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from e2echeck.config.grpc_health import GrpcFields
from e2echeck.kinds.base import Attempt, Kind, RunContext
from e2echeck.kinds.grpc.details import GrpcDetails
from e2echeck.kinds.grpc.wire import METHOD, decode_status, encode_request
from e2echeck.kinds.sockets import Address, address_of

if TYPE_CHECKING:
    from e2echeck.config.models import Check, CheckSettings
    from e2echeck.redaction.names import NameRule

DEFAULT_STATUS = "SERVING"
MISSING_EXTRA = (
    "grpc:// checks need the grpc extra, which is not installed: install e2echeck "
    "with its grpc extra"
)


@dataclass(slots=True)
class GrpcPlan:
    """A grpc:// or grpcs:// check ready to run."""

    kind: ClassVar[str] = "grpc"

    check: Check
    settings: CheckSettings
    address: Address
    service: str
    status: str
    max_response_time: float | None
    secrets: set[str] = field(default_factory=set)

    @property
    def secure(self) -> bool:
        return self.address.scheme == "grpcs"

    def latency_budgets(self) -> Iterator[float]:
        if self.max_response_time is not None:
            yield self.max_response_time

    def untried(self) -> GrpcDetails:
        return GrpcDetails(self.address.url, self.service)


class GrpcRunner:
    """The run's gRPC channels, one per target and TLS setting."""

    def __init__(self) -> None:
        import grpc.aio  # noqa: F401  (once per run)

        self._channels: dict[tuple[str, bool, str | None], Any] = {}

    def _channel(self, plan: GrpcPlan) -> Any:
        import grpc
        import grpc.aio

        ca_file = plan.settings.ca_file if plan.secure else None
        key = (plan.address.shown, plan.secure, ca_file)
        channel = self._channels.get(key)
        if channel is None:
            if plan.secure:
                roots = Path(ca_file).read_bytes() if ca_file is not None else None
                credentials = grpc.ssl_channel_credentials(root_certificates=roots)
                channel = grpc.aio.secure_channel(plan.address.shown, credentials)
            else:
                channel = grpc.aio.insecure_channel(plan.address.shown)
            self._channels[key] = channel
        return channel

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()

    async def attempt(self, plan: GrpcPlan) -> Attempt:
        import grpc

        if plan.secure and not plan.settings.verify_tls:
            failure = "verify_tls: false is not supported for grpcs:// checks; give ca_file"
            return Attempt(False, [failure], 0.0, plan.untried())
        try:
            channel = self._channel(plan)
        except OSError as exc:
            failure = f"ca_file {plan.settings.ca_file} cannot be used: {exc.strerror or exc}"
            return Attempt(False, [failure], 0.0, plan.untried())
        call = channel.unary_unary(
            METHOD, request_serializer=encode_request, response_deserializer=decode_status
        )
        timeout = plan.settings.timeout
        started = time.perf_counter()
        try:
            status = await call(plan.service, timeout=timeout, wait_for_ready=False)
        except grpc.aio.AioRpcError as exc:
            elapsed = time.perf_counter() - started
            return _failed_call(plan, exc, elapsed, timeout)
        elapsed = time.perf_counter() - started
        details = GrpcDetails(plan.address.url, plan.service, status=status)
        if status != plan.status:
            return Attempt(False, [_status_failure(plan, status)], elapsed, details)
        limit = plan.max_response_time
        if limit is not None and elapsed > limit:
            failure = f"took {elapsed * 1000:.0f}ms, over max_response_time {limit * 1000:.0f}ms"
            return Attempt(False, [failure], elapsed, details, latency_budget=limit)
        return Attempt(True, [], elapsed, details)


def _what(plan: GrpcPlan) -> str:
    return f"service {plan.service!r}" if plan.service else "the server"


def _status_failure(plan: GrpcPlan, status: str) -> str:
    return f"health of {_what(plan)} at {plan.address.shown} is {status}, expected {plan.status}"


def _failed_call(plan: GrpcPlan, exc: Any, elapsed: float, timeout: float) -> Attempt:
    """A call that failed: NOT_FOUND is the protocol's SERVICE_UNKNOWN."""
    import grpc

    code = exc.code()
    name = code.name if code is not None else "UNKNOWN"
    where = plan.address.shown
    text = (exc.details() or "").strip().splitlines()[0][:300] if exc.details() else ""
    if code == grpc.StatusCode.NOT_FOUND:
        details = GrpcDetails(plan.address.url, plan.service, status="SERVICE_UNKNOWN", code=name)
        ok = plan.status == "SERVICE_UNKNOWN"
        failures = [] if ok else [_status_failure(plan, "SERVICE_UNKNOWN")]
        return Attempt(ok, failures, elapsed, details)
    details = GrpcDetails(plan.address.url, plan.service, code=name)
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        failure = f"no health answer from {where} within {timeout:g}s"
        return Attempt(False, [failure], elapsed, details, latency_budget=timeout)
    if code == grpc.StatusCode.UNIMPLEMENTED:
        failure = f"{where} does not implement the gRPC health service (grpc.health.v1.Health)"
    elif code == grpc.StatusCode.UNAVAILABLE:
        failure = f"gRPC server {where} is unavailable: {text or 'no connection'}"
    else:
        failure = f"health check call to {where} failed: {name}" + (f": {text}" if text else "")
    return Attempt(False, [failure], elapsed, details)


class GrpcKind:
    """grpc:// and grpcs:// checks (see e2echeck.kinds.base.Kind)."""

    name = "grpc"
    schemes = ("grpc", "grpcs")
    config_model = GrpcFields

    def plan(self, check: Check, settings: CheckSettings, rule: NameRule) -> GrpcPlan:
        expect = check.expect
        status = DEFAULT_STATUS
        if "status" in expect.model_fields_set:
            status = str(expect.status[0])
        return GrpcPlan(
            check=check,
            settings=settings,
            address=address_of(check.first_url),
            service=check.grpc.service if check.grpc is not None else "",
            status=status,
            max_response_time=expect.max_response_time,
        )

    @asynccontextmanager
    async def open(self, context: RunContext) -> AsyncIterator[GrpcRunner]:
        try:
            runner = GrpcRunner()
        except ImportError as exc:  # the config rejects it first; a library caller may not
            raise RuntimeError(MISSING_EXTRA) from exc
        try:
            yield runner
        finally:
            await runner.close()


KIND: Kind[GrpcPlan] = GrpcKind()  # typed: mypy checks that it meets the Protocol
