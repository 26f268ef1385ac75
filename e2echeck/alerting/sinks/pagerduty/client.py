"""The `pagerduty` package's EventsApiV2Client, reduced to one HTTP attempt per call.

Imported only when events are actually delivered (`PagerDutySink.connect`), so neither
`e2echeck --version` nor `--no-alert` loads pagerduty or httpx2.

Why a subclass: `ApiClient.request` retries by itself, with `time.sleep` and no
notion of a deadline. A status missing from its `retry` dict still loops forever
on 429, and a status in it is retried at least once, so no `retry` /
`max_http_attempts` setting gives "one attempt". Its documented hooks do:
`postprocess` runs on every response before the retry logic (raising there ends
the call at once) and `max_network_attempts = 0` turns the first transport error
into `pagerduty.Error`. Our own loop (delivery.py) then retries with backoff,
bounded by attempts and the run's deadline.
"""

from __future__ import annotations

from typing import Any

import httpx2
import pagerduty

from e2echeck._tls import verifying_context

ENQUEUE_PATH = "/v2/enqueue"


class StatusError(Exception):
    """PagerDuty (or something in between) answered with a non-2xx status."""

    def __init__(self, response: httpx2.Response) -> None:
        self.response = response
        super().__init__(f"HTTP {response.status_code}")


class SingleAttemptEventsClient(pagerduty.EventsApiV2Client):
    max_network_attempts = 0
    max_http_attempts = 0

    def __init__(self, routing_key: str, base_url: str, **kw: Any) -> None:
        super().__init__(routing_key, base_url=base_url, **kw)
        self.retry = {}  # belt and braces: postprocess already stops every retry

    @property
    def url(self) -> str:
        assert self._url is not None
        return self._url

    @url.setter
    def url(self, new_base_url: str) -> None:
        # The library insists on https://; events_url may point at a local fake
        # or proxy over plain http (the caller warns when that is not loopback).
        if not new_base_url.startswith(("https://", "http://")):
            raise pagerduty.UrlError("events_url must be an http:// or https:// URL")
        self._url = new_base_url

    def set_attempt_timeout(self, seconds: float) -> None:
        """The timeout of the next request (ApiClient sends `self.timeout`)."""
        self.timeout = seconds  # type: ignore[assignment]

    def postprocess(self, response: httpx2.Response) -> None:
        if not response.is_success:
            raise StatusError(response)


def split_enqueue_url(enqueue_url: str) -> tuple[str, str | None]:
    """(base URL for the client, None) when the URL ends with /v2/enqueue, the
    library's own path; else (the URL, the URL) to POST to it as it is."""
    stripped = enqueue_url.rstrip("/")
    if stripped.endswith(ENQUEUE_PATH):
        return stripped[: -len(ENQUEUE_PATH)], None
    return stripped, stripped


def make_transport(enqueue_url: str, max_connections: int) -> httpx2.HTTPTransport:
    """One connection pool (and one TLS context) shared by every event's client.

    A client given a transport ignores proxy variables, so they are honoured here.
    """
    import urllib.request
    from urllib.parse import urlsplit

    parts = urlsplit(enqueue_url)
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if proxy and urllib.request.proxy_bypass(parts.hostname or ""):
        proxy = None
    limits = httpx2.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    return httpx2.HTTPTransport(limits=limits, proxy=proxy, verify=verifying_context())


def make_client(
    routing_key: str, enqueue_url: str, transport: httpx2.BaseTransport | None = None
) -> SingleAttemptEventsClient:
    base_url, _ = split_enqueue_url(enqueue_url)
    if transport is None:
        return SingleAttemptEventsClient(routing_key, base_url)
    return SingleAttemptEventsClient(routing_key, base_url, transport=transport)


def send(client: SingleAttemptEventsClient, enqueue_url: str, body: dict[str, Any]) -> str:
    """POST one event (routing key added by the client); PagerDuty's dedup key.

    Raises StatusError, pagerduty.Error (network), or ValueError (2xx without
    a dedup_key: not PagerDuty, e.g. a captive portal).
    """
    _, custom_url = split_enqueue_url(enqueue_url)
    properties = {k: v for k, v in body.items() if k not in ("event_action", "dedup_key")}
    if custom_url is None:
        try:
            return client.send_event(
                body["event_action"], dedup_key=body.get("dedup_key"), **properties
            )
        except pagerduty.ServerHttpError as exc:
            if exc.response is not None and exc.response.is_success:
                raise ValueError(f"unexpected answer: {exc.msg}") from None
            raise
    response = client.post(custom_url, json=dict(body))
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or "dedup_key" not in answer:
        raise ValueError(f"unexpected answer (HTTP {response.status_code}) without a dedup_key")
    return str(answer["dedup_key"])
