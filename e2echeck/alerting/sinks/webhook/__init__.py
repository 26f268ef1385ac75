"""The webhook sink: transitions POSTed as JSON or Slack text, optionally signed."""

from e2echeck.alerting.sinks.webhook.sink import SIGNATURE_HEADER, WebhookSink, sign, slack_text

__all__ = ["SIGNATURE_HEADER", "WebhookSink", "sign", "slack_text"]
