"""A request that cannot be sent as written, named by its position, never its value.

A header value with a line break, a NUL, a character outside ASCII or
whitespace at either end, or a URL with any control character, cannot go on the
wire (these are exactly what the HTTP library refuses), and the library's own
error quotes the value: a token read from a file with its trailing newline ended up, masked to
`***` inside `Illegal header value b'***'`, in every report and page summary.
Checked before sending instead, the failure says where the value goes (which
header, which query parameter) and where it came from when that is known
(`${TOKEN}`, `${ssm:/x/token}`, `{{ token }}`), and quotes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from e2echeck.config.urls import TEMPLATE_REFERENCE
from e2echeck.kinds.http.request import RequestSpec

# What the HTTP library refuses: in a URL every ASCII control character, tab
# included; in a header value a NUL, a line break (CR, LF, VT, FF), a character
# outside ASCII, or whitespace at either end. Other control characters in a
# header value are sent as before.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HEADER = re.compile(r"[\x00\n\x0b\x0c\r]|[^\x00-\x7f]|\A[ \t]|[ \t]\Z")


def unsendable(
    spec: RequestSpec, origins: Mapping[str, str], templates: Mapping[str, str] | None = None
) -> tuple[str, bool] | None:
    """Why `spec` cannot be sent, and whether the URL's query is where; None when
    it can. `origins`: {a substituted value: where it came from}; `templates`:
    the request's unfilled header values and URL (key "url"), for the captures
    they name."""
    templates = templates or {}
    for name, value in spec.headers.items():
        found = _HEADER.search(value)
        if found is not None:
            origin = _origin(value, found.group(), origins, templates.get(name))
            return _reason(f"header {name}", origin, found.group()), False
    anywhere = _CONTROL.search(spec.url)
    if anywhere is None:
        return None
    rest = spec.url.partition("?")[2]
    query = rest.partition("#")[0]
    for pair in query.split("&") if query else []:
        key, _, value = pair.partition("=")
        found = _CONTROL.search(value)
        if found is not None and _CONTROL.search(key) is None:
            origin = _origin(value, found.group(), origins, templates.get("url"))
            return _reason(f"query parameter {key}", origin, found.group()), True
    origin = _origin(spec.url, anywhere.group(), origins, templates.get("url"))
    return _reason("the URL", origin, anywhere.group(), whole=True), "?" in spec.url


def _reason(where: str, origin: str | None, char: str, whole: bool = False) -> str:
    what = where if whole else f"the value of {where}"
    source = f" (from {origin})" if origin else ""
    return f"{what}{source} contains {_describe(char)}; the request was not sent"


def _describe(char: str) -> str:
    if char in " \t":
        return "whitespace at its start or end"
    if char in "\r\n":
        return "a line break"
    if char == "\x00":
        return "a NUL character"
    if not char.isascii():
        return "a character outside ASCII"
    return f"a control character (U+{ord(char):04X})"


def _origin(value: str, char: str, origins: Mapping[str, str], template: str | None) -> str | None:
    """The `${...}` whose value brought `char` into `value`, else the `{{ capture }}`
    of the unfilled template; None when neither is known."""
    known = sorted((v for v in origins if char in v and v in value), key=len, reverse=True)
    if known:
        return origins[known[0]]
    if template is not None:
        names = [m.group(1) for m in TEMPLATE_REFERENCE.finditer(template)]
        if names:
            return ", ".join(f"{{{{ {n} }}}}" for n in dict.fromkeys(names))
    return None
