"""Numbers a run leaves behind: CloudWatch EMF documents (Lambda) and a
Prometheus textfile (the CLI's --metrics)."""

from e2echeck.metrics.emf import NAMESPACE, MetricsTarget, emf_documents
from e2echeck.metrics.prometheus import MetricsUnavailable, require_prometheus, write_prometheus

__all__ = [
    "NAMESPACE",
    "MetricsTarget",
    "MetricsUnavailable",
    "emf_documents",
    "require_prometheus",
    "write_prometheus",
]
