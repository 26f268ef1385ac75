"""What a grpc:// check's result carries: the service asked about and the
health status (or gRPC error code) the server answered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from e2echeck.kinds.base import ReportField


@dataclass(frozen=True, slots=True)
class GrpcDetails:
    """One grpc.health.v1.Health/Check call and its answer."""

    kind: ClassVar[str] = "grpc"

    url: str
    service: str = ""
    status: str | None = None  # SERVING, NOT_SERVING...; None when the call failed
    code: str | None = None  # the gRPC status code of a failed call (UNAVAILABLE...)

    @property
    def target(self) -> str:
        return self.url

    @property
    def status_cell(self) -> str:
        cells = {"SERVING": "OK", "NOT_SERVING": "NOT", "SERVICE_UNKNOWN": "UNK"}
        return cells.get(self.status or "", "-") if self.status else "-"

    @property
    def tried(self) -> str:
        return f"grpc.health.v1.Health/Check {self.service or '(server)'} @ {self.url}"

    @property
    def step(self) -> str | None:
        return None

    @property
    def excerpt(self) -> str:
        return ""

    def as_dict(self) -> dict[str, Any]:
        facts: dict[str, Any] = {"url": self.url, "service": self.service, "status": self.status}
        if self.code is not None:
            facts["code"] = self.code
        return facts

    def report_fields(self) -> tuple[ReportField, ...]:
        return (
            ReportField("failures", "url", self.url),
            ReportField("url", "service", self.service),
            ReportField("service", "grpc_status", self.status),
        )

    def properties(self) -> tuple[ReportField, ...]:
        return (
            ReportField("dedup_key", "url", self.url),
            ReportField("url", "service", self.service),
            ReportField("service", "grpc_status", self.status or ""),
        )
