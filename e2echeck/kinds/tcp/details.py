"""What a tcp:// check's result carries: the address, the connect time and
what the server sent (reports read it through `ResultDetails` only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from e2echeck.kinds.base import ReportField


@dataclass(frozen=True, slots=True)
class TcpDetails:
    """A TCP connection and the start of what the server said."""

    kind: ClassVar[str] = "tcp"

    url: str
    connected: bool = False
    connect_ms: float | None = None
    banner: str = ""  # the start of what the server sent, control characters escaped

    @property
    def target(self) -> str:
        return self.url

    @property
    def status_cell(self) -> str:
        return "TCP" if self.connected else "-"

    @property
    def tried(self) -> str:
        return f"connect {self.url}"

    @property
    def step(self) -> str | None:
        return None

    @property
    def excerpt(self) -> str:
        return self.banner

    def as_dict(self) -> dict[str, Any]:
        facts: dict[str, Any] = {"url": self.url, "connected": self.connected}
        if self.connect_ms is not None:
            facts["connect_ms"] = self.connect_ms
        if self.banner:
            facts["banner"] = self.banner
        return facts

    def report_fields(self) -> tuple[ReportField, ...]:
        return (
            ReportField("failures", "url", self.url),
            ReportField("url", "connect_ms", self.connect_ms),
            ReportField("connect_ms", "banner", self.banner or None),
        )

    def properties(self) -> tuple[ReportField, ...]:
        connect = "" if self.connect_ms is None else f"{self.connect_ms:g}"
        return (
            ReportField("dedup_key", "url", self.url),
            ReportField("url", "connect_ms", connect),
        )
