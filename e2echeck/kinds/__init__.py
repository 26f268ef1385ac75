"""Check kinds: one folder per kind (HTTP in `http/`), listed once in `registry`.

Only the Protocol and the registry are re-exported: a kind's own package is
imported when a check uses it (see `registry.kind_for_url`).
"""

from e2echeck.kinds.base import (
    BODY_LIMIT,
    Attempt,
    CheckPlan,
    Kind,
    ReportField,
    ResultDetails,
    RunContext,
    Runner,
)
from e2echeck.kinds.registry import KINDS, SCHEMES, KindEntry, kind_for_url, load_kind

__all__ = [
    "BODY_LIMIT",
    "KINDS",
    "SCHEMES",
    "Attempt",
    "CheckPlan",
    "Kind",
    "KindEntry",
    "ReportField",
    "ResultDetails",
    "RunContext",
    "Runner",
    "kind_for_url",
    "load_kind",
]
