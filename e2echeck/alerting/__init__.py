"""Alerting: from a run's results to transitions delivered to their sinks.

    report = send_alerts(config, run, dry_run=False, redactor=redactor)
    warning = ping_heartbeat(config, redactor=redactor)

Importing this package loads neither pagerduty, httpx2 nor boto3; each is
imported when it is first needed (delivering, pinging, S3 state).
"""

from e2echeck.alerting.delivery import DeliveryPolicy
from e2echeck.alerting.heartbeat import ping_heartbeat
from e2echeck.alerting.pipeline import send_alerts
from e2echeck.alerting.results import AlertReport, CheckAlert, EventDelivery
from e2echeck.alerting.transitions import CONTROL_DEDUP_KEY, Transition

__all__ = [
    "CONTROL_DEDUP_KEY",
    "AlertReport",
    "CheckAlert",
    "DeliveryPolicy",
    "EventDelivery",
    "Transition",
    "ping_heartbeat",
    "send_alerts",
]
