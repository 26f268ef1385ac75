"""The sensitive-name rule: a header, query parameter, form field, JSON key,
capture or environment variable whose name contains one of these words holds
a secret. Scrubbing by name and position, not by origin, is what error trackers
settled on (Sentry's default data scrubbing works the same way).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

MASK = "***"

# Case-insensitive, matched anywhere in a name: "X-Api-Key", "access_token",
# "Set-Cookie", "Proxy-Authorization", "client_secret" all contain one.
SENSITIVE_WORDS: tuple[str, ...] = (
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "KEY",
    "AUTH",
    "SESSION",
    "COOKIE",
    "CREDENTIAL",
    "SIGNATURE",
    "PRIVATE",
)

# Values shorter than this are not masked wherever they appear: masking "3" or
# "true" everywhere would garble every report without protecting anything.
# (A value in a sensitive position is masked there whatever its length.)
MIN_SECRET_LENGTH = 4

# Characters of a name in `name=value` text (query strings, forms, cookies).
_NAME_CHARS = r"[\w.\-\[\]]*"


class NameRule:
    """Decides whether a name looks sensitive; the patterns are compiled once."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        words = sorted({w.lower() for w in (*SENSITIVE_WORDS, *extra) if w}, key=len, reverse=True)
        self.words: tuple[str, ...] = tuple(words)
        alternation = "|".join(re.escape(word) for word in words)
        self._word = re.compile(alternation, re.IGNORECASE)
        # name=value (query strings, form bodies, cookies), value up to a delimiter.
        self.pair = re.compile(
            rf"(?P<name>{_NAME_CHARS}(?:{alternation}){_NAME_CHARS}=)(?P<value>[^&#\s;,\"'<>]+)",
            re.IGNORECASE,
        )
        # "name": value in JSON text that did not parse (a cut excerpt): a string
        # (possibly cut short) or a scalar.
        self.json_pair = re.compile(
            rf"(?P<name>\"[^\"\\]*(?:{alternation})[^\"\\]*\"\s*:\s*)"
            r"(?P<value>\"(?:[^\"\\]|\\.)*\"?|[^\s,}\]\[{\"]+)",
            re.IGNORECASE,
        )

    def sensitive(self, name: str) -> bool:
        return self._word.search(name) is not None


@lru_cache(maxsize=32)
def _rule(extra: tuple[str, ...]) -> NameRule:
    return NameRule(extra)


def name_rule(extra: Iterable[str] = ()) -> NameRule:
    """The rule with the default words plus `extra` (cached: one per set of names)."""
    return _rule(tuple(sorted({w.lower() for w in extra if w})))
