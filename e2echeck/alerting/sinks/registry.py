"""Every kind of sink, one line each: a name and how it is built from the config.

A factory returns the configured sinks of its kind, keyed by the names `notify`
lists use (`pagerduty`; each webhook's own name). Importing this module imports
no HTTP library: a sink imports its own when it connects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from e2echeck.alerting.sinks.base import Sink
from e2echeck.alerting.sinks.pagerduty import PagerDutySink
from e2echeck.alerting.sinks.webhook import WebhookSink
from e2echeck.config.models import Config
from e2echeck.redaction import Redactor

SinkFactory = Callable[[Config, Redactor], Sequence[Sink]]

SINKS: dict[str, SinkFactory] = {
    "pagerduty": PagerDutySink.from_config,
    "webhook": WebhookSink.from_config,
}


def configured_sinks(config: Config, redactor: Redactor) -> dict[str, Sink]:
    """The run's sinks by name, built once per run with the run's redactor."""
    return {sink.name: sink for factory in SINKS.values() for sink in factory(config, redactor)}
