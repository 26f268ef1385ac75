"""The fields of the socket kinds (tcp://, tls:// and starttls://) in checks.yaml:
what a TCP check sends, and which protocol a STARTTLS check speaks.

Their `expect` fields (banner, tls_min_version) are in `Expect` (http.py) with
the others; config/kinds.py says which fields belong to which kind.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema

from e2echeck.config._base import ConfigModel
from e2echeck.config.types import ENV_TEXT_SCHEMA, AlsoAsText, case_insensitive_pattern

StartTls = Literal["smtp", "imap", "pop3"]
STARTTLS_PORTS: dict[int, StartTls] = {25: "smtp", 587: "smtp", 2525: "smtp"}
STARTTLS_PORTS.update({143: "imap", 110: "pop3"})
TLS_VERSIONS = ("1.0", "1.1", "1.2", "1.3")
TlsVersion = Literal["1.0", "1.1", "1.2", "1.3"]


def _version_text(value: Any) -> Any:
    # `tls_min_version: 1.2` is a YAML float; the text "1.2" is meant.
    return f"{value:.1f}" if isinstance(value, float) else value


TlsVersionName = Annotated[
    TlsVersion,
    BeforeValidator(_version_text),
    WithJsonSchema(
        {"anyOf": [{"enum": list(TLS_VERSIONS)}, {"enum": [1.0, 1.1, 1.2, 1.3]}, ENV_TEXT_SCHEMA]}
    ),
]


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


StartTlsName = Annotated[
    StartTls,
    BeforeValidator(_lower),
    AlsoAsText(pattern=case_insensitive_pattern(("smtp", "imap", "pop3"))),
]


class SocketFields(ConfigModel):
    """What a tcp:// check sends, and the protocol of a starttls:// check."""

    send: str | None = Field(
        default=None,
        description=r"tcp:// only: text sent once connected (\r \n \t \\ and \xHH escapes); "
        "expect.banner then applies to the answer.",
    )
    starttls: StartTlsName | None = Field(
        default=None,
        description="starttls:// only: smtp, imap or pop3. Default: by port "
        "(25, 587, 2525 smtp; 143 imap; 110 pop3).",
    )


def decode_escapes(text: str) -> bytes:
    r"""`send`'s text as bytes: \r, \n, \t, \\ and \xHH are decoded, the rest
    is UTF-8 (YAML's double quotes decode them already; plain text does not)."""
    out = bytearray()
    index = 0
    simple = {"r": b"\r", "n": b"\n", "t": b"\t", "\\": b"\\", "0": b"\0"}
    while index < len(text):
        char = text[index]
        follow = text[index + 1 : index + 2]
        if char == "\\" and follow in simple:
            out += simple[follow]
            index += 2
        elif char == "\\" and follow == "x" and _is_hex(text[index + 2 : index + 4]):
            out.append(int(text[index + 2 : index + 4], 16))
            index += 4
        else:
            out += char.encode()
            index += 1
    return bytes(out)


def _is_hex(text: str) -> bool:
    return len(text) == 2 and all(c in "0123456789abcdefABCDEF" for c in text)
