"""The tcp:// kind: a connection timed at the socket, an optional text sent,
and a regex on what the server says (`kind.py`, `details.py`). `KIND` is what
the registry loads."""

from e2echeck.kinds.tcp.details import TcpDetails
from e2echeck.kinds.tcp.kind import KIND, TcpKind, TcpPlan, TcpRunner

__all__ = ["KIND", "TcpDetails", "TcpKind", "TcpPlan", "TcpRunner"]
