"""The Redactor: every output, log line, state file and event passes through it.

Built from plain values (secret strings and a NameRule): the layers above build
it from a config (`e2echeck.config.redact.config_redactor`), and the runner adds
the secrets a run found: this package imports nothing above it."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote, quote_plus

from e2echeck.redaction.names import MASK, MIN_SECRET_LENGTH, NameRule, name_rule
from e2echeck.redaction.scrub import scrub_pairs


class Redactor:
    """Masks every known secret value as '***' in text and nested data, and the
    value of every sensitive `name=value` / `"name": value` pair (a token in a
    URL's query, a password in a form body or in JSON too cut to parse)."""

    def __init__(self, secrets: Iterable[str] = (), rule: NameRule | None = None) -> None:
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        # Every encoding a secret is printed in, longest first, so a secret that
        # contains another is masked whole.
        forms = {form for secret in self._secrets for form in encodings(secret)}
        self._forms = sorted(forms, key=len, reverse=True)
        self.rule = rule if rule is not None else name_rule()

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(self._secrets)

    def with_secrets(self, more: Iterable[str]) -> Redactor:
        """This redactor plus `more` secrets (those a run found); itself when none."""
        extra = set(more).difference(self._secrets)
        return Redactor([*self._secrets, *extra], self.rule) if extra else self

    def text(self, value: str) -> str:
        for secret in self._forms:
            if secret in value:
                value = value.replace(secret, MASK)
        if self._secrets and _BASIC_HINT in value.lower():
            value = _BASIC.sub(self._basic, value)
        return scrub_pairs(value, self.rule)

    def _basic(self, match: re.Match[str]) -> str:
        """`Basic <base64 of user:secret>`: masked when it decodes to a known secret."""
        try:
            decoded = base64.b64decode(match.group("b64"), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return match.group(0)
        if any(secret.strip() and secret.strip() in decoded for secret in self._secrets):
            return match.group("scheme") + MASK
        return match.group(0)

    def data(self, value: Any) -> Any:
        """A copy of JSON-like `value` with every string value redacted.

        Keys are structure, never rewritten: a secret that happens to equal a
        key ("custom" in "custom_details") must not change what an event is."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(item) for item in value]
        return value


_BASIC_HINT = "basic"
_BASIC = re.compile(r"(?P<scheme>\b[Bb][Aa][Ss][Ii][Cc]\s+)(?P<b64>[A-Za-z0-9+/]{4,}={0,2})")


def encodings(secret: str) -> Iterator[str]:
    """`secret` as it may be printed: as it is; without surrounding whitespace (a
    value read with a trailing newline); percent-encoded in a URL or form (`%20`
    and `+`, either case of hex); JSON-escaped (`\\/` too, and `\\uXXXX`)."""
    yield secret
    stripped = secret.strip()
    for value in {secret, stripped}:
        if len(value) < MIN_SECRET_LENGTH:
            continue
        yield value
        for encoded in (quote(value, safe=""), quote_plus(value, safe="")):
            yield encoded
            yield re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), encoded)
        for escaped in (
            json.dumps(value, ensure_ascii=False)[1:-1],
            json.dumps(value)[1:-1],
        ):
            yield escaped
            yield escaped.replace("/", "\\/")
