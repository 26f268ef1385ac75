"""The dns:// kind: one question to a resolver, its rcode and records against
`expect` (`kind.py`, with dnspython), and what a result carries (`details.py`).
`KIND` is what the registry loads."""

from e2echeck.kinds.dns.details import DnsDetails
from e2echeck.kinds.dns.kind import KIND, DnsKind, DnsPlan, DnsRunner

__all__ = ["KIND", "DnsDetails", "DnsKind", "DnsPlan", "DnsRunner"]
