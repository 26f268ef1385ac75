"""The validity of a server's TLS certificate, read from the live connection.

The certificate is read in its binary (DER) form, which the ssl module gives
even when verification is off (`verify_tls: false`), and decoded by the same
small reader the TLS kinds use (`e2echeck.kinds.certificates`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from e2echeck.kinds.certificates import CertificateFormatError, der_not_after

__all__ = ["CertificateFormatError", "der_not_after", "peer_certificate_not_after"]


def peer_certificate_not_after(ssl_object: Any) -> datetime | None:
    """When the peer certificate of `ssl_object` stops being valid (None if no TLS)."""
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return None
    return der_not_after(der)
