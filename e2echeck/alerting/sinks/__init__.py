"""Where transitions go: one folder per kind of sink, one line each in `registry.py`."""

from e2echeck.alerting.sinks.base import Connection, Pending, Rejected, Retryable, Sink
from e2echeck.alerting.sinks.registry import SINKS, configured_sinks

__all__ = [
    "SINKS",
    "Connection",
    "Pending",
    "Rejected",
    "Retryable",
    "Sink",
    "configured_sinks",
]
