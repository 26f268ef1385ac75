"""The dns:// kind: one question to the resolver the URL names, its rcode and
records judged against `expect` (dnspython, imported when a run has such a check).

A UDP answer that comes back truncated is asked again over TCP, as a stub
resolver would. The attempt is bounded by `timeout`; its elapsed time, to which
`max_response_time` applies, runs from the question to the answer.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from e2echeck.config.dns import AnswersExpect, DnsFields
from e2echeck.kinds.base import Attempt, Kind, RunContext
from e2echeck.kinds.dns.details import DnsDetails
from e2echeck.kinds.sockets import Address, address_of

if TYPE_CHECKING:
    from e2echeck.config.models import Check, CheckSettings
    from e2echeck.redaction.names import NameRule

DEFAULT_RCODE = "NOERROR"


@dataclass(slots=True)
class DnsPlan:
    """A dns:// check ready to run."""

    kind: ClassVar[str] = "dns"

    check: Check
    settings: CheckSettings
    resolver: Address
    name: str
    type: str
    protocol: str
    rcode: str
    answers: AnswersExpect | None
    max_response_time: float | None
    secrets: set[str] = field(default_factory=set)

    def latency_budgets(self) -> Iterator[float]:
        if self.max_response_time is not None:
            yield self.max_response_time

    def untried(self) -> DnsDetails:
        return DnsDetails(self.resolver.url, self.name, self.type)


class DnsRunner:
    """Each question goes out on its own socket; resolver names are looked up once."""

    def __init__(self) -> None:
        import dns.asyncquery  # noqa: F401  (loaded once per run, not per attempt)

        self._addresses: dict[str, str] = {}

    async def _where(self, host: str, port: int) -> str:
        found = self._addresses.get(host)
        if found is None:
            try:
                found = str(ipaddress.ip_address(host))
            except ValueError:
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host, port, type=socket.SOCK_DGRAM
                )
                found = str(infos[0][4][0])
            self._addresses[host] = found
        return found

    async def attempt(self, plan: DnsPlan) -> Attempt:
        import dns.exception

        timeout = plan.settings.timeout
        resolver = plan.resolver
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout):
                where = await self._where(resolver.host, resolver.port)
                started = time.perf_counter()
                response = await _ask(plan, where, timeout)
        except (TimeoutError, dns.exception.Timeout):
            failure = f"no answer from the resolver {resolver.shown} within {timeout:g}s"
            return Attempt(False, [failure], time.perf_counter() - started, plan.untried(), timeout)
        except socket.gaierror:
            failure = f"could not resolve the host name {resolver.host}"
            return Attempt(False, [failure], 0.0, plan.untried())
        except (OSError, EOFError, dns.exception.DNSException) as exc:
            text = str(exc).strip() or type(exc).__name__
            failure = f"query to the resolver {resolver.shown} failed: {text}"
            if isinstance(exc, ConnectionRefusedError):
                failure = f"connection refused by the resolver {resolver.shown}"
            return Attempt(False, [failure], time.perf_counter() - started, plan.untried())
        elapsed = time.perf_counter() - started
        details = _details(plan, response)
        failures = _judge(plan, details)
        limit = plan.max_response_time
        if not failures and limit is not None and elapsed > limit:
            failure = f"took {elapsed * 1000:.0f}ms, over max_response_time {limit * 1000:.0f}ms"
            return Attempt(False, [failure], elapsed, details, latency_budget=limit)
        return Attempt(not failures, failures, elapsed, details)


async def _ask(plan: DnsPlan, where: str, timeout: float) -> Any:
    import dns.asyncquery
    import dns.flags
    import dns.message

    query = dns.message.make_query(plan.name, plan.type)
    port = plan.resolver.port
    if plan.protocol == "udp":
        response = await dns.asyncquery.udp(query, where, timeout=timeout, port=port)
        if not response.flags & dns.flags.TC:
            return response
    return await dns.asyncquery.tcp(query, where, timeout=timeout, port=port)


def _details(plan: DnsPlan, response: Any) -> DnsDetails:
    import dns.rcode
    import dns.rdatatype

    wanted = dns.rdatatype.from_text(plan.type)
    answers: list[str] = []
    for rrset in response.answer:
        if rrset.rdtype != wanted:
            continue
        for rdata in rrset:
            if wanted == dns.rdatatype.TXT:
                answers.append(b"".join(rdata.strings).decode("utf-8", errors="replace"))
            else:
                answers.append(rdata.to_text())
    return DnsDetails(
        plan.resolver.url,
        plan.name,
        plan.type,
        rcode=dns.rcode.to_text(response.rcode()),
        answers=tuple(sorted(answers)),  # an RRset has no order
    )


def _same(text: str) -> str:
    """A record's text as compared: no trailing dot on names, any case."""
    return text.rstrip(".").lower()


def _judge(plan: DnsPlan, details: DnsDetails) -> list[str]:
    """What `expect` finds wrong with the answer."""
    question = f"{plan.type} {plan.name}"
    if details.rcode != plan.rcode:
        return [f"{question}: the resolver answered {details.rcode}, expected {plan.rcode}"]
    got = details.answers
    shown = ", ".join(got) if got else "no records"
    expect = plan.answers
    if expect is None:
        if plan.rcode == DEFAULT_RCODE and not got:
            return [f"{question}: no {plan.type} records in the answer"]
        return []
    failures = []
    have = {_same(answer) for answer in got}
    missing = [text for text in expect.contains if _same(text) not in have]
    if missing:
        failures.append(f"{question}: {', '.join(missing)} not in the answer ({shown})")
    if expect.equals is not None and have != {_same(text) for text in expect.equals}:
        failures.append(
            f"{question}: the answer is {shown}, expected exactly {', '.join(expect.equals)}"
        )
    if expect.matches is not None and not any(re.search(expect.matches, a) for a in got):
        failures.append(f"{question}: no record matches {expect.matches!r} ({shown})")
    return failures


class DnsKind:
    """dns:// checks (see e2echeck.kinds.base.Kind)."""

    name = "dns"
    schemes = ("dns",)
    config_model = DnsFields

    def plan(self, check: Check, settings: CheckSettings, rule: NameRule) -> DnsPlan:
        query = check.dns
        if query is None:  # the config requires it; a check built by hand may not
            raise ValueError(f"check {check.name}: a dns:// check needs dns: {{name: ...}}")
        expect = check.expect
        return DnsPlan(
            check=check,
            settings=settings,
            resolver=address_of(check.first_url),
            name=query.name,
            type=query.type,
            protocol=query.protocol,
            rcode=expect.rcode or DEFAULT_RCODE,
            answers=expect.answers,
            max_response_time=expect.max_response_time,
        )

    @asynccontextmanager
    async def open(self, context: RunContext) -> AsyncIterator[DnsRunner]:
        yield DnsRunner()


KIND: Kind[DnsPlan] = DnsKind()  # typed: mypy checks that it meets the Protocol
