"""The tls:// and starttls:// kinds: a TLS handshake with chain and hostname
verification (`verify_tls`, `ca_file`), then the certificate's expiry and the
negotiated version against `expect`.

A starttls:// check speaks SMTP, IMAP or POP3 (by port, or `starttls:`) up to
the server's go-ahead first. The attempt is bounded by `timeout` as a whole;
its elapsed time, to which `max_response_time` applies, runs from the connect
to the end of the handshake.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from e2echeck.config.sockets import STARTTLS_PORTS, SocketFields
from e2echeck.kinds.base import Attempt, Kind, RunContext
from e2echeck.kinds.certificates import CertificateFormatError, describe_certificate
from e2echeck.kinds.sockets import (
    Address,
    Phase,
    address_of,
    client_context,
    close,
    connect,
    describe_error,
)
from e2echeck.kinds.tls.details import TlsDetails
from e2echeck.kinds.tls.starttls import StartTlsRefused, negotiate

if TYPE_CHECKING:
    from e2echeck.config.models import Check, CheckSettings
    from e2echeck.redaction.names import NameRule

_VERSIONS = {"TLSv1": "1.0", "TLSv1.1": "1.1", "TLSv1.2": "1.2", "TLSv1.3": "1.3"}


@dataclass(slots=True)
class TlsPlan:
    """A tls:// or starttls:// check ready to run."""

    kind: ClassVar[str] = "tls"

    check: Check
    settings: CheckSettings
    address: Address
    starttls: str | None  # smtp, imap, pop3; None: TLS from the first byte
    min_days: int | None
    min_version: str | None
    max_response_time: float | None
    secrets: set[str] = field(default_factory=set)

    def latency_budgets(self) -> Iterator[float]:
        if self.max_response_time is not None:
            yield self.max_response_time

    def untried(self) -> TlsDetails:
        return TlsDetails(self.address.url)


class TlsRunner:
    """The run's TLS client contexts (one per verification and CA file)."""

    def __init__(self, trusted: ssl.SSLContext | None) -> None:
        self._trusted = trusted
        self._contexts: dict[tuple[bool, str | None], ssl.SSLContext] = {}

    def _context(self, plan: TlsPlan) -> ssl.SSLContext:
        key = (plan.settings.verify_tls, plan.settings.ca_file)
        context = self._contexts.get(key)
        if context is None:
            context = self._contexts[key] = client_context(*key, self._trusted)
        return context

    async def attempt(self, plan: TlsPlan) -> Attempt:
        started = time.perf_counter()
        try:
            context = self._context(plan)
        except (OSError, ssl.SSLError) as exc:
            failure = f"ca_file {plan.settings.ca_file} cannot be used: {exc.strerror or exc}"
            return Attempt(False, [failure], 0.0, plan.untried())
        phase = Phase()
        timeout = plan.settings.timeout
        try:
            async with asyncio.timeout(timeout):
                tls_object = await _handshake(plan, context, phase)
        except (OSError, TimeoutError, EOFError, StartTlsRefused) as exc:
            elapsed = phase.elapsed_since(started)
            if isinstance(exc, StartTlsRefused):
                failure = f"STARTTLS with {plan.address.shown}: {exc}"
            else:
                failure = describe_error(exc, plan.address, phase.name, timeout)
            budget = timeout if isinstance(exc, TimeoutError) else None
            return Attempt(False, [failure], elapsed, plan.untried(), latency_budget=budget)
        elapsed = phase.elapsed_since(started)
        details, failures = _judge(plan, tls_object)
        limit = plan.max_response_time
        if not failures and limit is not None and elapsed > limit:
            failure = f"took {elapsed * 1000:.0f}ms, over max_response_time {limit * 1000:.0f}ms"
            return Attempt(False, [failure], elapsed, details, latency_budget=limit)
        return Attempt(not failures, failures, elapsed, details)


async def _handshake(plan: TlsPlan, context: ssl.SSLContext, phase: Phase) -> ssl.SSLObject:
    """The connection's TLS object once the handshake is done."""
    if plan.starttls is None:
        phase.name = "connect and TLS handshake"
        _, writer, _ = await connect(plan.address, context)
    else:
        reader, writer, _ = await connect(plan.address)
        try:
            phase.name = f"{plan.starttls.upper()} STARTTLS dialogue"
            await negotiate(plan.starttls, reader, writer)
            phase.name = "TLS handshake"
            await writer.start_tls(context, server_hostname=plan.address.host)
        except BaseException:
            await close(writer)
            raise
    phase.finish()
    try:
        tls_object: ssl.SSLObject | None = writer.get_extra_info("ssl_object")
        if tls_object is None:
            raise ssl.SSLError("no TLS session after the handshake")
        return tls_object
    finally:
        await close(writer)


def _judge(plan: TlsPlan, tls_object: ssl.SSLObject) -> tuple[TlsDetails, list[str]]:
    """The handshake's facts, and what `expect` finds wrong with them."""
    failures: list[str] = []
    version = _VERSIONS.get(tls_object.version() or "", tls_object.version())
    der = tls_object.getpeercert(binary_form=True)
    try:
        facts = describe_certificate(der) if der else None
    except CertificateFormatError as exc:
        facts = None
        failures.append(f"the server's TLS certificate could not be read: {exc}")
    now = datetime.now(UTC)
    details = TlsDetails(plan.address.url, tls_version=version)
    if facts is not None:
        left = facts.not_after - now
        details = TlsDetails(
            plan.address.url,
            tls_version=version,
            subject=facts.subject,
            issuer=facts.issuer,
            sans=facts.sans,
            not_after=facts.not_after.isoformat(),
            days_left=left.days,
        )
    if plan.min_days is not None:
        if facts is None:
            if not failures:
                failures.append("the server sent no TLS certificate")
        else:
            failures.extend(_expiry_failures(facts.not_after, now, plan.min_days))
    if plan.min_version is not None and version is not None and version < plan.min_version:
        failures.append(f"TLS {version} was negotiated, minimum {plan.min_version}")
    return details, failures


def _expiry_failures(not_after: datetime, now: datetime, min_days: int) -> list[str]:
    left = not_after - now
    on = not_after.strftime("%Y-%m-%d")
    if left.total_seconds() <= 0:
        return [f"TLS certificate expired {_days(-left.total_seconds())} ago (on {on})"]
    if left.total_seconds() < min_days * 86400:
        return [
            f"TLS certificate expires in {_days(left.total_seconds())} (on {on}), "
            f"minimum {min_days}"
        ]
    return []


def _days(seconds: float) -> str:
    days = seconds / 86400
    if days >= 1:
        whole = int(days)
        return f"{whole} day{'s' if whole != 1 else ''}"
    hours = max(1, int(seconds / 3600))
    return f"{hours} hour{'s' if hours != 1 else ''}"


def starttls_protocol(check: Check, address: Address) -> str | None:
    """The protocol of a starttls:// check: `starttls:`, else by port."""
    if address.scheme != "starttls":
        return None
    return check.starttls or STARTTLS_PORTS.get(address.port, "smtp")


class TlsKind:
    """tls:// and starttls:// checks (see e2echeck.kinds.base.Kind)."""

    name = "tls"
    schemes = ("tls", "starttls")
    config_model = SocketFields

    def plan(self, check: Check, settings: CheckSettings, rule: NameRule) -> TlsPlan:
        address = address_of(check.first_url)
        expect = check.expect
        return TlsPlan(
            check=check,
            settings=settings,
            address=address,
            starttls=starttls_protocol(check, address),
            min_days=expect.tls_cert_min_days,
            min_version=expect.tls_min_version,
            max_response_time=expect.max_response_time,
        )

    @asynccontextmanager
    async def open(self, context: RunContext) -> AsyncIterator[TlsRunner]:
        yield TlsRunner(context.ssl_context)


KIND: Kind[TlsPlan] = TlsKind()  # typed: mypy checks that it meets the Protocol
