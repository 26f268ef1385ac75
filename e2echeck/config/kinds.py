"""The check kinds a checks.yaml may use: the one place that lists them.

A check's kind follows from its URL's scheme (a scenario: its first step's).
The config reads the schemes listed here to reject a URL that no kind checks;
the engine imports a kind's package, by the module path listed here, only when
a check of the run uses it (see e2echeck.kinds.registry), so neither loading a
file nor running other kinds loads its libraries (httpx2 for HTTP).

Adding a kind is one new folder under e2echeck/kinds/ and one line in KINDS.
This module imports nothing, so every layer may read it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KindEntry:
    """A kind's name, its URL schemes and the module whose `KIND` implements it."""

    name: str
    schemes: tuple[str, ...]
    module: str
    # The check fields and `expect` fields of this kind (beside the neutral
    # ones): `validate` rejects the others, each at its position.
    fields: frozenset[str] = frozenset()
    expect: frozenset[str] = frozenset()
    # Distributions the kind imports beyond the core's: the Lambda zip bundles
    # them only when its file has a check of this kind.
    requirements: tuple[str, ...] = ()
    # The e2echeck extra that installs them, when they are not in the core.
    extra: str | None = None
    module_needed: str | None = None  # the module whose absence means the extra is missing


KINDS: tuple[KindEntry, ...] = (
    # one line per kind: its name, its URL schemes, its package under e2echeck/kinds/
    KindEntry(
        "http",
        ("http", "https"),
        "e2echeck.kinds.http",
        frozenset({"url", "method", "headers", "params", "body", "json", "form", "expect"}),
        frozenset(
            {
                "status",
                "body_contains",
                "body_not_contains",
                "body_matches",
                "json",
                "headers",
                "max_response_time",
                "tls_cert_min_days",
            }
        ),
    ),
    KindEntry(
        "tcp",
        ("tcp",),
        "e2echeck.kinds.tcp",
        frozenset({"url", "send", "expect"}),
        frozenset({"banner", "max_response_time"}),
    ),
    KindEntry(
        "tls",
        ("tls", "starttls"),
        "e2echeck.kinds.tls",
        frozenset({"url", "starttls", "expect"}),
        frozenset({"tls_cert_min_days", "tls_min_version", "max_response_time"}),
    ),
    KindEntry(
        "dns",
        ("dns",),
        "e2echeck.kinds.dns",
        frozenset({"url", "dns", "expect"}),
        frozenset({"rcode", "answers", "max_response_time"}),
        ("dnspython",),
    ),
    KindEntry(
        "grpc",
        ("grpc", "grpcs"),
        "e2echeck.kinds.grpc",
        frozenset({"url", "grpc", "expect"}),
        frozenset({"status", "max_response_time"}),
        ("grpcio",),
        extra="grpc",
        module_needed="grpc",
    ),
)

KIND_OF_SCHEME: dict[str, KindEntry] = {
    scheme: entry for entry in KINDS for scheme in entry.schemes
}
SCHEMES: tuple[str, ...] = tuple(KIND_OF_SCHEME)


def kinds_used(urls: list[str]) -> set[str]:
    """The names of the kinds that check these URLs (one whose scheme is not
    known yet, such as ${VAR}, counts as none)."""
    return {KIND_OF_SCHEME[s].name for s in map(scheme_of, urls) if s in KIND_OF_SCHEME}


def scheme_of(url: str) -> str:
    """The URL's scheme, lower-cased ('' when it has none)."""
    scheme, colon, _ = url.partition(":")
    return scheme.lower() if colon else ""


def describe_schemes() -> str:
    """The known schemes for a message: 'http:// or https://'."""
    shown = [f"{scheme}://" for scheme in SCHEMES]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def entry_for_url(url: str) -> KindEntry:
    """The registry entry of the kind that checks `url`; ValueError naming
    the known schemes when none does (the config rejects such URLs first)."""
    found = KIND_OF_SCHEME.get(scheme_of(url))
    if found is None:
        raise ValueError(f"no check kind for {url!r}: expected {describe_schemes()}")
    return found
