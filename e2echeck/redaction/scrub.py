"""Scrubbing values by position: JSON by key, `name=value` text by name, and
collecting the values a response holds in sensitive positions."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from e2echeck.redaction.names import MASK, MIN_SECRET_LENGTH, NameRule


def scrub_json(value: Any, rule: NameRule) -> Any:
    """A copy of JSON-like `value`, the value of every sensitive key masked whole
    (an object or list under such a key included), recursively."""
    if isinstance(value, dict):
        return {
            key: MASK if rule.sensitive(str(key)) else scrub_json(item, rule)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [scrub_json(item, rule) for item in value]
    return value


# name=value (query strings, form bodies, cookies), the value up to a delimiter.
_PAIR = re.compile(r"(?P<name>[\w.\-\[\]]+)(?P<sep>=)(?P<value>[^&#\s;,\"'<>]+)")
# "name": value in JSON text that did not parse (a cut excerpt): a string
# (possibly cut short) or a scalar. Names are checked against the rule in code:
# a pattern holding the words backtracks at every position of the text.
_JSON_PAIR = re.compile(
    r"\"(?P<name>[^\"\\]*)\"(?P<sep>\s*:\s*)(?P<value>\"(?:[^\"\\]|\\.)*\"?|[^\s,}\]\[{\"]+)"
)


# The password of a URL's user info: https://user:password@host/.
_USERINFO = re.compile(r"(?P<name>://[^/\s:@]*:)(?P<value>[^@\s/]+)(?=@)")


def scrub_pairs(text: str, rule: NameRule) -> str:
    """`token=abc` becomes `token=***` and `"token": "abc"` becomes `"token": "***"`
    for every sensitive name: query strings inside URLs, form bodies, cookies and
    JSON text too cut or broken to parse. A URL's password is masked too."""
    if "@" in text and "://" in text:
        text = _USERINFO.sub(lambda m: m.group("name") + MASK, text)
    if ("=" not in text and '"' not in text) or not rule.sensitive(text):
        return text

    def mask(match: re.Match[str]) -> str:
        if not rule.sensitive(match.group("name")):
            return match.group(0)
        value = match.group("value")
        masked = f'"{MASK}"' if value.startswith('"') else MASK
        return match.group(0)[: match.start("value") - match.start(0)] + masked

    if "=" in text:
        text = _PAIR.sub(mask, text)
    if '"' in text:
        text = _JSON_PAIR.sub(mask, text)
    return text


def scrub_excerpt(text: str, rule: NameRule, document: Any = None, limit: int = 0) -> str:
    """A body excerpt fit to show: a JSON body re-serialised with its sensitive keys
    masked (from `document` when the whole body was parsed, cut to `limit`
    characters), any other text with its sensitive `name=value` pairs masked."""
    if document is None:
        stripped = text.lstrip()
        if stripped[:1] in ("{", "["):
            try:
                document = json.loads(text)
            except ValueError:
                document = None
    if isinstance(document, dict | list):
        scrubbed = scrub_json(document, rule)
        if scrubbed != document:  # else the body is shown as it came
            shown = json.dumps(scrubbed, ensure_ascii=False)
            return shown[:limit] if limit else shown
    return scrub_pairs(text, rule)


def collect_sensitive(value: Any, rule: NameRule, found: set[str], *, under: bool = False) -> None:
    """Add to `found` every string under a sensitive key of JSON-like `value`.

    Numbers are left to the by-key masking of the excerpt: masking "3600" or
    "1234" wherever it appears would garble latencies and counts."""
    if isinstance(value, dict):
        for key, item in value.items():
            collect_sensitive(item, rule, found, under=under or rule.sensitive(str(key)))
    elif isinstance(value, list):
        for item in value:
            collect_sensitive(item, rule, found, under=under)
    elif under and isinstance(value, str):
        add_secret(found, value)


# Values that would garble every report if masked wherever they appear.
_NOT_SECRETS = frozenset({"true", "false", "null", "none"})
_COOKIE_ATTRIBUTES = frozenset(
    {"path", "domain", "expires", "max-age", "samesite", "secure", "httponly", "priority"}
)


def add_secret(found: set[str], value: str) -> None:
    """A secret value, and its parts: the token of "Bearer abc", each cookie's value
    (not a Set-Cookie's attributes: its Domain or Path are no secret)."""
    if len(value) < MIN_SECRET_LENGTH or value.lower() in _NOT_SECRETS:
        return
    found.add(value)
    if ";" not in value:  # "Bearer abc": the token alone must not leak either
        found.update(part for part in value.split() if len(part) >= 8)
    if "=" in value:
        for pair in value.split(";"):
            name, eq, rest = pair.strip().partition("=")
            if eq and name.lower() not in _COOKIE_ATTRIBUTES and len(rest) >= MIN_SECRET_LENGTH:
                found.add(rest)


# Headers whose names contain a sensitive word but whose values are protocol
# words, not secrets: treating `Access-Control-Allow-Credentials: true` as a
# secret would mask every "true" of the run.
_PROTOCOL_HEADERS = ("access-control-", "www-authenticate", "proxy-authenticate")


def collect_headers(headers: Mapping[str, str], rule: NameRule, found: set[str]) -> None:
    """The values of sensitive headers (Set-Cookie, X-Token, ...)."""
    items = headers.multi_items() if hasattr(headers, "multi_items") else headers.items()
    for name, value in items:
        if value and rule.sensitive(name) and not name.lower().startswith(_PROTOCOL_HEADERS):
            add_secret(found, value)
