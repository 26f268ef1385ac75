"""What a dns:// check's result carries: the question, the resolver's rcode
and the records it answered (reports read it through `ResultDetails` only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from e2echeck.kinds.base import ReportField


@dataclass(frozen=True, slots=True)
class DnsDetails:
    """One DNS question and its answer."""

    kind: ClassVar[str] = "dns"

    url: str  # the resolver, dns://host:port
    name: str
    type: str
    rcode: str | None = None
    answers: tuple[str, ...] = ()

    @property
    def target(self) -> str:
        return self.url

    @property
    def status_cell(self) -> str:
        # NOERROR is the usual answer; the text report's column stays narrow.
        return {None: "-", "NOERROR": "OK", "NXDOMAIN": "NXD", "SERVFAIL": "SVF"}.get(
            self.rcode, (self.rcode or "-")[:3]
        )

    @property
    def tried(self) -> str:
        return f"{self.type} {self.name} @ {self.url}"

    @property
    def step(self) -> str | None:
        return None

    @property
    def excerpt(self) -> str:
        return ", ".join(self.answers)[:500]

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "name": self.name,
            "type": self.type,
            "rcode": self.rcode,
            "answers": list(self.answers),
        }

    def report_fields(self) -> tuple[ReportField, ...]:
        return (
            ReportField("failures", "url", self.url),
            ReportField("url", "query", f"{self.type} {self.name}"),
            ReportField("query", "rcode", self.rcode),
            ReportField("rcode", "answers", list(self.answers)),
        )

    def properties(self) -> tuple[ReportField, ...]:
        return (
            ReportField("dedup_key", "url", self.url),
            ReportField("url", "query", f"{self.type} {self.name}"),
            ReportField("query", "rcode", self.rcode or ""),
            ReportField("rcode", "answers", ", ".join(self.answers)),
        )
