"""What a tls:// or starttls:// check's result carries: the negotiated version
and the server certificate's subject, issuer, SANs and expiry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from e2echeck.kinds.base import ReportField


@dataclass(frozen=True, slots=True)
class TlsDetails:
    """A TLS handshake (after STARTTLS, for starttls://) and its certificate."""

    kind: ClassVar[str] = "tls"

    url: str
    tls_version: str | None = None  # "1.3"
    subject: str = ""
    issuer: str = ""
    sans: tuple[str, ...] = ()
    not_after: str | None = None  # ISO 8601, UTC
    days_left: int | None = None
    answer: str = ""  # a STARTTLS dialogue's last answer, when it went wrong

    @property
    def target(self) -> str:
        return self.url

    @property
    def status_cell(self) -> str:
        return self.tls_version or "-"

    @property
    def tried(self) -> str:
        return f"TLS handshake {self.url}"

    @property
    def step(self) -> str | None:
        return None

    @property
    def excerpt(self) -> str:
        return self.answer

    def certificate(self) -> dict[str, Any] | None:
        if self.not_after is None:
            return None
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "sans": list(self.sans),
            "not_after": self.not_after,
            "days_left": self.days_left,
        }

    def as_dict(self) -> dict[str, Any]:
        facts: dict[str, Any] = {"url": self.url, "tls_version": self.tls_version}
        certificate = self.certificate()
        if certificate is not None:
            facts["certificate"] = certificate
        if self.answer:
            facts["answer"] = self.answer
        return facts

    def report_fields(self) -> tuple[ReportField, ...]:
        return (
            ReportField("failures", "url", self.url),
            ReportField("url", "tls_version", self.tls_version),
            ReportField("tls_version", "certificate", self.certificate()),
        )

    def properties(self) -> tuple[ReportField, ...]:
        return (
            ReportField("dedup_key", "url", self.url),
            ReportField("url", "tls_version", self.tls_version or ""),
            ReportField("tls_version", "cert_not_after", self.not_after or ""),
            ReportField("cert_not_after", "cert_subject", self.subject),
        )
