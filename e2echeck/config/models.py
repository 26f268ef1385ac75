"""The pydantic models of checks.yaml, version 1: the file, its sections and its
checks. A check's kind-neutral fields are here; its kind's fields (HTTP: the
request, `expect`, the steps of a scenario) are in their own module (http.py),
as are JSON assertions and captures.

Every model forbids unknown keys: a misspelt assertion must be an error, never a
check that silently asserts less than its author thinks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from e2echeck import __version__
from e2echeck.config._base import ConfigModel
from e2echeck.config.captures import HeaderCapture as HeaderCapture
from e2echeck.config.captures import JsonPathCapture as JsonPathCapture
from e2echeck.config.captures import RegexCapture as RegexCapture
from e2echeck.config.dns import DnsFields
from e2echeck.config.fields import NAME_PATTERN as NAME_PATTERN
from e2echeck.config.fields import Method as Method
from e2echeck.config.fields import Region, RoleName, SeverityName
from e2echeck.config.fields import Role as Role
from e2echeck.config.fields import Severity as Severity
from e2echeck.config.flapping import FailureRate, Flapping, FlappingSetting
from e2echeck.config.grpc_health import GrpcFields
from e2echeck.config.http import Expect as Expect
from e2echeck.config.http import HttpRequest, request_or_steps, request_or_steps_schema
from e2echeck.config.http import Step as Step
from e2echeck.config.json_assertions import JSON_TYPES as JSON_TYPES
from e2echeck.config.json_assertions import SIMPLE_JSONPATH as SIMPLE_JSONPATH
from e2echeck.config.json_assertions import JsonAssertion as JsonAssertion
from e2echeck.config.kind_fields import kind_fields_schema
from e2echeck.config.locations import LocationsConfig
from e2echeck.config.maintenance import MaintenanceWindow
from e2echeck.config.redact import RedactConfig, config_secrets
from e2echeck.config.sockets import SocketFields
from e2echeck.config.types import (
    AlsoAsText,
    Duration,
    EventBudget,
    Flag,
    PositiveDuration,
    PositiveWhole,
    RetryCount,
)
from e2echeck.config.urls import TEMPLATE_REFERENCE as TEMPLATE_REFERENCE
from e2echeck.config.urls import UNRESOLVED_CONTEXT_KEY as UNRESOLVED_CONTEXT_KEY
from e2echeck.config.urls import check_url
from e2echeck.config.webhooks import (
    DEFAULT_NOTIFY,
    PAGERDUTY,
    SINK_NAME_PATTERN,
    SinkName,
    WebhookConfig,
)
from e2echeck.redaction.names import NameRule, name_rule

if TYPE_CHECKING:
    from e2echeck.config.problems import Problem

MAX_DEDUP_KEY_LENGTH = 255
DEFAULT_USER_AGENT = f"e2echeck/{__version__}"


class _Overridable(ConfigModel):
    """Settings that `defaults` gives every check and a check may override."""

    timeout: PositiveDuration | None = Field(
        default=None, description="Per request, from sending it to the body's last byte."
    )
    retries: RetryCount | None = Field(
        default=None, description="Extra attempts before a check counts as failed."
    )
    retry_delay: Duration | None = Field(
        default=None, description="First delay between attempts; grows exponentially."
    )
    severity: SeverityName | None = Field(default=None, description="PagerDuty severity.")
    follow_redirects: Flag | None = Field(default=None, description="Follow 3xx redirects.")
    verify_tls: Flag | None = Field(default=None, description="Verify TLS certificates.")
    ca_file: str | None = Field(
        default=None,
        description="A PEM file of the CAs to trust instead of the system's (private CAs), "
        "for https:// and the TLS kinds; relative to the checks file.",
    )
    failure_threshold: PositiveWhole | None = Field(
        default=None, description="Consecutive failed runs before trigger (needs state)."
    )
    success_threshold: PositiveWhole | None = Field(
        default=None, description="Consecutive passed runs before resolve (needs state)."
    )
    notify: list[SinkName] | None = Field(
        default=None,
        description="Where alerts go: pagerduty and/or names under webhooks. Default: [pagerduty].",
    )
    flapping: FlappingSetting | None = Field(
        default=None,
        description="Flap detection (needs state): {window, high, low}, or false to turn it off.",
    )
    failure_rate: FailureRate | None = Field(
        default=None,
        description="Trigger when `failures` of the last `of` runs failed (needs state).",
    )
    runbook_url: str | None = Field(
        default=None,
        min_length=1,
        max_length=2048,
        description="A link titled Runbook in every trigger: what the on-call engineer does.",
    )


class Defaults(_Overridable):
    """Settings for every check; each key can be overridden per check."""

    timeout: PositiveDuration = Field(
        default=10.0,
        description="Per request, from sending it to the body's last byte. Default 10s.",
    )
    retries: RetryCount = Field(
        default=2, description="Extra attempts before a check fails. Default 2."
    )
    retry_delay: Duration = Field(
        default=1.0, description="First delay between attempts; grows exponentially. Default 1s."
    )
    severity: SeverityName = Field(default="critical", description="PagerDuty severity.")
    follow_redirects: Flag = Field(default=True, description="Follow 3xx redirects.")
    verify_tls: Flag = Field(default=True, description="Verify TLS certificates.")
    failure_threshold: PositiveWhole = Field(
        default=1, description="Consecutive failed runs before trigger (needs state)."
    )
    success_threshold: PositiveWhole = Field(
        default=1, description="Consecutive passed runs before resolve (needs state)."
    )
    headers: dict[str, str] = Field(
        default_factory=lambda: {"User-Agent": DEFAULT_USER_AGENT},
        description="Headers sent with every request (a check's headers override them).",
    )
    notify: list[SinkName] = Field(
        default_factory=lambda: list(DEFAULT_NOTIFY),
        description="Where alerts go: pagerduty and/or names under webhooks. Default: [pagerduty].",
    )
    flapping: FlappingSetting = Field(
        default_factory=Flapping,
        description="Flap detection (needs state): {window, high, low} in percent, or false "
        "to turn it off. Default: on, {window: 20, high: 50, low: 25}.",
    )


def _check_schema(schema: dict[str, Any]) -> None:
    request_or_steps_schema(schema)
    kind_fields_schema(schema)


class Check(HttpRequest, SocketFields, DnsFields, GrpcFields, _Overridable):
    """One check: a single request, or a multi-step scenario under `steps`."""

    model_config = ConfigDict(json_schema_extra=_check_schema)

    name: Annotated[str, AlsoAsText()] = Field(
        pattern=NAME_PATTERN, max_length=200, description="Unique; letters, digits, . _ -"
    )
    steps: list[Step] | None = Field(
        default=None, min_length=1, description="A multi-step scenario, run in order."
    )
    dedup_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_DEDUP_KEY_LENGTH,
        description="PagerDuty dedup key; default: the check name. Unique across the file.",
    )
    routing_key: str | None = Field(
        default=None, description="Per-check PagerDuty routing key (overrides pagerduty's)."
    )
    tags: list[str] = Field(default_factory=list, description="Tags, for --tag and PagerDuty.")
    role: RoleName = Field(
        default="service",
        description="`control` checks test the checker's own connectivity: when every "
        "control check fails, the checker is cut off and pages about itself, not the services.",
    )
    enabled: Flag = Field(default=True, description="false keeps the check without running it.")
    description: str | None = Field(default=None, description="Free text for people.")
    depends_on: list[Annotated[str, AlsoAsText()]] = Field(
        default_factory=list,
        description="Checks this one depends on: while one of them fails, this check's "
        "failure sends no trigger of its own (it is named in the dependency's trigger).",
    )

    @model_validator(mode="before")
    @classmethod
    def _request_or_steps(cls, data: Any) -> Any:
        return request_or_steps(data)

    @property
    def effective_dedup_key(self) -> str:
        return self.dedup_key or self.name

    @property
    def is_control(self) -> bool:
        return self.role == "control"

    @property
    def first_url(self) -> str:
        if self.steps:
            return self.steps[0].url
        assert self.url is not None
        return self.url


class PagerDutyConfig(ConfigModel):
    """Where and how events are sent (PagerDuty Events API v2)."""

    routing_key: str | None = Field(
        default=None,
        description="Integration (routing) key; use ${PAGERDUTY_ROUTING_KEY}, never a literal.",
    )
    region: Region = Field(default="us", description="PagerDuty service region.")
    events_url: str | None = Field(
        default=None,
        description="Full Events API URL, instead of region (proxies, tests).",
    )
    send_resolve: Flag = Field(default=True, description="Send resolve when a check passes.")
    change_events_url: str | None = Field(
        default=None,
        description="Change Events API URL; default: /v2/change/enqueue on the events URL's "
        "origin.",
    )
    max_events_per_minute: EventBudget = Field(
        default=100,
        description="Events a minute per routing key, across runs (PagerDuty accepts about "
        "120); the rest collapse into one storm alert. Default 100.",
    )
    client: str = Field(default="e2echeck", description="Shown in PagerDuty as the client.")
    client_url: str | None = Field(default=None, description="Link shown with the client.")
    body_excerpt: Flag = Field(
        default=True,
        description="Send an excerpt of the failing response body (secrets masked); "
        "false sends none.",
    )

    @field_validator("events_url", "client_url", "change_events_url")
    @classmethod
    def _valid_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else check_url(value, info)

    @property
    def enqueue_url(self) -> str:
        if self.events_url:
            return self.events_url
        host = "events.eu.pagerduty.com" if self.region == "eu" else "events.pagerduty.com"
        return f"https://{host}/v2/enqueue"

    @property
    def change_url(self) -> str:
        """Where change events go: the setting, else the events URL's origin."""
        if self.change_events_url:
            return self.change_events_url
        parts = urlsplit(self.enqueue_url)
        return f"{parts.scheme}://{parts.netloc}/v2/change/enqueue"


class StateConfig(ConfigModel):
    """Where the alert state is kept between runs."""

    path: str = Field(description="A JSON file, or s3://bucket/key (with the aws extra).")


class HeartbeatConfig(ConfigModel):
    """A dead man's switch pinged after every completed run."""

    url: str = Field(description="GET after every run.")
    timeout: PositiveDuration = Field(default=5.0, description="Timeout of the ping. Default 5s.")

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str, info: ValidationInfo) -> str:
        return check_url(value, info)


def _flapping(value: Flapping | bool) -> Flapping | None:
    if isinstance(value, Flapping):
        return value
    return Flapping() if value else None


@dataclass(frozen=True)
class CheckSettings:
    """A check's settings with `defaults` applied: what the engine actually uses."""

    timeout: float
    retries: int
    retry_delay: float
    severity: Severity
    follow_redirects: bool
    verify_tls: bool
    failure_threshold: int
    success_threshold: int
    headers: dict[str, str]
    flapping: Flapping | None = None  # None: off
    failure_rate: FailureRate | None = None
    runbook_url: str | None = None
    ca_file: str | None = None  # a path, resolved against the checks file's folder


class Config(ConfigModel):
    """A whole checks.yaml file."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        frozen=True,
        title="e2echeck checks.yaml",
        json_schema_extra={
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            # `x-` keys: the file's own anchors of shared settings, ignored.
            "patternProperties": {"^x-": {}},
        },
    )

    version: Literal[1] = Field(description="The checks.yaml format version; must be 1.")
    defaults: Defaults = Field(default_factory=Defaults, description="Settings for every check.")
    pagerduty: PagerDutyConfig | None = Field(default=None, description="Alert delivery.")
    webhooks: dict[str, WebhookConfig] = Field(
        default_factory=dict,
        json_schema_extra={"propertyNames": {"pattern": SINK_NAME_PATTERN}},
        description="Named HTTP endpoints that receive alerts, for notify lists.",
    )
    state: StateConfig | None = Field(
        default=None,
        description="Enables thresholds, change-only events and redelivery.",
    )
    heartbeat: HeartbeatConfig | None = Field(
        default=None, description="Dead man's switch pinged after every run."
    )
    redact: RedactConfig = Field(
        default_factory=RedactConfig, description="More secrets to mask in every output."
    )
    locations: LocationsConfig | None = Field(
        default=None,
        description="Several locations run this file; page when a quorum sees a failure.",
    )
    checks: list[Check] = Field(min_length=1, description="The checks.")
    maintenance: list[MaintenanceWindow] = Field(
        default_factory=list,
        description="Planned windows during which failing checks page nobody.",
    )

    _source: str = PrivateAttr(default="<memory>")
    _identity: str | None = PrivateAttr(default=None)  # a suite of several files
    _secrets: frozenset[str] = PrivateAttr(default=frozenset())
    _env_values: dict[str, frozenset[str]] = PrivateAttr(default_factory=dict)
    _references: dict[str, str] = PrivateAttr(default_factory=dict)
    _all_secrets: frozenset[str] | None = PrivateAttr(default=None)
    _unset_routing_keys: tuple[Problem, ...] = PrivateAttr(default=())
    # Where each routing key is written: by check name ("": the pagerduty section's).
    _routing_key_places: dict[str, Problem] = PrivateAttr(default_factory=dict)

    @property
    def unset_routing_keys(self) -> tuple[Problem, ...]:
        """Problems (file, line, field) for routing keys whose ${VAR} is unset."""
        return self._unset_routing_keys

    @property
    def source(self) -> str:
        """The file this config was read from (a suite: its files joined by ' + ')."""
        return self._source

    @property
    def identity(self) -> str:
        """What the state records as the file it belongs to: the file's absolute
        path (a URL or an in-memory name as it is; a suite: its absolute paths)."""
        if self._identity is not None:
            return self._identity
        source = self._source
        return source if "://" in source or source.startswith("<") else os.path.abspath(source)

    @property
    def name_rule(self) -> NameRule:
        """Which names look sensitive: the built-in words plus `redact.names`."""
        return name_rule(self.redact.names)

    @property
    def secrets(self) -> frozenset[str]:
        """Every value known before the run that must never leave the process
        (the rule is in e2echeck.config.redact)."""
        if self._all_secrets is None:
            found = config_secrets(self, self._env_values, self.name_rule)
            self._all_secrets = found | self._secrets
        return self._all_secrets

    @property
    def origins(self) -> dict[str, str]:
        """{a value substituted at load: where it came from ("${TOKEN}",
        "${ssm:/x/token}")}, so an error can name where a value came from instead
        of quoting it."""
        found = {
            value: f"${{{name}}}"
            for name, values in sorted(self._env_values.items())
            for value in sorted(values)
        }
        found.update(self._references)
        return found

    def settings_for(self, check: Check) -> CheckSettings:
        """The check's own settings, `defaults` for those it leaves out."""
        d = self.defaults
        return CheckSettings(
            timeout=d.timeout if check.timeout is None else check.timeout,
            retries=d.retries if check.retries is None else check.retries,
            retry_delay=d.retry_delay if check.retry_delay is None else check.retry_delay,
            severity=d.severity if check.severity is None else check.severity,
            follow_redirects=(
                d.follow_redirects if check.follow_redirects is None else check.follow_redirects
            ),
            verify_tls=d.verify_tls if check.verify_tls is None else check.verify_tls,
            failure_threshold=(
                d.failure_threshold if check.failure_threshold is None else check.failure_threshold
            ),
            success_threshold=(
                d.success_threshold if check.success_threshold is None else check.success_threshold
            ),
            headers=merge_headers({"User-Agent": DEFAULT_USER_AGENT}, d.headers),
            flapping=_flapping(d.flapping if check.flapping is None else check.flapping),
            failure_rate=d.failure_rate if check.failure_rate is None else check.failure_rate,
            runbook_url=d.runbook_url if check.runbook_url is None else check.runbook_url,
            ca_file=self._ca_path(d.ca_file if check.ca_file is None else check.ca_file),
        )

    def _ca_path(self, ca_file: str | None) -> str | None:
        """`ca_file` relative to the checks file's folder (a file read from disk)."""
        if ca_file is None or os.path.isabs(ca_file) or "://" in self._source:
            return ca_file
        if self._source.startswith("<"):
            return ca_file
        return os.path.join(os.path.dirname(self._source), ca_file)

    @property
    def sink_names(self) -> list[str]:
        """The names `notify` may use: pagerduty, then the webhooks'."""
        return [PAGERDUTY, *self.webhooks]

    def notify_for(self, check: Check) -> list[str]:
        """The sinks the check's alerts go to: its own `notify`, else the defaults'."""
        return list(self.defaults.notify if check.notify is None else check.notify)

    def notifies_pagerduty(self, checks: list[Check] | None = None) -> bool:
        """Whether any of `checks` (default: all) or the checker's own alerts page."""
        chosen = self.checks if checks is None else checks
        return PAGERDUTY in self.defaults.notify or any(
            PAGERDUTY in self.notify_for(c) for c in chosen
        )

    def routing_key_place(self, check: Check) -> Problem:
        """Where the routing key `check` uses is written: a problem with no message
        yet (file, line, column, field), for an error about that key."""
        owner = check.name if check.routing_key else ""
        field = f"checks.{check.name}.routing_key" if owner else "pagerduty.routing_key"
        return self._routing_key_places.get(owner) or Problem(self._source, 1, 1, field, "")

    def routing_key_for(self, check: Check) -> str | None:
        if check.routing_key:
            return check.routing_key
        return self.pagerduty.routing_key if self.pagerduty else None


def merge_headers(*layers: dict[str, str]) -> dict[str, str]:
    """Later layers override earlier ones, header names compared case-insensitively."""
    merged: dict[str, tuple[str, str]] = {}
    for layer in layers:
        for name, value in layer.items():
            merged[name.lower()] = (name, value)
    return dict(merged.values())
