"""The HTTP kind's part of checks.yaml: a request (method, url, headers, params,
a body), what its response must be (`expect`), and the steps of a scenario.

`Check` (models.py) is these request fields plus the kind-neutral ones (name,
role, tags, settings); the engine's HTTP kind (e2echeck.kinds.http) runs them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from pydantic import (
    ConfigDict,
    Field,
    JsonValue,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from e2echeck.config._base import ConfigModel
from e2echeck.config.captures import CAPTURE_NAME_PATTERN, Capture, CaptureName
from e2echeck.config.dns import AnswersExpect, RcodeName
from e2echeck.config.fields import NAME_PATTERN, MethodName, ParamValue, Texts
from e2echeck.config.json_assertions import JSON_OPERATORS, JsonOperand, JsonPathKey, check_regex
from e2echeck.config.json_assertions import JsonAssertion as JsonAssertion
from e2echeck.config.sockets import TlsVersionName
from e2echeck.config.types import AlsoAsText, Duration, NonNegativeWhole, StatusSpec
from e2echeck.config.urls import check_target_url


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
    tls_cert_min_days: NonNegativeWhole | None = Field(
        default=None,
        description="The server's TLS certificate must stay valid at least this many days "
        "(an error on a URL written as http://, which has none).",
    )
    banner: str | None = Field(
        default=None,
        description="tcp:// only: a regular expression that must match what the server "
        "sends first (or answers `send`).",
    )
    rcode: RcodeName | None = Field(
        default=None,
        description="dns:// only: the resolver's answer code (NOERROR, NXDOMAIN, SERVFAIL...). "
        "Default NOERROR, with at least one record of the type asked.",
    )
    answers: AnswersExpect | None = Field(
        default=None,
        description="dns:// only: the records of the answer: contains, equals, matches.",
    )
    tls_min_version: TlsVersionName | None = Field(
        default=None,
        description="tls:// and starttls:// only: the lowest TLS version the handshake may "
        'settle on: "1.0", "1.1", "1.2" or "1.3".',
    )

    @field_validator("body_matches", "banner")
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


class HttpRequest(ConfigModel):
    """The request fields shared by a single-request check and a scenario step."""

    method: MethodName = Field(default="GET", description="HTTP method (any case).")
    url: str | None = Field(
        default=None,
        description="What to check; its scheme picks the kind: http(s)://, tcp://host:port, "
        "tls://host:port, starttls://host:port, dns://resolver[:port].",
    )
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
        return None if value is None else check_target_url(value, info)

    @model_validator(mode="after")
    def _one_body(self) -> HttpRequest:
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


BODY_FIELDS = ("body", "json", "form")
# A URL written with the http scheme (any case): no TLS, so no certificate to check.
PLAIN_HTTP_PATTERN = "^[Hh][Tt][Tt][Pp]://"
REQUEST_FIELDS = ("url", "method", "headers", "params", *BODY_FIELDS, "expect")


def _at_most_one_body(schema: dict[str, Any]) -> None:
    """JSON Schema: no two of body, json, form given (null counts as not given)."""

    def given(name: str) -> dict[str, Any]:
        return {"not": {"type": "null"}, "description": f"{name} is given."}

    schema.setdefault("allOf", []).extend(
        {
            "not": {"required": [a, b], "properties": {a: given(a), b: given(b)}},
            "description": f"At most one of {', '.join(BODY_FIELDS)}.",
        }
        for index, a in enumerate(BODY_FIELDS)
        for b in BODY_FIELDS[index + 1 :]
    )


def _no_certificate_on_plain_http(schema: dict[str, Any]) -> None:
    """JSON Schema: no tls_cert_min_days on a URL written as a literal http:// URL."""
    schema.setdefault("allOf", []).append(
        {
            "if": {
                "required": ["url"],
                "properties": {
                    "url": {
                        "type": "string",
                        "pattern": PLAIN_HTTP_PATTERN,
                        "description": "A URL written as http://.",
                    }
                },
            },
            "then": {
                "properties": {
                    "expect": {
                        "properties": {
                            "tls_cert_min_days": {
                                "type": "null",
                                "description": "No certificate to check on http://.",
                            }
                        },
                        "description": "Without tls_cert_min_days.",
                    }
                }
            },
            "description": "tls_cert_min_days needs an https:// URL.",
        }
    )


def request_schema(schema: dict[str, Any]) -> None:
    """JSON Schema of a step: at most one body, no certificate check on http://."""
    _at_most_one_body(schema)
    _no_certificate_on_plain_http(schema)


def request_or_steps_schema(schema: dict[str, Any]) -> None:
    """JSON Schema: a url or steps; with steps, none of the request fields."""
    request_schema(schema)
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
        "steps": {"not": {"anyOf": [{"required": [key]} for key in REQUEST_FIELDS]}}
    }


class Step(HttpRequest):
    """One request of a multi-step scenario."""

    model_config = ConfigDict(json_schema_extra=request_schema)

    name: Annotated[str, AlsoAsText()] = Field(
        pattern=NAME_PATTERN, description="The step's name, shown when it fails."
    )
    url: str = Field(description="Absolute URL; may use {{ capture }} from earlier steps.")
    capture: dict[CaptureName, Capture] = Field(
        default_factory=dict,
        description="Values to keep for later steps, read as {{ name }}.",
        json_schema_extra={"propertyNames": {"pattern": CAPTURE_NAME_PATTERN}},
    )


def request_or_steps(data: Any) -> Any:
    """A check's input has request fields or steps, never both, and one of them."""
    if isinstance(data, dict) and "steps" in data:
        request_fields = [key for key in REQUEST_FIELDS if key in data]
        if request_fields:
            raise PydanticCustomError(
                "conflicting_fields",
                "a check has either request fields or steps, never both; move {fields} into a step",
                {"fields": ", ".join(request_fields), "field": request_fields[0]},
            )
    if isinstance(data, dict) and data.get("url") is None and data.get("steps") is None:
        raise ValueError("a check needs a url (a single request) or steps (a scenario)")
    return data
