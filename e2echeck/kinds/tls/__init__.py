"""The tls:// and starttls:// kinds: a verified handshake (`kind.py`), the
SMTP/IMAP/POP3 dialogue before STARTTLS (`starttls.py`), and what a result
carries (`details.py`). `KIND` is what the registry loads."""

from e2echeck.kinds.tls.details import TlsDetails
from e2echeck.kinds.tls.kind import KIND, TlsKind, TlsPlan, TlsRunner

__all__ = ["KIND", "TlsDetails", "TlsKind", "TlsPlan", "TlsRunner"]
