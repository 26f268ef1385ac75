"""The Redactor: every output, log line, state file and event passes through it.

Built from plain values (secret strings and a NameRule): the layers above build
it from a config (`e2echeck.config.redact.config_redactor`), and the runner adds
the secrets a run found: this package imports nothing above it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from e2echeck.redaction.names import MASK, NameRule, name_rule
from e2echeck.redaction.scrub import scrub_pairs


class Redactor:
    """Masks every known secret value as '***' in text and nested data, and the
    value of every sensitive `name=value` / `"name": value` pair (a token in a
    URL's query, a password in a form body or in JSON too cut to parse)."""

    def __init__(self, secrets: Iterable[str] = (), rule: NameRule | None = None) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self.rule = rule if rule is not None else name_rule()

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(self._secrets)

    def with_secrets(self, more: Iterable[str]) -> Redactor:
        """This redactor plus `more` secrets (those a run found); itself when none."""
        extra = set(more).difference(self._secrets)
        return Redactor([*self._secrets, *extra], self.rule) if extra else self

    def text(self, value: str) -> str:
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return scrub_pairs(value, self.rule)

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
