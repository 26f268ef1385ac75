"""The dead man's switch: one GET after every completed run.

A ping that fails is worth a warning, never a failed run: the checks ran and
their events went out; the heartbeat service will notice the silence itself.
"""

from __future__ import annotations

import time

from e2echeck.config.models import Config
from e2echeck.redaction import Redactor

# Never wait less than this, even when the run's deadline is almost up.
MIN_TIMEOUT = 0.5


def ping_heartbeat(
    config: Config, *, redactor: Redactor, deadline: float | None = None
) -> str | None:
    """GET `heartbeat.url`; None when it answered 2xx (or none is configured),
    else a warning, redacted with the run's `redactor`, for the caller to log."""
    heartbeat = config.heartbeat
    if heartbeat is None:
        return None
    import httpx2

    from e2echeck._tls import verifying_context

    timeout = float(heartbeat.timeout)
    if deadline is not None:
        timeout = max(MIN_TIMEOUT, min(timeout, deadline - time.monotonic()))
    url = heartbeat.url
    try:
        response = httpx2.get(
            url, timeout=timeout, follow_redirects=True, verify=verifying_context()
        )
    except Exception as exc:  # never fatal, whatever went wrong
        why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return redactor.text(f"heartbeat {url} not pinged: {why}")
    if not response.is_success:
        return redactor.text(f"heartbeat {url} answered HTTP {response.status_code}")
    return None
