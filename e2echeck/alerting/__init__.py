"""PagerDuty alerting: from a run's results to delivered events.

    report = send_alerts(config, run, dry_run=False, state_path=None, deadline=None)
    warning = ping_heartbeat(config)

Importing this package loads neither pagerduty, httpx2 nor boto3; each is
imported when it is first needed (delivering, pinging, S3 state).
"""

from e2echeck.alerting.delivery import DeliveryPolicy
from e2echeck.alerting.dispatch import send_alerts
from e2echeck.alerting.events import CONTROL_DEDUP_KEY
from e2echeck.alerting.heartbeat import ping_heartbeat
from e2echeck.alerting.results import AlertReport, CheckAlert, EventDelivery

__all__ = [
    "CONTROL_DEDUP_KEY",
    "AlertReport",
    "CheckAlert",
    "DeliveryPolicy",
    "EventDelivery",
    "ping_heartbeat",
    "send_alerts",
]
