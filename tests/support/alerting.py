"""The alert pipeline as the runner calls it: always with the run's redactor
(the config's secrets plus those the run found), which `send_alerts` requires."""

from __future__ import annotations

from typing import Any

from e2echeck.alerting import AlertReport
from e2echeck.alerting import send_alerts as _send_alerts
from e2echeck.config.models import Config
from e2echeck.config.redact import config_redactor
from e2echeck.engine.results import RunResult


def send_alerts(config: Config, run: RunResult, **options: Any) -> AlertReport:
    options.setdefault("redactor", config_redactor(config).with_secrets(run.secrets))
    return _send_alerts(config, run, **options)
