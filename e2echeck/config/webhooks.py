"""The `webhooks` section and `notify`: where each check's alerts go.

    webhooks:
      oncall-slack: {url: "${SLACK_WEBHOOK_URL}", format: slack}
      audit: {url: "https://hooks.example.com/e2e", secret: "${WEBHOOK_SECRET}"}
    defaults:
      notify: [pagerduty, audit]   # default: [pagerduty]; a check may set its own

A webhook's URL and secret are secrets in every output (config/redact.py). The
names in `notify` must be `pagerduty` or a webhook's: `notify_problems` places
an unknown one in the file, with the name it probably meant.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, StringConstraints, ValidationInfo, field_validator

from e2echeck.config._base import ConfigModel
from e2echeck.config._suggest import did_you_mean
from e2echeck.config.types import AlsoAsText
from e2echeck.config.urls import check_url

if TYPE_CHECKING:
    from e2echeck.config.problems import Problem
    from e2echeck.config.yaml_reader import PositionedReader

PAGERDUTY = "pagerduty"
DEFAULT_NOTIFY = (PAGERDUTY,)
SINK_NAME_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"

SinkName = Annotated[str, StringConstraints(pattern=SINK_NAME_PATTERN, min_length=1, max_length=64)]
WebhookFormat = Annotated[Literal["json", "slack"], AlsoAsText()]


class WebhookConfig(ConfigModel):
    """An HTTP endpoint that receives each alert transition as a POST."""

    url: str = Field(
        description="Where to POST; a secret in every output. Use ${VAR}, never a literal."
    )
    format: WebhookFormat = Field(
        default="json",
        description="json: the transition as JSON; slack: a Slack incoming-webhook message "
        '({"text": ...}).',
    )
    secret: str | None = Field(
        default=None,
        description="Signs each body: header X-E2echeck-Signature: sha256=<hex HMAC-SHA256>.",
    )

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str, info: ValidationInfo) -> str:
        try:
            return check_url(value, info)
        except ValueError:  # without the value: a webhook URL is a secret
            raise ValueError("expected an absolute http:// or https:// URL") from None


def notify_problems(document: object, reader: PositionedReader) -> Iterator[Problem]:
    """A name in `defaults.notify` or a check's `notify` that names no sink, and
    a webhook named like the PagerDuty sink."""
    if not isinstance(document, dict):
        return
    hooks = document.get("webhooks")
    names = [PAGERDUTY, *(str(k) for k in hooks)] if isinstance(hooks, dict) else [PAGERDUTY]
    for name in hooks if isinstance(hooks, dict) else {}:
        if name == PAGERDUTY:
            yield reader.problem(
                ("webhooks", name), f"{PAGERDUTY!r} names the PagerDuty sink", at_key=True
            )
        elif not isinstance(name, str) or not re.fullmatch(SINK_NAME_PATTERN, name):
            yield reader.problem(
                ("webhooks", name),
                f"webhook name {name!r}: use letters, digits and . _ - (at most 64)",
                at_key=True,
            )
    places: list[tuple[tuple[str | int, ...], object]] = []
    defaults = document.get("defaults")
    if isinstance(defaults, dict):
        places.append((("defaults", "notify"), defaults.get("notify")))
    checks = document.get("checks")
    for index, check in enumerate(checks if isinstance(checks, list) else []):
        if isinstance(check, dict):
            places.append((("checks", index, "notify"), check.get("notify")))
    for loc, listed in places:
        for position, name in enumerate(listed if isinstance(listed, list) else []):
            if isinstance(name, str) and name not in names:
                known = ", ".join(names)
                yield reader.problem(
                    (*loc, position),
                    f"unknown sink {name!r} in notify{did_you_mean(name, names)}; "
                    f"known: {known} (add it under webhooks)",
                )
