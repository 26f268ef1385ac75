"""The tcp:// kind: connect, optionally send a text, and match what the server
says against `expect.banner`.

The attempt is bounded by the check's `timeout` as a whole; its elapsed time
runs from the connect to the last byte it waited for (the connect alone when
nothing is expected), and `max_response_time` applies to it.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from e2echeck.config.sockets import SocketFields, decode_escapes
from e2echeck.kinds.base import Attempt, Kind, RunContext
from e2echeck.kinds.sockets import (
    READ_LIMIT,
    Address,
    Phase,
    address_of,
    close,
    connect,
    describe_error,
    excerpt,
)
from e2echeck.kinds.tcp.details import TcpDetails

if TYPE_CHECKING:
    from e2echeck.config.models import Check, CheckSettings
    from e2echeck.redaction.names import NameRule


@dataclass(slots=True)
class TcpPlan:
    """A tcp:// check ready to run."""

    kind: ClassVar[str] = "tcp"

    check: Check
    settings: CheckSettings
    address: Address
    send: bytes | None
    banner: re.Pattern[str] | None
    max_response_time: float | None
    secrets: set[str] = field(default_factory=set)

    def latency_budgets(self) -> Iterator[float]:
        if self.max_response_time is not None:
            yield self.max_response_time

    def untried(self) -> TcpDetails:
        return TcpDetails(self.address.url)


class TcpRunner:
    """TCP attempts need no shared resource: each opens its own connection."""

    async def attempt(self, plan: TcpPlan) -> Attempt:
        phase = Phase()
        timeout = plan.settings.timeout
        started = time.perf_counter()
        connect_s: float | None = None
        buffer = bytearray()  # what the server sent, kept when the read fails
        try:
            async with asyncio.timeout(timeout):
                reader, writer, connect_s = await connect(plan.address)
                try:
                    if plan.send is not None:
                        phase.name = "send"
                        writer.write(plan.send)
                        await writer.drain()
                    if plan.banner is not None:
                        phase.name = "read of the banner"
                        await _read_until(reader, plan.banner, buffer)
                    phase.finish()
                finally:
                    await close(writer)
        except (OSError, TimeoutError, EOFError, asyncio.IncompleteReadError) as exc:
            elapsed = phase.elapsed_since(started)
            received = bytes(buffer)
            details = _details(plan, connect_s, received)
            failure = describe_error(exc, plan.address, phase.name, timeout)
            if isinstance(exc, _NoMatch):
                failure = str(exc)
            elif received and plan.banner is not None:
                failure += f"; no banner matching {plan.banner.pattern!r} in what it sent"
            budget = timeout if isinstance(exc, TimeoutError) and not received else None
            return Attempt(False, [failure], elapsed, details, latency_budget=budget)
        elapsed = phase.elapsed_since(started)
        details = _details(plan, connect_s, bytes(buffer))
        limit = plan.max_response_time
        if limit is not None and elapsed > limit:
            failure = f"took {elapsed * 1000:.0f}ms, over max_response_time {limit * 1000:.0f}ms"
            return Attempt(False, [failure], elapsed, details, latency_budget=limit)
        return Attempt(True, [], elapsed, details)


class _NoMatch(EOFError):
    """The server closed the connection, or sent too much, without a match."""


async def _read_until(
    reader: asyncio.StreamReader, banner: re.Pattern[str], received: bytearray
) -> None:
    """Read into `received` until `banner` matches what it holds."""
    while True:
        if banner.search(received.decode("utf-8", errors="replace")):
            return
        if len(received) >= READ_LIMIT:
            raise _NoMatch(
                f"no banner matching {banner.pattern!r} in the first {READ_LIMIT} bytes "
                f"(got {excerpt(bytes(received))!r})"
            )
        chunk = await reader.read(READ_LIMIT - len(received))
        if not chunk:
            got = f"it sent {excerpt(bytes(received))!r}" if received else "it sent nothing"
            raise _NoMatch(
                f"the server closed the connection without a banner matching "
                f"{banner.pattern!r} ({got})"
            )
        received += chunk


def _details(plan: TcpPlan, connect_s: float | None, received: bytes) -> TcpDetails:
    return TcpDetails(
        plan.address.url,
        connected=connect_s is not None,
        connect_ms=None if connect_s is None else round(connect_s * 1000, 1),
        banner=excerpt(received) if received else "",
    )


class TcpKind:
    """tcp:// checks (see e2echeck.kinds.base.Kind)."""

    name = "tcp"
    schemes = ("tcp",)
    config_model = SocketFields

    def plan(self, check: Check, settings: CheckSettings, rule: NameRule) -> TcpPlan:
        expect = check.expect
        return TcpPlan(
            check=check,
            settings=settings,
            address=address_of(check.first_url),
            send=decode_escapes(check.send) if check.send is not None else None,
            banner=re.compile(expect.banner) if expect.banner is not None else None,
            max_response_time=expect.max_response_time,
        )

    @asynccontextmanager
    async def open(self, context: RunContext) -> AsyncIterator[TcpRunner]:
        yield TcpRunner()


KIND: Kind[TcpPlan] = TcpKind()  # typed: mypy checks that it meets the Protocol
