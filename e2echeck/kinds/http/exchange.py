"""One request and its response, as the assertions see it: no HTTP library types."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from e2echeck.kinds.base import BODY_LIMIT

EXCERPT_LIMIT = 2048  # bytes of a body kept for reports and alerts

_NOT_PARSED = object()


class RequestFailed(Exception):
    """No usable response: the reason says why in plain words."""

    def __init__(
        self, reason: str, *, url: str = "", elapsed: float = 0.0, timed_out: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.url = url
        self.elapsed = elapsed
        self.timed_out = timed_out  # the check's `timeout` ran out


@dataclass(slots=True, eq=False)
class Exchange:
    """A response read up to the body limit."""

    method: str
    url: str
    status_code: int
    headers: Mapping[str, str]  # case-insensitive (httpx2.Headers)
    body: bytes
    truncated: bool  # the body was longer than the limit; only its start was read
    # Seconds at the transport, redirects added up: from the request going to
    # the network (TCP connect when a connection is opened, else its first
    # byte written) to the body's last byte read. Time spent waiting for a
    # connection slot or for the event loop before sending is not included.
    elapsed: float
    charset: str | None = None
    cert_not_after: datetime | None = None
    is_tls: bool = False
    body_limit: int = BODY_LIMIT
    hop_headers: tuple[Mapping[str, str], ...] = ()  # of the redirects followed, in order
    _text: str | None = field(default=None, repr=False)
    _json: Any = field(default=_NOT_PARSED, repr=False)
    _json_error: str | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        if self._text is None:
            try:
                self._text = self.body.decode(self.charset or "utf-8", errors="replace")
            except LookupError:  # an unknown charset
                self._text = self.body.decode("utf-8", errors="replace")
        return self._text

    def json(self) -> Any:
        """The parsed body; ValueError with a plain reason when it is not JSON."""
        if self._json is _NOT_PARSED:
            if self.truncated:
                self._json_error = (
                    f"the body is larger than {format_size(self.body_limit)}, "
                    "so it cannot be read as JSON"
                )
            else:
                try:
                    self._json = json.loads(self.body)
                    self._json_error = None
                except (ValueError, UnicodeDecodeError) as exc:
                    detail = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
                    empty = " (the body is empty)" if not self.body.strip() else ""
                    self._json_error = f"the body is not JSON: {detail}{empty}"
                except RecursionError:  # deeper than the parser's stack allows
                    self._json_error = f"the body is not JSON: {TOO_DEEP}"
            if self._json_error is not None:
                self._json = None
        if self._json_error is not None:
            raise ValueError(self._json_error)
        return self._json

    def excerpt(self, limit: int = EXCERPT_LIMIT) -> str:
        return self.body[:limit].decode(self.charset or "utf-8", errors="replace")


TOO_DEEP = "nested too deeply"


def format_size(size: int) -> str:
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MiB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KiB"
    return f"{size} bytes"
