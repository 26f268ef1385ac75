"""The webhook sink: each transition POSTed to a URL of the user's.

`format: json` posts the transition itself (`Transition.to_json`); `format:
slack` posts a Slack incoming-webhook message, `{"text": ...}`. With a `secret`,
the header `X-E2echeck-Signature: sha256=<hex HMAC-SHA256 of the body>` lets the
receiver check that the post is ours and unchanged. The URL and the secret are
secrets of the config: masked in every output, never stored in the state.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from e2echeck import __version__
from e2echeck.alerting.sinks.base import Rejected, Retryable
from e2echeck.alerting.transitions import Transition
from e2echeck.config.webhooks import WebhookConfig
from e2echeck.redaction import MASK, Redactor

if TYPE_CHECKING:
    import httpx2

    from e2echeck.config.models import Config

SIGNATURE_HEADER = "X-E2echeck-Signature"


class WebhookSink:
    """One named entry of `webhooks`."""

    def __init__(self, name: str, hook: WebhookConfig, redactor: Redactor) -> None:
        self.name = name
        self.hook = hook
        self.redactor = redactor

    @classmethod
    def from_config(cls, config: Config, redactor: Redactor) -> list[WebhookSink]:
        return [cls(name, hook, redactor) for name, hook in config.webhooks.items()]

    def document(self, transition: Transition) -> dict[str, Any]:
        """What is posted, as JSON."""
        if self.hook.format == "slack":
            return {"text": slack_text(transition)}
        data = transition.to_json()
        data["dedup_key"] = self.redactor.text(transition.dedup_key)
        return data

    def body(self, transition: Transition) -> bytes:
        return json.dumps(self.document(transition), ensure_ascii=False).encode()

    def refusal(self, transition: Transition) -> str | None:
        return None

    def shown(self, transition: Transition) -> dict[str, Any]:
        return {"webhook": self.name, "url": MASK, **self.document(transition)}

    def warnings(self) -> list[str]:
        if urlsplit(self.hook.url).scheme != "http" or _loopback(self.hook.url):
            return []
        return [f"webhook {self.name} is plain http: its URL and posts travel unencrypted"]

    def connect(self, workers: int) -> WebhookConnection:
        import httpx2

        from e2echeck._tls import verifying_context

        limits = httpx2.Limits(max_connections=workers, max_keepalive_connections=workers)
        return WebhookConnection(
            self, httpx2.Client(limits=limits, follow_redirects=False, verify=verifying_context())
        )


class WebhookConnection:
    def __init__(self, sink: WebhookSink, client: httpx2.Client) -> None:
        self.sink = sink
        self.client = client

    def send(self, transition: Transition, timeout: float) -> None:
        import httpx2

        sink = self.sink
        body = sink.body(transition)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"e2echeck/{__version__}",
        }
        if sink.hook.secret:
            headers[SIGNATURE_HEADER] = "sha256=" + sign(sink.hook.secret, body)
        try:
            response = self.client.post(
                sink.hook.url, content=body, headers=headers, timeout=timeout
            )
        except httpx2.HTTPError as exc:
            detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise Retryable(f"cannot reach webhook {sink.name} ({detail})") from None
        status = response.status_code
        if response.is_success:
            return
        if status == 429 or status >= 500:
            raise Retryable(f"webhook {sink.name}: HTTP {status}", _retry_after(response))
        raise Rejected(f"webhook {sink.name} rejected the event (HTTP {status})")

    def close(self) -> None:
        self.client.close()


def sign(secret: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of `body` keyed by `secret`, as the header carries it."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def slack_text(transition: Transition) -> str:
    """One Slack message: the summary, the severity, and a link to what was checked."""
    summary = _escape(transition.summary)
    if transition.action == "resolve":
        return f":white_check_mark: Resolved: {summary}"
    lines = [f":rotating_light: [{transition.severity or 'alert'}] {summary}"]
    lines.extend(
        f"<{_escape(link.get('href', ''))}|{_escape(link.get('text', ''))}>"
        for link in transition.links
        if link.get("href")
    )
    return "\n".join(lines)


def _escape(text: str) -> str:
    """Slack's three control characters in message text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _retry_after(response: httpx2.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _loopback(url: str) -> bool:
    import ipaddress

    host = urlsplit(url).hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
