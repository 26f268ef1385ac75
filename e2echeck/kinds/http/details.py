"""What an HTTP check's result carries beyond the neutral fields, and how
reports show it (the renderers read it through `ResultDetails` only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from e2echeck.kinds.base import ReportField


@dataclass(frozen=True, slots=True)
class HttpDetails:
    """The request that decided the outcome and what it answered."""

    kind: ClassVar[str] = "http"

    url: str
    method: str = "GET"
    status_code: int | None = None
    failed_step: str | None = None
    body_excerpt: str = ""  # at most 2 KiB, of the response that failed (secrets masked)

    @property
    def target(self) -> str:
        return self.url

    @property
    def status_cell(self) -> str:
        return str(self.status_code) if self.status_code is not None else "-"

    @property
    def tried(self) -> str:
        return f"{self.method} {self.url}" if self.url else ""

    @property
    def step(self) -> str | None:
        return self.failed_step

    @property
    def excerpt(self) -> str:
        return self.body_excerpt

    def as_dict(self) -> dict[str, Any]:
        facts: dict[str, Any] = {
            "url": self.url,
            "method": self.method,
            "status_code": self.status_code,
        }
        if self.failed_step:
            facts["step"] = self.failed_step
        if self.body_excerpt:
            facts["body_excerpt"] = self.body_excerpt
        return facts

    def report_fields(self) -> tuple[ReportField, ...]:
        return (
            ReportField("outcome", "status_code", self.status_code),
            ReportField("failures", "failed_step", self.failed_step),
            ReportField("tags", "method", self.method),
            ReportField("method", "url", self.url),
        )

    def properties(self) -> tuple[ReportField, ...]:
        status = "" if self.status_code is None else str(self.status_code)
        return (
            ReportField("outcome", "status_code", status),
            ReportField("dedup_key", "url", self.url),
        )
