"""Secrets born at run time: what the engine adds to a check's `secrets`.

- a secret capture's value: one marked `secret: true`, with a sensitive name, or
  read from a sensitive place (an X-Token header, "$.access_token");
- a value a template fills into a sensitive position of a request;
- the values in sensitive positions of a response (Set-Cookie and other
  sensitive headers, sensitive JSON keys), for scenario steps and failures only:
  a passing single request pays nothing.

Duck-typed on the engine's request and response types, so that this module
imports neither the engine nor httpx2.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from e2echeck.redaction.names import NameRule
from e2echeck.redaction.scrub import add_secret, collect_headers, collect_sensitive, scrub_excerpt


def secret_capture(name: str, spec: Any, rule: NameRule) -> bool:
    """Whether capture `name` (a JSONPath string or a capture model) holds a secret."""
    if isinstance(spec, str):
        return rule.sensitive(name) or rule.sensitive(spec)
    where = getattr(spec, "header", None) or getattr(spec, "regex", None)
    where = where or getattr(spec, "json_path", None) or ""
    return bool(getattr(spec, "secret", False)) or rule.sensitive(name) or rule.sensitive(where)


def _templated(value: Any) -> bool:
    if isinstance(value, str):
        return "{{" in value
    if isinstance(value, dict):
        return any(_templated(k) or _templated(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_templated(item) for item in value)
    return False


def sensitive_templates(request: Any, rule: NameRule) -> bool:
    """Whether a template of `request` (a check or step) fills a sensitive position."""
    named = [*request.headers.items(), *request.params.items(), *(request.form or {}).items()]
    if any(rule.sensitive(name) and _templated(value) for name, value in named):
        return True
    url = request.url or ""
    if "?" in url and _templated(url) and rule.sensitive(url.partition("?")[2]):
        return True
    return request.json_body is not None and _templated(request.json_body)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def filled_secrets(spec: Any, rule: NameRule, found: set[str]) -> None:
    """Add the values a request (a RequestSpec) carries in sensitive positions."""
    collect_headers(spec.headers, rule, found)
    pairs = [*(spec.params or {}).items(), *(spec.form or {}).items()]
    if "?" in spec.url:
        pairs.extend(parse_qsl(urlsplit(spec.url).query))
    for name, value in pairs:
        if rule.sensitive(name):
            for item in value if isinstance(value, list) else [value]:
                add_secret(found, _text(item))
    if spec.json is not None:
        _collect_json(spec.json, rule, found)


def _collect_json(document: Any, rule: NameRule, found: set[str]) -> None:
    # A body deeper than the stack: its excerpt is still masked as text.
    with contextlib.suppress(RecursionError):
        collect_sensitive(document, rule, found)


def _json_document(exchange: Any) -> Any:
    """The parsed body when it is a whole JSON object or array, else None."""
    if exchange.truncated or exchange.body.lstrip()[:1] not in (b"{", b"["):
        return None
    try:
        return exchange.json()
    except ValueError:
        return None


def response_secrets(exchange: Any, rule: NameRule, found: set[str]) -> Any:
    """Add the values of a response's (an Exchange's) sensitive positions to
    `found`; the parsed JSON body, if any."""
    headers: Mapping[str, str] = exchange.headers
    collect_headers(headers, rule, found)
    for hop in getattr(exchange, "hop_headers", ()):  # a cookie set by a redirect hop
        collect_headers(hop, rule, found)
    document = _json_document(exchange)
    if document is not None:
        _collect_json(document, rule, found)
    return document


def failure_excerpt(text: str, rule: NameRule, document: Any, limit: int) -> str:
    """The failing body's excerpt with the values of its sensitive keys masked."""
    try:
        return scrub_excerpt(text, rule, document, limit)
    except RecursionError:
        return scrub_excerpt(text, rule, "", limit)
