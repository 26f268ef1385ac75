"""The PagerDuty sink: transitions as Events API v2 events, sent through the
`pagerduty` package's client (`client.py`), one attempt per call.

The bodies are the ones PagerDuty has always received from e2echeck, key order
included (golden tests pin them). The routing key is looked up from the config
at the moment of sending: no transition and no state file ever holds it.
"""

from __future__ import annotations

import ipaddress
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from e2echeck.alerting.sinks.base import Rejected, Retryable
from e2echeck.alerting.transitions import STORM_PREFIX, Transition, key_hash
from e2echeck.config.models import Check, Config
from e2echeck.redaction import MASK, Redactor

if TYPE_CHECKING:
    import httpx2

NAME = "pagerduty"
EVENT_CLASS = "e2e check"
DEFAULT_ENQUEUE_URL = "https://events.pagerduty.com/v2/enqueue"
# custom_details in the order PagerDuty has always shown them; other keys follow
# in the transition's own order.
DETAILS_ORDER = (
    "check",
    "url",
    "method",
    "status_code",
    "latency_ms",
    "attempts",
    "failures",
    "step",
    "body_excerpt",
    "description",
    "tags",
)


class PagerDutySink:
    """Events API v2, to the routing key of each transition's check."""

    name = NAME

    def __init__(self, config: Config, redactor: Redactor) -> None:
        pd = config.pagerduty
        self.enqueue_url = pd.enqueue_url if pd else DEFAULT_ENQUEUE_URL
        self.redactor = redactor
        self.routing_keys = RoutingKeys(config)
        client = {"client": pd.client if pd else "e2echeck"}
        if pd and pd.client_url:
            client["client_url"] = pd.client_url
        self.client_fields: dict[str, str] = redactor.data(client)

    @classmethod
    def from_config(cls, config: Config, redactor: Redactor) -> list[PagerDutySink]:
        return [cls(config, redactor)]

    def body(self, transition: Transition) -> dict[str, Any]:
        """The event PagerDuty receives, minus its routing key."""
        key = self.redactor.text(transition.dedup_key)
        if transition.action == "resolve" and not transition.details:
            return {"event_action": "resolve", "dedup_key": key}
        if transition.action == "resolve":  # a resolve that says why (a removed check)
            reason = {
                "summary": transition.summary,
                "source": transition.source or "e2echeck",
                "severity": "info",
                "custom_details": transition.details,
            }
            return {"event_action": "resolve", "dedup_key": key, "payload": reason}
        payload: dict[str, Any] = {
            "summary": transition.summary,
            "source": transition.source,
            "severity": transition.severity,
            "timestamp": transition.timestamp,
            "component": transition.component,
        }
        # The checker's own alerts always carried their group before the class.
        if transition.check is None and transition.group is not None:
            payload["group"] = transition.group
        payload["class"] = EVENT_CLASS
        payload["custom_details"] = _ordered(transition.details)
        if transition.check is not None and transition.group is not None:
            payload["group"] = transition.group
        body: dict[str, Any] = {"event_action": "trigger", "dedup_key": key, "payload": payload}
        if transition.links:
            body["links"] = transition.links
        body.update(self.client_fields)
        return body

    def refusal(self, transition: Transition) -> str | None:
        if self.routing_keys(transition):
            return None
        return "no routing key: set pagerduty.routing_key or the check's routing_key"

    def shown(self, transition: Transition) -> dict[str, Any]:
        return {"routing_key": MASK, **self.body(transition)}

    def warnings(self) -> list[str]:
        parts = urlsplit(self.enqueue_url)
        if parts.scheme != "http" or _loopback(parts.hostname or ""):
            return []
        return [
            f"pagerduty.events_url {self.enqueue_url} is plain http: routing keys travel "
            "unencrypted"
        ]

    def connect(self, workers: int) -> PagerDutyConnection:
        from e2echeck.alerting.sinks.pagerduty import client

        return PagerDutyConnection(self, client.make_transport(self.enqueue_url, workers))


class PagerDutyConnection:
    """One connection pool shared by every event's client."""

    def __init__(self, sink: PagerDutySink, transport: httpx2.HTTPTransport) -> None:
        self.sink = sink
        self.transport = transport

    def send(self, transition: Transition, timeout: float) -> None:
        import pagerduty

        from e2echeck.alerting.sinks.pagerduty import client

        sink = self.sink
        routing_key = sink.routing_keys(transition)
        assert routing_key is not None  # refusal() said so before any attempt
        events = client.make_client(routing_key, sink.enqueue_url, self.transport)
        events.set_attempt_timeout(timeout)
        try:
            client.send(events, sink.enqueue_url, sink.body(transition))
        except client.StatusError as exc:
            status = exc.response.status_code
            message = pagerduty_message(exc.response.text)
            if status != 429 and status < 500:
                raise Rejected(f"PagerDuty rejected the event (HTTP {status}): {message}") from None
            last = f"HTTP {status}" + (f": {message}" if message else "")
            raise Retryable(last, _retry_after(exc.response.headers.get("retry-after"))) from None
        except pagerduty.Error as exc:  # network: max_network_attempts = 0
            cause = exc.__cause__
            host = urlsplit(sink.enqueue_url).netloc
            detail = f"{type(cause).__name__}: {cause}" if cause else str(exc)
            raise Retryable(f"cannot reach {host} ({detail})") from None
        except ValueError as exc:
            raise Rejected(str(exc)) from None

    def close(self) -> None:
        self.transport.close()


class RoutingKeys:
    """The routing key each transition goes to, looked up now (state never stores it).

    Checks are indexed once: a lookup per event must not scan every check
    (10,000 checks made that 10 s of a run)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.default = config.pagerduty.routing_key if config.pagerduty else None
        self.by_name: dict[str, Check] = {}
        self.by_dedup_key: dict[str, Check] = {}
        for check in config.checks:  # the first of a name or key wins, as a scan would
            self.by_name.setdefault(check.name, check)
            self.by_dedup_key.setdefault(check.effective_dedup_key, check)
        keys = {config.routing_key_for(check) for check in config.checks} | {self.default}
        self.by_digest = {key_hash(key)[:8]: key for key in keys if key}

    def __call__(self, transition: Transition) -> str | None:
        config, default = self.config, self.default
        if transition.dedup_key.startswith(STORM_PREFIX):  # a storm: its routing key's
            suffix = transition.dedup_key.removeprefix(STORM_PREFIX)
            found = self.by_digest.get(suffix)
            if found is not None:
                return found
        if transition.check is None:  # the checker's alerts: the file's key, else a control's
            controls = [c for c in config.checks if c.is_control]
            return default or next((c.routing_key for c in controls if c.routing_key), None)
        check = self.by_name.get(transition.check) or self.by_dedup_key.get(transition.dedup_key)
        return config.routing_key_for(check) if check is not None else default


def _ordered(details: dict[str, Any]) -> dict[str, Any]:
    known = {k: details[k] for k in DETAILS_ORDER if k in details}
    return {**known, **{k: v for k, v in details.items() if k not in known}}


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: rare for PagerDuty; the backoff applies


def pagerduty_message(text: str) -> str:
    """PagerDuty's own words from an error body: message and errors."""
    try:
        body: Any = json.loads(text)
    except ValueError:
        return " ".join(text.split())[:300]
    if not isinstance(body, dict):
        return " ".join(text.split())[:300]
    message = str(body.get("message") or body.get("status") or "").strip()
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        listed = "; ".join(str(e) for e in errors)
        message = f"{message}: {listed}" if message else listed
    return message[:1000]
