"""The pydantic models of checks.yaml, version 1: the file, its sections, checks,
steps and expectations. (JSON assertions and captures have their own modules.)

Every model forbids unknown keys: a misspelt assertion must be an error, never a
check that silently asserts less than its author thinks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    ConfigDict,
    Field,
    JsonValue,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from e2echeck import __version__
from e2echeck.config._base import ConfigModel
from e2echeck.config.captures import CAPTURE_NAME_PATTERN, Capture, CaptureName
from e2echeck.config.captures import HeaderCapture as HeaderCapture
from e2echeck.config.captures import JsonPathCapture as JsonPathCapture
from e2echeck.config.captures import RegexCapture as RegexCapture
from e2echeck.config.fields import Method as Method
from e2echeck.config.fields import (
    MethodName,
    ParamValue,
    Region,
    RoleName,
    SeverityName,
    Texts,
)
from e2echeck.config.fields import Role as Role
from e2echeck.config.fields import Severity as Severity
from e2echeck.config.json_assertions import JSON_OPERATORS, JsonOperand, JsonPathKey, check_regex
from e2echeck.config.json_assertions import JSON_TYPES as JSON_TYPES
from e2echeck.config.json_assertions import SIMPLE_JSONPATH as SIMPLE_JSONPATH
from e2echeck.config.json_assertions import JsonAssertion as JsonAssertion
from e2echeck.config.locations import LocationsConfig
from e2echeck.config.maintenance import MaintenanceWindow
from e2echeck.config.redact import RedactConfig, config_secrets
from e2echeck.config.types import (
    AlsoAsText,
    Duration,
    Flag,
    StatusSpec,
    WholeNumber,
)
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

NAME_PATTERN = r"^[A-Za-z0-9._-]+$"
TEMPLATE_REFERENCE = re.compile(r"\{\{\s*([^}]*?)\s*\}\}")
MAX_DEDUP_KEY_LENGTH = 255
DEFAULT_USER_AGENT = f"e2echeck/{__version__}"


ENV_REFERENCE = re.compile(r"\$\{[^}]*\}")
UNRESOLVED_CONTEXT_KEY = "unresolved_values"


def _check_url(value: str, info: ValidationInfo | None = None) -> str:
    # A capture reference may stand for any part; check the rest of the URL.
    probe = TEMPLATE_REFERENCE.sub("x", value)
    context = info.context if info is not None else None
    if isinstance(context, dict) and value in context.get(UNRESOLVED_CONTEXT_KEY, ()):
        # `e2echeck validate` without the environment: ${BASE_URL}/health stands
        # for some URL; check what can be checked, the rest is a warning already.
        probe = ENV_REFERENCE.sub(lambda m: "https://env.invalid" if m.start() == 0 else "x", probe)
    parts = urlsplit(probe)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an absolute http:// or https:// URL; got {value!r}")
    return value


class Expect(ConfigModel):
    """What a response must look like for the check (or step) to pass."""

    status: StatusSpec = Field(
        default=("2xx",),
        description='Accepted status: 200, [200, 204], or a class like "2xx". Default: any 2xx.',
    )
    body_contains: Texts = Field(
        default_factory=list, description="A text, or texts, the body must contain, each of them."
    )
    body_not_contains: Texts = Field(
        default_factory=list, description="A text, or texts, the body must not contain."
    )
    body_matches: str | None = Field(
        default=None, description="A regular expression that must match somewhere in the body."
    )
    json_assertions: dict[JsonPathKey, JsonOperand] = Field(
        default_factory=dict,
        alias="json",
        json_schema_extra={"propertyNames": {"pattern": r"^\$"}},
        description=(
            "JSONPath mapped to a literal (equality) or to one operator: "
            + ", ".join(JSON_OPERATORS)
            + '. Example: {"$.status": "UP", "$.replicas": {gt: 1}}'
        ),
    )
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="Response headers that must be present; the value must be contained "
        "(case-insensitive names).",
    )
    max_response_time: Duration | None = Field(
        default=None,
        description="The response, body included, must arrive within this time: timed at "
        "the transport, from the request going out to the body's last byte.",
    )
    tls_cert_min_days: WholeNumber | None = Field(
        default=None,
        ge=0,
        description="The server's TLS certificate must stay valid at least this many days.",
    )

    @field_validator("body_matches")
    @classmethod
    def _valid_regex(cls, value: str | None) -> str | None:
        return None if value is None else check_regex(value)

    @field_validator("json_assertions")
    @classmethod
    def _name_json_assertions(cls, value: dict[str, JsonAssertion]) -> dict[str, JsonAssertion]:
        return {path: replace(assertion, path=path) for path, assertion in value.items()}

    @property
    def json_checks(self) -> list[JsonAssertion]:
        return list(self.json_assertions.values())


class _Request(ConfigModel):
    """The request fields shared by a single-request check and a scenario step."""

    method: MethodName = Field(default="GET", description="HTTP method (any case).")
    url: str | None = Field(default=None, description="Absolute http:// or https:// URL.")
    headers: dict[str, str] = Field(default_factory=dict, description="Request headers.")
    params: dict[str, ParamValue] = Field(
        default_factory=dict, description="Query string parameters."
    )
    body: str | None = Field(default=None, description="A raw request body.")
    json_body: JsonValue = Field(default=None, alias="json", description="A JSON request body.")
    form: dict[str, str] | None = Field(default=None, description="A form-encoded body.")
    expect: Expect = Field(default_factory=Expect, description="What the response must be.")

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _check_url(value, info)

    @model_validator(mode="after")
    def _one_body(self) -> _Request:
        given = [
            alias
            for alias, value in (
                ("body", self.body),
                ("json", self.json_body),
                ("form", self.form),
            )
            if value is not None
        ]
        if len(given) > 1:
            raise PydanticCustomError(
                "conflicting_fields",
                "give at most one of body, json, form; got {fields}",
                {"fields": ", ".join(given), "field": given[1]},
            )
        return self


_BODY_FIELDS = ("body", "json", "form")
_REQUEST_FIELDS = ("url", "method", "headers", "params", *_BODY_FIELDS, "expect")


def _at_most_one_body(schema: dict[str, Any]) -> None:
    """JSON Schema: no two of body, json, form given (null counts as not given)."""

    def given(name: str) -> dict[str, Any]:
        return {"not": {"type": "null"}, "description": f"{name} is given."}

    schema.setdefault("allOf", []).extend(
        {
            "not": {"required": [a, b], "properties": {a: given(a), b: given(b)}},
            "description": f"At most one of {', '.join(_BODY_FIELDS)}.",
        }
        for index, a in enumerate(_BODY_FIELDS)
        for b in _BODY_FIELDS[index + 1 :]
    )


def _request_or_steps_schema(schema: dict[str, Any]) -> None:
    """JSON Schema: a url or steps; with steps, none of the request fields."""
    _at_most_one_body(schema)
    schema["allOf"].append(
        {
            "anyOf": [
                {
                    "required": ["url"],
                    "properties": {"url": {"type": "string", "description": "A request."}},
                },
                {
                    "required": ["steps"],
                    "properties": {"steps": {"type": "array", "description": "A scenario."}},
                },
            ],
            "description": "A check needs a url (a single request) or steps (a scenario).",
        }
    )
    schema["dependentSchemas"] = {
        "steps": {"not": {"anyOf": [{"required": [key]} for key in _REQUEST_FIELDS]}}
    }


class Step(_Request):
    """One request of a multi-step scenario."""

    model_config = ConfigDict(json_schema_extra=_at_most_one_body)

    name: Annotated[str, AlsoAsText()] = Field(
        pattern=NAME_PATTERN, description="The step's name, shown when it fails."
    )
    url: str = Field(description="Absolute URL; may use {{ capture }} from earlier steps.")
    capture: dict[CaptureName, Capture] = Field(
        default_factory=dict,
        description="Values to keep for later steps, read as {{ name }}.",
        json_schema_extra={"propertyNames": {"pattern": CAPTURE_NAME_PATTERN}},
    )


class _Overridable(ConfigModel):
    """Settings that `defaults` gives every check and a check may override."""

    timeout: Duration | None = Field(
        default=None, description="Per request, from sending it to the body's last byte."
    )
    retries: WholeNumber | None = Field(
        default=None, ge=0, le=10, description="Extra attempts before a check counts as failed."
    )
    retry_delay: Duration | None = Field(
        default=None, description="First delay between attempts; grows exponentially."
    )
    severity: SeverityName | None = Field(default=None, description="PagerDuty severity.")
    follow_redirects: Flag | None = Field(default=None, description="Follow 3xx redirects.")
    verify_tls: Flag | None = Field(default=None, description="Verify TLS certificates.")
    failure_threshold: WholeNumber | None = Field(
        default=None, ge=1, description="Consecutive failed runs before trigger (needs state)."
    )
    success_threshold: WholeNumber | None = Field(
        default=None, ge=1, description="Consecutive passed runs before resolve (needs state)."
    )
    notify: list[SinkName] | None = Field(
        default=None,
        description="Where alerts go: pagerduty and/or names under webhooks. Default: [pagerduty].",
    )


class Defaults(_Overridable):
    """Settings for every check; each key can be overridden per check."""

    timeout: Duration = Field(
        default=10.0,
        description="Per request, from sending it to the body's last byte. Default 10s.",
    )
    retries: WholeNumber = Field(
        default=2, ge=0, le=10, description="Extra attempts before a check fails. Default 2."
    )
    retry_delay: Duration = Field(
        default=1.0, description="First delay between attempts; grows exponentially. Default 1s."
    )
    severity: SeverityName = Field(default="critical", description="PagerDuty severity.")
    follow_redirects: Flag = Field(default=True, description="Follow 3xx redirects.")
    verify_tls: Flag = Field(default=True, description="Verify TLS certificates.")
    failure_threshold: WholeNumber = Field(
        default=1, ge=1, description="Consecutive failed runs before trigger (needs state)."
    )
    success_threshold: WholeNumber = Field(
        default=1, ge=1, description="Consecutive passed runs before resolve (needs state)."
    )
    headers: dict[str, str] = Field(
        default_factory=lambda: {"User-Agent": DEFAULT_USER_AGENT},
        description="Headers sent with every request (a check's headers override them).",
    )
    notify: list[SinkName] = Field(
        default_factory=lambda: list(DEFAULT_NOTIFY),
        description="Where alerts go: pagerduty and/or names under webhooks. Default: [pagerduty].",
    )


class Check(_Request, _Overridable):
    """One check: a single request, or a multi-step scenario under `steps`."""

    model_config = ConfigDict(json_schema_extra=_request_or_steps_schema)

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

    @model_validator(mode="before")
    @classmethod
    def _request_or_steps(cls, data: Any) -> Any:
        if isinstance(data, dict) and "steps" in data:
            request_fields = [key for key in _REQUEST_FIELDS if key in data]
            if request_fields:
                raise PydanticCustomError(
                    "conflicting_fields",
                    "a check has either request fields or steps, never both; "
                    "move {fields} into a step",
                    {"fields": ", ".join(request_fields), "field": request_fields[0]},
                )
        if isinstance(data, dict) and data.get("url") is None and data.get("steps") is None:
            raise ValueError("a check needs a url (a single request) or steps (a scenario)")
        return data

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
    client: str = Field(default="e2echeck", description="Shown in PagerDuty as the client.")
    client_url: str | None = Field(default=None, description="Link shown with the client.")
    body_excerpt: Flag = Field(
        default=True,
        description="Send an excerpt of the failing response body (secrets masked); "
        "false sends none.",
    )

    @field_validator("events_url", "client_url")
    @classmethod
    def _valid_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _check_url(value, info)

    @property
    def enqueue_url(self) -> str:
        if self.events_url:
            return self.events_url
        host = "events.eu.pagerduty.com" if self.region == "eu" else "events.pagerduty.com"
        return f"https://{host}/v2/enqueue"


class StateConfig(ConfigModel):
    """Where the alert state is kept between runs."""

    path: str = Field(description="A JSON file, or s3://bucket/key (with the aws extra).")


class HeartbeatConfig(ConfigModel):
    """A dead man's switch pinged after every completed run."""

    url: str = Field(description="GET after every run.")
    timeout: Duration = Field(default=5.0, description="Timeout of the ping. Default 5s.")

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str, info: ValidationInfo) -> str:
        return _check_url(value, info)


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


class Config(ConfigModel):
    """A whole checks.yaml file."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        frozen=True,
        title="e2echeck checks.yaml",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
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
    _secrets: frozenset[str] = PrivateAttr(default=frozenset())
    _env_values: dict[str, frozenset[str]] = PrivateAttr(default_factory=dict)
    _all_secrets: frozenset[str] | None = PrivateAttr(default=None)
    _unset_routing_keys: tuple[Problem, ...] = PrivateAttr(default=())

    @property
    def unset_routing_keys(self) -> tuple[Problem, ...]:
        """Problems (file, line, field) for routing keys whose ${VAR} is unset."""
        return self._unset_routing_keys

    @property
    def source(self) -> str:
        """The file this config was read from."""
        return self._source

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
        )

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
