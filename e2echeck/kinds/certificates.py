"""What a TLS certificate says, read from its binary (DER) form: its subject,
issuer, names (SANs) and validity dates.

The ssl module gives a peer's certificate in DER even when verification is off
(`verify_tls: false`), so one small decoder serves every case, without a
dependency: only the fields a person on call needs are read (RFC 5280, 4.1).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime


class CertificateFormatError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    """The parts of a certificate shown in results and events."""

    subject: str  # "CN=api.example.com, O=Example"
    issuer: str
    sans: tuple[str, ...]  # DNS names and IP addresses
    not_before: datetime
    not_after: datetime


_SEQUENCE = 0x30
_SET = 0x31
_OID = 0x06
_UTC_TIME = 0x17
_GENERALIZED_TIME = 0x18
_EXTENSIONS = 0xA3
_VERSION = 0xA0
_OCTET_STRING = 0x04
_DNS_NAME = 0x82
_IP_ADDRESS = 0x87
_SAN_OID = bytes.fromhex("551d11")  # 2.5.29.17
_ATTRIBUTES = {
    bytes.fromhex("550403"): "CN",
    bytes.fromhex("55040a"): "O",
    bytes.fromhex("55040b"): "OU",
    bytes.fromhex("550406"): "C",
}
_STRING_TAGS = {0x0C: "utf-8", 0x13: "ascii", 0x16: "ascii", 0x14: "latin-1", 0x1E: "utf-16-be"}


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


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    found = []
    while start < end:
        element = _tlv(data, start)
        found.append(element)
        start = element[2]
    return found


def _tbs(der: bytes) -> list[tuple[int, int, int]]:
    """The elements of the TBSCertificate, the optional version first dropped."""
    tag, start, end = _tlv(der, 0)
    if tag != _SEQUENCE:
        raise CertificateFormatError("not a certificate")
    tag, start, end = _tlv(der, start)
    if tag != _SEQUENCE:
        raise CertificateFormatError("not a certificate")
    elements = _children(der, start, end)
    if elements and elements[0][0] == _VERSION:
        elements = elements[1:]
    if len(elements) < 6:
        raise CertificateFormatError("truncated certificate")
    return elements


def der_not_after(der: bytes) -> datetime:
    """The notAfter date of an X.509 certificate in DER form."""
    return _validity(der, _tbs(der))[1]


def describe_certificate(der: bytes) -> CertificateFacts:
    """The subject, issuer, SANs and validity of a certificate in DER form."""
    elements = _tbs(der)
    not_before, not_after = _validity(der, elements)
    extensions = next((e for e in elements[6:] if e[0] == _EXTENSIONS), None)
    return CertificateFacts(
        subject=_name(der, elements[4]),
        issuer=_name(der, elements[2]),
        sans=_sans(der, extensions) if extensions else (),
        not_before=not_before,
        not_after=not_after,
    )


def _validity(der: bytes, elements: list[tuple[int, int, int]]) -> tuple[datetime, datetime]:
    tag, start, end = elements[3]
    if tag != _SEQUENCE:
        raise CertificateFormatError("no validity in certificate")
    times = _children(der, start, end)
    if len(times) != 2:
        raise CertificateFormatError("bad validity in certificate")
    (tag_before, s1, e1), (tag_after, s2, e2) = times
    return (
        _parse_time(tag_before, der[s1:e1].decode("ascii")),
        _parse_time(tag_after, der[s2:e2].decode("ascii")),
    )


def _name(der: bytes, element: tuple[int, int, int]) -> str:
    parts = []
    for _, set_start, set_end in _children(der, element[1], element[2]):
        for _, start, end in _children(der, set_start, set_end):
            pair = _children(der, start, end)
            if len(pair) != 2 or pair[0][0] != _OID:
                continue
            label = _ATTRIBUTES.get(der[pair[0][1] : pair[0][2]])
            encoding = _STRING_TAGS.get(pair[1][0])
            if label and encoding:
                text = der[pair[1][1] : pair[1][2]].decode(encoding, errors="replace")
                parts.append(f"{label}={text}")
    return ", ".join(parts)


def _sans(der: bytes, extensions: tuple[int, int, int]) -> tuple[str, ...]:
    _, start, end = _tlv(der, extensions[1])
    for _, ext_start, ext_end in _children(der, start, end):
        fields = _children(der, ext_start, ext_end)
        if not fields or der[fields[0][1] : fields[0][2]] != _SAN_OID:
            continue
        value = next((f for f in fields[1:] if f[0] == _OCTET_STRING), None)
        if value is None:
            return ()
        _, names_start, names_end = _tlv(der, value[1])
        names = []
        for tag, s, e in _children(der, names_start, names_end):
            if tag == _DNS_NAME:
                names.append(der[s:e].decode("ascii", errors="replace"))
            elif tag == _IP_ADDRESS and e - s in (4, 16):
                names.append(str(ipaddress.ip_address(der[s:e])))
        return tuple(names)
    return ()


def _parse_time(tag: int, text: str) -> datetime:
    text = text.rstrip("Z")
    if tag == _UTC_TIME:  # YYMMDDHHMM[SS]
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    elif tag != _GENERALIZED_TIME:
        raise CertificateFormatError("bad time in certificate")
    fmt = "%Y%m%d%H%M%S" if len(text) >= 14 else "%Y%m%d%H%M"
    return datetime.strptime(text[:14], fmt).replace(tzinfo=UTC)
