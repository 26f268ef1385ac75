"""The pydantic models of checks.yaml, version 1 (SPEC section 3).

Every model forbids unknown keys: a misspelt assertion must be an error, never a
check that silently asserts less than its author thinks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from e2echeck import __version__
from e2echeck.config.types import Duration, StatusSpec

Severity = Literal["critical", "error", "warning", "info"]
Method = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
Role = Literal["service", "control"]

NAME_PATTERN = r"^[A-Za-z0-9._-]+$"
CAPTURE_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
TEMPLATE_REFERENCE = re.compile(r"\{\{\s*([^}]*?)\s*\}\}")
MAX_DEDUP_KEY_LENGTH = 255
DEFAULT_USER_AGENT = f"e2echeck/{__version__}"

JSON_OPERATORS = ("eq", "ne", "gt", "ge", "lt", "le", "contains", "matches", "exists", "type")
JSON_TYPES = ("string", "number", "integer", "boolean", "array", "object", "null")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


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


def _check_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
    return value


# Names and indexes only ($.a.b[0].c): valid JSONPath by construction, so
# `validate` need not import python-jsonpath (80 ms) for the common case.
# Anything else is compiled by the library, as it will be at run time.
SIMPLE_JSONPATH = re.compile(r"\$(?:\.[A-Za-z_][A-Za-z0-9_]*|\[(?:0|[1-9][0-9]*)\])*")


def _check_jsonpath(path: str) -> str:
    if SIMPLE_JSONPATH.fullmatch(path):
        return path
    from e2echeck.config._jsonpath import compile_jsonpath

    compile_jsonpath(path)
    return path


@dataclass(frozen=True)
class JsonAssertion:
    """One JSONPath assertion: the operator and its operand, e.g. ("gt", 1)."""

    path: str
    op: str
    value: Any


def _check_json_path_key(path: str) -> str:
    if not path.startswith("$"):
        raise ValueError(f"expected a JSONPath starting with '$'; got {path!r}")
    return _check_jsonpath(path)


def _parse_json_operand(expected: Any) -> JsonAssertion:
    """A literal (equality) or {operator: operand}; the path is filled in later."""
    path = ""
    if isinstance(expected, JsonAssertion):
        return expected
    if not isinstance(expected, dict):
        return JsonAssertion(path, "eq", expected)
    if len(expected) != 1:
        raise ValueError(
            f"expected one operator ({', '.join(JSON_OPERATORS)}), got {len(expected)} keys; "
            "to compare with an object, write {eq: {...}}"
        )
    ((op, operand),) = expected.items()
    if op not in JSON_OPERATORS:
        from e2echeck.config._suggest import did_you_mean

        raise ValueError(
            f"unknown operator {op!r}{did_you_mean(str(op), JSON_OPERATORS)}; "
            f"expected one of {', '.join(JSON_OPERATORS)}"
        )
    if op in ("gt", "ge", "lt", "le") and (
        isinstance(operand, bool) or not isinstance(operand, int | float | str)
    ):
        raise ValueError(f"{op} needs a number or a string; got {operand!r}")
    if op == "matches":
        if not isinstance(operand, str):
            raise ValueError(f"matches needs a regular expression; got {operand!r}")
        _check_regex(operand)
    if op == "exists" and not isinstance(operand, bool):
        raise ValueError(f"exists needs true or false; got {operand!r}")
    if op == "type" and operand not in JSON_TYPES:
        raise ValueError(f"type needs one of {', '.join(JSON_TYPES)}; got {operand!r}")
    return JsonAssertion(path, str(op), operand)


def _json_operator_schema() -> dict[str, Any]:
    scalar = {"type": ["string", "number", "boolean"]}
    ops: dict[str, Any] = {
        "eq": {"description": "Equal to this value."},
        "ne": {"description": "Not equal to this value."},
        "gt": {**scalar, "description": "Greater than this number (or string)."},
        "ge": {**scalar, "description": "Greater than or equal to this number (or string)."},
        "lt": {**scalar, "description": "Less than this number (or string)."},
        "le": {**scalar, "description": "Less than or equal to this number (or string)."},
        "contains": {"description": "The string contains this text, or the array this item."},
        "matches": {
            "type": "string",
            "description": "The string matches this regular expression (search).",
        },
        "exists": {"type": "boolean", "description": "The path selects something (or nothing)."},
        "type": {
            "enum": list(JSON_TYPES),
            "description": "The JSON type of the selected value.",
        },
    }
    return {
        "anyOf": [
            {
                "type": ["string", "number", "integer", "boolean", "null", "array"],
                "description": "A literal: the selected value must equal it.",
            },
            {
                "type": "object",
                "properties": ops,
                "additionalProperties": False,
                "minProperties": 1,
                "maxProperties": 1,
                "description": "One operator and its operand, e.g. {gt: 1}.",
            },
        ]
    }


JsonPathKey = Annotated[str, AfterValidator(_check_json_path_key)]
JsonOperand = Annotated[
    JsonAssertion,
    BeforeValidator(_parse_json_operand),
    WithJsonSchema(_json_operator_schema()),
]


class Expect(_Model):
    """What a response must look like for the check (or step) to pass."""

    status: StatusSpec = Field(
        default=("2xx",),
        description='Accepted status: 200, [200, 204], or a class like "2xx". Default: any 2xx.',
    )
    body_contains: list[str] = Field(
        default_factory=list, description="Texts the body must contain, each of them."
    )
    body_not_contains: list[str] = Field(
        default_factory=list, description="Texts the body must not contain."
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
    tls_cert_min_days: int | None = Field(
        default=None,
        ge=0,
        description="The server's TLS certificate must stay valid at least this many days.",
    )

    @field_validator("body_contains", "body_not_contains", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("body_matches")
    @classmethod
    def _valid_regex(cls, value: str | None) -> str | None:
        return None if value is None else _check_regex(value)

    @field_validator("json_assertions")
    @classmethod
    def _name_json_assertions(cls, value: dict[str, JsonAssertion]) -> dict[str, JsonAssertion]:
        return {path: replace(assertion, path=path) for path, assertion in value.items()}

    @property
    def json_checks(self) -> list[JsonAssertion]:
        return list(self.json_assertions.values())


class HeaderCapture(_Model):
    header: str = Field(description="Capture the value of this response header.")


class RegexCapture(_Model):
    regex: str = Field(description="Capture the first group of this regular expression.")

    @field_validator("regex")
    @classmethod
    def _valid_regex(cls, value: str) -> str:
        _check_regex(value)
        if re.compile(value).groups < 1:
            raise ValueError(f"the regular expression {value!r} needs a group: (...)")
        return value


_CAPTURE_HELP = 'a JSONPath such as "$.id", {header: Name} or {regex: pattern}'


def _check_capture_name(name: str) -> str:
    if not re.match(CAPTURE_NAME_PATTERN, name):
        raise ValueError(
            "expected a capture name of letters, digits and _, not starting with a digit; "
            f"got {name!r}"
        )
    return name


def _check_capture_path(path: str) -> str:
    if not path.startswith("$"):
        raise ValueError(f"expected {_CAPTURE_HELP}; got {path!r}")
    return _check_jsonpath(path)


def _precheck_capture(value: Any) -> Any:
    """One clear message for a capture that is none of the three kinds."""
    if isinstance(value, str | HeaderCapture | RegexCapture):
        return value
    if not isinstance(value, dict):
        raise ValueError(f"expected {_CAPTURE_HELP}; got {value!r}")
    kinds = [key for key in ("header", "regex") if key in value]
    if len(kinds) > 1:
        raise ValueError("give one of header or regex, not both")
    if not kinds:
        from e2echeck.config._suggest import did_you_mean

        keys = [str(key) for key in value]
        hint = did_you_mean(keys[0], ("header", "regex")) if keys else ""
        got = f"unknown key {keys[0]!r}{hint}; " if keys else ""
        raise ValueError(f"{got}expected {_CAPTURE_HELP}")
    return value


def _capture_kind(value: Any) -> str:
    # Tags in <> never collide with a key of the data (error locations hold both).
    if isinstance(value, HeaderCapture):
        return "<header>"
    if isinstance(value, RegexCapture):
        return "<regex>"
    if isinstance(value, dict):
        return "<regex>" if "regex" in value else "<header>"
    return "<jsonpath>"


CaptureName = Annotated[str, AfterValidator(_check_capture_name)]
Capture = Annotated[
    Annotated[
        str,
        AfterValidator(_check_capture_path),
        WithJsonSchema(
            {"type": "string", "pattern": r"^\$", "description": 'A JSONPath, e.g. "$.id".'}
        ),
        Tag("<jsonpath>"),
    ]
    | Annotated[HeaderCapture, Tag("<header>")]
    | Annotated[RegexCapture, Tag("<regex>")],
    Discriminator(_capture_kind),
    BeforeValidator(_precheck_capture),
    Field(description='A JSONPath ("$.id"), {header: Name}, or {regex: pattern}.'),
]

ParamScalar = str | int | float | bool


def _check_param(value: Any) -> Any:
    scalar = (str, int, float, bool)
    if isinstance(value, scalar) or (
        isinstance(value, list) and all(isinstance(item, scalar) for item in value)
    ):
        return value
    kind = "a mapping" if isinstance(value, dict) else repr(value)
    if isinstance(value, list):
        kind = "a list with a mapping, list or null in it"
    raise ValueError(f"expected a string, number, boolean, or a list of them; got {kind}")


ParamValue = Annotated[ParamScalar | list[ParamScalar], BeforeValidator(_check_param)]


class _Request(_Model):
    """The request fields shared by a single-request check and a scenario step."""

    method: Method = Field(default="GET", description="HTTP method.")
    url: str | None = Field(default=None, description="Absolute http:// or https:// URL.")
    headers: dict[str, str] = Field(default_factory=dict, description="Request headers.")
    params: dict[str, ParamValue] = Field(
        default_factory=dict, description="Query string parameters."
    )
    body: str | None = Field(default=None, description="A raw request body.")
    json_body: Any = Field(default=None, alias="json", description="A JSON request body.")
    form: dict[str, str] | None = Field(default=None, description="A form-encoded body.")
    expect: Expect = Field(default_factory=Expect, description="What the response must be.")

    @field_validator("method", mode="before")
    @classmethod
    def _upper_method(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

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


class Step(_Request):
    """One request of a multi-step scenario."""

    name: str = Field(pattern=NAME_PATTERN, description="The step's name, shown when it fails.")
    url: str = Field(description="Absolute URL; may use {{ capture }} from earlier steps.")
    capture: dict[CaptureName, Capture] = Field(
        default_factory=dict,
        description="Values to keep for later steps, read as {{ name }}.",
        json_schema_extra={"propertyNames": {"pattern": CAPTURE_NAME_PATTERN}},
    )


class _Overridable(_Model):
    """Settings that `defaults` gives every check and a check may override."""

    timeout: Duration | None = Field(
        default=None, description="Per request, from sending it to the body's last byte."
    )
    retries: int | None = Field(
        default=None, ge=0, le=10, description="Extra attempts before a check counts as failed."
    )
    retry_delay: Duration | None = Field(
        default=None, description="First delay between attempts; grows exponentially."
    )
    severity: Severity | None = Field(default=None, description="PagerDuty severity.")
    follow_redirects: bool | None = Field(default=None, description="Follow 3xx redirects.")
    verify_tls: bool | None = Field(default=None, description="Verify TLS certificates.")
    failure_threshold: int | None = Field(
        default=None, ge=1, description="Consecutive failed runs before trigger (needs state)."
    )
    success_threshold: int | None = Field(
        default=None, ge=1, description="Consecutive passed runs before resolve (needs state)."
    )


class Defaults(_Overridable):
    """Settings for every check; each key can be overridden per check."""

    timeout: Duration = Field(
        default=10.0,
        description="Per request, from sending it to the body's last byte. Default 10s.",
    )
    retries: int = Field(
        default=2, ge=0, le=10, description="Extra attempts before a check fails. Default 2."
    )
    retry_delay: Duration = Field(
        default=1.0, description="First delay between attempts; grows exponentially. Default 1s."
    )
    severity: Severity = Field(default="critical", description="PagerDuty severity.")
    follow_redirects: bool = Field(default=True, description="Follow 3xx redirects.")
    verify_tls: bool = Field(default=True, description="Verify TLS certificates.")
    failure_threshold: int = Field(
        default=1, ge=1, description="Consecutive failed runs before trigger (needs state)."
    )
    success_threshold: int = Field(
        default=1, ge=1, description="Consecutive passed runs before resolve (needs state)."
    )
    headers: dict[str, str] = Field(
        default_factory=lambda: {"User-Agent": DEFAULT_USER_AGENT},
        description="Headers sent with every request (a check's headers override them).",
    )


class Check(_Request, _Overridable):
    """One check: a single request, or a multi-step scenario under `steps`."""

    name: str = Field(
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
    role: Role = Field(
        default="service",
        description="`control` checks test the checker's own connectivity (SPEC section 5).",
    )
    enabled: bool = Field(default=True, description="false keeps the check without running it.")
    description: str | None = Field(default=None, description="Free text for people.")

    @model_validator(mode="before")
    @classmethod
    def _request_or_steps(cls, data: Any) -> Any:
        if isinstance(data, dict) and "steps" in data:
            request_fields = [
                key
                for key in ("url", "method", "headers", "params", "body", "json", "form", "expect")
                if key in data
            ]
            if request_fields:
                raise PydanticCustomError(
                    "conflicting_fields",
                    "a check has either request fields or steps, never both; "
                    "move {fields} into a step",
                    {"fields": ", ".join(request_fields), "field": request_fields[0]},
                )
        elif isinstance(data, dict) and "url" not in data:
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


class PagerDutyConfig(_Model):
    """Where and how events are sent (PagerDuty Events API v2)."""

    routing_key: str | None = Field(
        default=None,
        description="Integration (routing) key; use ${PAGERDUTY_ROUTING_KEY}, never a literal.",
    )
    region: Literal["us", "eu"] = Field(default="us", description="PagerDuty service region.")
    events_url: str | None = Field(
        default=None,
        description="Full Events API URL, instead of region (proxies, tests).",
    )
    send_resolve: bool = Field(default=True, description="Send resolve when a check passes.")
    client: str = Field(default="e2echeck", description="Shown in PagerDuty as the client.")
    client_url: str | None = Field(default=None, description="Link shown with the client.")

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


class StateConfig(_Model):
    """Where the alert state is kept between runs."""

    path: str = Field(description="A JSON file, or s3://bucket/key (with the aws extra).")


class HeartbeatConfig(_Model):
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


class Config(_Model):
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
    state: StateConfig | None = Field(
        default=None,
        description="Enables thresholds, change-only events and redelivery.",
    )
    heartbeat: HeartbeatConfig | None = Field(
        default=None, description="Dead man's switch pinged after every run."
    )
    checks: list[Check] = Field(min_length=1, description="The checks.")

    _source: str = PrivateAttr(default="<memory>")
    _secrets: frozenset[str] = PrivateAttr(default=frozenset())
    _unset_routing_keys: tuple[Any, ...] = PrivateAttr(default=())

    @property
    def unset_routing_keys(self) -> tuple[Any, ...]:
        """Problems (file, line, field) for routing keys whose ${VAR} is unset."""
        return self._unset_routing_keys

    @property
    def source(self) -> str:
        """The file this config was read from."""
        return self._source

    @property
    def secrets(self) -> frozenset[str]:
        """Every value that must never leave the process (SPEC section 5)."""
        found = set(self._secrets)
        if self.pagerduty and self.pagerduty.routing_key:
            found.add(self.pagerduty.routing_key)
        for check in self.checks:
            if check.routing_key:
                found.add(check.routing_key)
            requests: list[_Request] = [*check.steps] if check.steps else [check]
            for headers in [self.defaults.headers, *(r.headers for r in requests)]:
                for name, value in headers.items():
                    if name.lower() in SECRET_HEADERS and value:
                        found.add(value)
                        # "Bearer abc": the token alone must not leak either.
                        found.update(part for part in value.split() if len(part) >= 8)
        return frozenset(value for value in found if value)

    def settings_for(self, check: Check) -> CheckSettings:
        defaults = self.defaults

        def pick(name: str) -> Any:
            own = getattr(check, name)
            return getattr(defaults, name) if own is None else own

        return CheckSettings(
            timeout=pick("timeout"),
            retries=pick("retries"),
            retry_delay=pick("retry_delay"),
            severity=pick("severity"),
            follow_redirects=pick("follow_redirects"),
            verify_tls=pick("verify_tls"),
            failure_threshold=pick("failure_threshold"),
            success_threshold=pick("success_threshold"),
            headers=merge_headers({"User-Agent": DEFAULT_USER_AGENT}, defaults.headers),
        )

    def routing_key_for(self, check: Check) -> str | None:
        if check.routing_key:
            return check.routing_key
        return self.pagerduty.routing_key if self.pagerduty else None


SECRET_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization", "x-api-key"})


def merge_headers(*layers: dict[str, str]) -> dict[str, str]:
    """Later layers override earlier ones, header names compared case-insensitively."""
    merged: dict[str, tuple[str, str]] = {}
    for layer in layers:
        for name, value in layer.items():
            merged[name.lower()] = (name, value)
    return dict(merged.values())
