"""A fast delivery policy, so that no test sleeps through PagerDuty's production backoff.

In-process callers pass `FAST_POLICY`; everything that runs the real CLI or the
Lambda handler (CliRunner, subprocesses, the handler called directly) gets
`FAST_POLICY_ENV` in its environment: tests/conftest.py sets it for the whole
session, and the CLI invoker hands it to subprocesses.
"""

from __future__ import annotations

from e2echeck.alerting.delivery import POLICY_ENV, DeliveryPolicy

# The production attempts (so retry counts stay what users get), millisecond sleeps.
FAST_POLICY_TEXT = "base_delay=0.01,max_delay=0.05"
FAST_POLICY_ENV = {POLICY_ENV: FAST_POLICY_TEXT}

# For direct calls of send_alerts/deliver: fewer attempts, a short timeout.
FAST_POLICY = DeliveryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05, timeout=5.0)
