"""The `redact` section, and the secrets a config holds before anything runs.

A value is a secret when it came from a secret reference, from an environment
variable whose name looks sensitive (or is listed in `redact.env`), when it is
a routing key, a webhook's URL or signing secret, or when it sits in a
sensitive position: a header, query parameter, form field or JSON key whose
name looks sensitive. Everything else (base URLs from `${E2E_API_URL}`, paths,
ids) prints in full.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema

from e2echeck.config._base import ConfigModel
from e2echeck.redaction.names import MIN_SECRET_LENGTH, NameRule
from e2echeck.redaction.redactor import Redactor
from e2echeck.redaction.scrub import add_secret, collect_sensitive

if TYPE_CHECKING:
    from e2echeck.config.interpolation import Interpolator
    from e2echeck.config.models import Config
    from e2echeck.config.problems import Loc, Problem
    from e2echeck.config.yaml_reader import PositionedReader


_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


def _check_env_name(name: str) -> str:
    if not re.fullmatch(_ENV_NAME.strip("^$"), name):
        raise ValueError(
            f"expected an environment variable name (letters, digits and _, not starting "
            f"with a digit); got {name!r}"
        )
    return name


EnvName = Annotated[
    str,
    AfterValidator(_check_env_name),
    WithJsonSchema({"type": "string", "pattern": _ENV_NAME}),
]
SensitiveName = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class RedactConfig(ConfigModel):
    """More secrets than the built-in rule finds."""

    env: list[EnvName] = Field(
        default_factory=list,
        description="Environment variables whose values are secrets whatever their names.",
    )
    names: list[SensitiveName] = Field(
        default_factory=list,
        description="More sensitive words: a header, query parameter, form field, JSON key or "
        "capture whose name contains one (any case) holds a secret.",
    )


def config_secrets(
    config: Config, env_values: Mapping[str, Iterable[str]], rule: NameRule
) -> frozenset[str]:
    """Every secret value of `config`: see the module's docstring."""
    found: set[str] = set()
    listed = set(config.redact.env)
    for name, values in env_values.items():
        if name in listed or rule.sensitive(name):
            for value in values:
                add_secret(found, value)
    if config.pagerduty and config.pagerduty.routing_key:
        found.add(config.pagerduty.routing_key)
    for hook in config.webhooks.values():  # a webhook URL is as good as a routing key
        found.add(hook.url)
        if hook.secret:
            found.add(hook.secret)
    _headers(config.defaults.headers, rule, found)
    if config.pagerduty:
        _userinfo(config.pagerduty.events_url, found)
        _userinfo(config.pagerduty.client_url, found)
    for hook in config.webhooks.values():
        _userinfo(hook.url, found)
    if config.heartbeat:
        _query(config.heartbeat.url, rule, found)
        _userinfo(config.heartbeat.url, found)
    for check in config.checks:
        if check.routing_key:
            found.add(check.routing_key)
        for request in [*check.steps] if check.steps else [check]:
            _request(request, rule, found)
    return frozenset(value for value in found if value)


def identity_problems(config: Config, reader: PositionedReader) -> list[Problem]:
    """A configured secret inside a check's name, dedup key or tag: these name an
    alert (in PagerDuty, the state and metric labels) and are never masked, so
    the secret would leave the process; masking them instead would merge two
    checks into one alert. Each is an error at its position, quoting no value."""
    secrets = [s for s in config.secrets if len(s) >= MIN_SECRET_LENGTH]
    if not secrets:
        return []
    found: list[Problem] = []
    for index, check in enumerate(config.checks):
        places: list[tuple[Loc, str, str]] = [(("checks", index, "name"), "name", check.name)]
        if check.dedup_key:
            places.append((("checks", index, "dedup_key"), "dedup key", check.dedup_key))
        places.extend(
            (("checks", index, "tags", n), "tag", tag) for n, tag in enumerate(check.tags)
        )
        for loc, what, value in places:
            if any(secret in value for secret in secrets):
                found.append(
                    reader.problem(
                        loc,
                        f"this {what} contains the value of a secret: its value would be "
                        "sent to PagerDuty and metrics unmasked; rename the check",
                    )
                )
    return found


def config_redactor(config: Config) -> Redactor:
    """The config's secrets and sensitive names (redact.names): what masks output
    before a run has found secrets of its own."""
    return Redactor(config.secrets, config.name_rule)


def _templated(value: str) -> bool:
    return "{{" in value  # filled at run time: the engine records the filled value


def _headers(headers: Mapping[str, str], rule: NameRule, found: set[str]) -> None:
    for name, value in headers.items():
        if rule.sensitive(name) and value and not _templated(value):
            add_secret(found, value)


def _query(url: str | None, rule: NameRule, found: set[str]) -> None:
    if url and "?" in url:
        for name, value in parse_qsl(urlsplit(url).query):
            if rule.sensitive(name) and not _templated(value):
                add_secret(found, value)


def _userinfo(url: str | None, found: set[str]) -> None:
    """The password of `https://user:password@host/`, as written and decoded: it
    is quoted by errors that print no URL (a proxy's refusal, a delivery error)."""
    if url and "@" in url and not _templated(url):
        try:
            password = urlsplit(url).password
        except ValueError:
            return
        if password:
            add_secret(found, password)
            add_secret(found, unquote(password))


def _request(request: Any, rule: NameRule, found: set[str]) -> None:
    _headers(request.headers, rule, found)
    _query(request.url, rule, found)
    _userinfo(request.url, found)
    for name, value in request.params.items():
        if rule.sensitive(name):
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and not _templated(item):
                    add_secret(found, item)
                elif not isinstance(item, str | bool) and item is not None:
                    add_secret(found, str(item))
    for name, value in (request.form or {}).items():
        if rule.sensitive(name) and not _templated(value):
            add_secret(found, value)
    if request.json_body is not None:
        collected: set[str] = set()
        collect_sensitive(request.json_body, rule, collected)
        found.update(value for value in collected if not _templated(value))


def mask_problems(
    problems: list[Problem], interpolate: Interpolator, document: Any = None
) -> list[Problem]:
    """Problems whose messages quote no secret: a bad value read from a secret
    reference or a sensitive variable (`timeout: ${DB_PASSWORD}`) shows as ***."""
    from dataclasses import replace

    from e2echeck.redaction.names import name_rule

    section = document.get("redact") if isinstance(document, dict) else None
    names = section.get("env") if isinstance(section, dict) else None
    listed = {name for name in names if isinstance(name, str)} if isinstance(names, list) else set()
    rule = name_rule()
    found = set(interpolate.secrets)
    for name, values in interpolate.env_values.items():
        if name in listed or rule.sensitive(name):
            found.update(values)
    if not found:
        return problems
    redactor = Redactor(found, rule)
    return [replace(p, message=redactor.text(p.message)) for p in problems]
