"""The dns:// kind's part of checks.yaml: the question asked (`dns: {name, type,
protocol}`) and what the answer must be (`expect.rcode`, `expect.answers`).

The URL names the resolver to ask (dns://1.1.1.1, dns://ns1.example.com:5353);
config/kinds.py says which fields belong to which kind.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator

from e2echeck.config._base import ConfigModel
from e2echeck.config.fields import Texts
from e2echeck.config.json_assertions import check_regex
from e2echeck.config.types import AlsoAsText, case_insensitive_pattern

DnsType = Literal["A", "AAAA", "CNAME", "MX", "TXT", "NS", "SOA", "CAA", "SRV"]
Rcode = Literal[
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
    "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
]  # fmt: skip


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) and value.isascii() else value


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _any_case(words: Any) -> AlsoAsText:
    return AlsoAsText(pattern=case_insensitive_pattern(tuple(words.__args__)))


UdpOrTcp = Literal["udp", "tcp"]
DnsTypeName = Annotated[DnsType, BeforeValidator(_upper), _any_case(DnsType)]
RcodeName = Annotated[Rcode, BeforeValidator(_upper), _any_case(Rcode)]
DnsProtocol = Annotated[UdpOrTcp, BeforeValidator(_lower), _any_case(UdpOrTcp)]


class DnsQuery(ConfigModel):
    """The question a dns:// check asks its resolver."""

    name: str = Field(min_length=1, max_length=253, description="The name to look up.")
    type: DnsTypeName = Field(
        default="A", description="A, AAAA, CNAME, MX, TXT, NS, SOA, CAA or SRV. Default A."
    )
    protocol: DnsProtocol = Field(
        default="udp",
        description="udp (default; a truncated answer is asked again over TCP) or tcp.",
    )


class DnsFields(ConfigModel):
    """The dns:// kind's own field of a check."""

    dns: DnsQuery | None = Field(
        default=None, description="dns:// only: the question, {name, type, protocol}."
    )


class AnswersExpect(ConfigModel):
    """What the records of the answer must be (each as text: '203.0.113.10',
    '10 mail.example.com', a TXT record's text without quotes)."""

    contains: Texts = Field(
        default_factory=list, description="A record, or records, that must each be in the answer."
    )
    equals: Texts | None = Field(
        default=None, description="The answer's records, exactly (in any order)."
    )
    matches: str | None = Field(
        default=None, description="A regular expression that some record must match."
    )

    @field_validator("matches")
    @classmethod
    def _valid_regex(cls, value: str | None) -> str | None:
        return None if value is None else check_regex(value)
