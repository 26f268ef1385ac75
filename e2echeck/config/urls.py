"""URLs in checks.yaml: what makes one valid, and the references that may stand in them.

A check's URL must have a scheme that some check kind handles (config/kinds.py
lists them); other URLs (PagerDuty, the
heartbeat) are http:// or https://.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import ValidationInfo

from e2echeck.config.kinds import SCHEMES, describe_schemes

TEMPLATE_REFERENCE = re.compile(r"\{\{\s*([^}]*?)\s*\}\}")
ENV_REFERENCE = re.compile(r"\$\{[^}]*\}")
UNRESOLVED_CONTEXT_KEY = "unresolved_values"
HTTP_SCHEMES = ("http", "https")


def check_url(
    value: str, info: ValidationInfo | None = None, schemes: tuple[str, ...] = HTTP_SCHEMES
) -> str:
    """`value` if it is an absolute URL with one of `schemes`, else ValueError."""
    # A capture reference may stand for any part; check the rest of the URL.
    probe = TEMPLATE_REFERENCE.sub("x", value)
    context = info.context if info is not None else None
    if isinstance(context, dict) and value in context.get(UNRESOLVED_CONTEXT_KEY, ()):
        # `e2echeck validate` without the environment: ${BASE_URL}/health stands
        # for some URL; check what can be checked, the rest is a warning already.
        probe = ENV_REFERENCE.sub(lambda m: "https://env.invalid" if m.start() == 0 else "x", probe)
    parts = urlsplit(probe)
    if parts.scheme not in schemes or not parts.netloc:
        expected = describe_schemes() if schemes == SCHEMES else "http:// or https://"
        raise ValueError(f"expected an absolute {expected} URL; got {value!r}")
    return value


def check_target_url(value: str, info: ValidationInfo | None = None) -> str:
    """A check's (or step's) URL: its scheme names the check's kind."""
    return check_url(value, info, SCHEMES)
