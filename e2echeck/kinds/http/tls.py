"""The validity of a server's TLS certificate, read from the live connection.

The certificate is read in its binary (DER) form, which the ssl module gives
even when verification is off (`verify_tls: false`), and only its validity
dates are decoded: a few lines of DER instead of a dependency.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


class CertificateFormatError(ValueError):
    pass


def peer_certificate_not_after(ssl_object: Any) -> datetime | None:
    """When the peer certificate of `ssl_object` stops being valid (None if no TLS)."""
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return None
    return der_not_after(der)


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of the value, end of the value) of the DER element at `pos`."""
    if pos + 2 > len(data):
        raise CertificateFormatError("truncated certificate")
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise CertificateFormatError("bad length in certificate")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise CertificateFormatError("truncated certificate")
    return tag, pos, pos + length


_SEQUENCE = 0x30
_UTC_TIME = 0x17
_GENERALIZED_TIME = 0x18


def der_not_after(der: bytes) -> datetime:
    """The notAfter date of an X.509 certificate in DER form (RFC 5280, 4.1)."""
    tag, start, _ = _tlv(der, 0)  # Certificate
    if tag != _SEQUENCE:
        raise CertificateFormatError("not a certificate")
    tag, pos, _ = _tlv(der, start)  # TBSCertificate
    if tag != _SEQUENCE:
        raise CertificateFormatError("not a certificate")
    tag, _, end = _tlv(der, pos)
    if tag == 0xA0:  # [0] version, optional
        pos = end
    for _field in ("serialNumber", "signature", "issuer"):
        _, _, pos = _tlv(der, pos)
    tag, validity_start, _ = _tlv(der, pos)
    if tag != _SEQUENCE:
        raise CertificateFormatError("no validity in certificate")
    _, _, after_not_before = _tlv(der, validity_start)
    tag, start, end = _tlv(der, after_not_before)
    return _parse_time(tag, der[start:end].decode("ascii"))


def _parse_time(tag: int, text: str) -> datetime:
    text = text.rstrip("Z")
    if tag == _UTC_TIME:  # YYMMDDHHMM[SS]
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    elif tag != _GENERALIZED_TIME:
        raise CertificateFormatError("bad time in certificate")
    fmt = "%Y%m%d%H%M%S" if len(text) >= 14 else "%Y%m%d%H%M"
    return datetime.strptime(text[:14], fmt).replace(tzinfo=UTC)
