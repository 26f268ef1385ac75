"""The PagerDuty Events API v2 sink (the `pagerduty` package is imported when sending)."""

from e2echeck.alerting.sinks.pagerduty.sink import (
    DEFAULT_ENQUEUE_URL,
    NAME,
    PagerDutySink,
    RoutingKeys,
    pagerduty_message,
)

__all__ = ["DEFAULT_ENQUEUE_URL", "NAME", "PagerDutySink", "RoutingKeys", "pagerduty_message"]
