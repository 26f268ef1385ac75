"""One attempt at a check: a single request, or the steps of a scenario in order.

Steps share their cookies; captures (JSONPath, header, regex) feed `{{ name }}`
in the url, headers, params and bodies of later steps. The first failing step
fails the attempt and the later steps do not run.

Secrets born at run time (a secret capture's value, a value filled into a
sensitive position, a Set-Cookie or `access_token` of a scenario's response or
of a failing one) are gathered into the plan's `secrets`, for the reports
and events to mask; a passing single request costs nothing here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from e2echeck.config.models import (
    TEMPLATE_REFERENCE,
    Check,
    CheckSettings,
    Expect,
    HeaderCapture,
    JsonPathCapture,
    RegexCapture,
    merge_headers,
)
from e2echeck.kinds.base import Attempt
from e2echeck.kinds.http.assertions import compiled_regex, evaluate
from e2echeck.kinds.http.details import HttpDetails
from e2echeck.kinds.http.exchange import EXCERPT_LIMIT, TOO_DEEP, Exchange, RequestFailed
from e2echeck.kinds.http.request import RequestSpec
from e2echeck.kinds.http.unsendable import unsendable
from e2echeck.redaction.names import NameRule, name_rule
from e2echeck.redaction.runtime import (
    failure_excerpt,
    filled_secrets,
    response_secrets,
    secret_capture,
    sensitive_templates,
)
from e2echeck.redaction.scrub import add_secret

if TYPE_CHECKING:
    from e2echeck.kinds.http.request import HttpPool


@dataclass(slots=True)
class StepPlan:
    """A request of a check with its settings applied, templates still unfilled."""

    name: str | None  # None for a single-request check
    method: str
    url: str
    headers: dict[str, str]
    params: dict[str, Any] | None
    content: str | None
    json: Any
    form: dict[str, str] | None
    expect: Expect
    capture: dict[str, Any]
    templated: bool
    need_cert: bool
    secret_captures: frozenset[str] = frozenset()
    sensitive_templates: bool = False  # a template fills a sensitive position


@dataclass(slots=True)
class HttpPlan:
    """An HTTP check ready to run: a single request, or a scenario's steps."""

    kind: ClassVar[str] = "http"

    check: Check
    settings: CheckSettings
    steps: list[StepPlan]
    rule: NameRule
    secrets: set[str] = field(default_factory=set)  # found at run time (see run_attempt)

    def latency_budgets(self) -> Iterator[float]:
        """Each step's max_response_time."""
        for step in self.steps:
            if step.expect.max_response_time is not None:
                yield step.expect.max_response_time

    def untried(self) -> HttpDetails:
        first = self.steps[0]
        return HttpDetails(method=first.method, url=first.url)


def plan_check(check: Check, settings: CheckSettings, rule: NameRule | None = None) -> HttpPlan:
    rule = rule if rule is not None else name_rule()
    requests: list[Any] = list(check.steps) if check.steps else [check]
    steps = []
    for request in requests:
        capture = dict(getattr(request, "capture", None) or {})
        templated = any(
            _has_reference(value)
            for value in (
                request.url,
                request.headers,
                request.params,
                request.body,
                request.json_body,
                request.form,
            )
        )
        steps.append(
            StepPlan(
                name=request.name if check.steps else None,
                method=request.method,
                url=request.url,
                headers=merge_headers(settings.headers, request.headers),
                params=dict(request.params) or None,
                content=request.body,
                json=request.json_body,
                form=dict(request.form) if request.form is not None else None,
                expect=request.expect,
                capture=capture,
                templated=templated,
                need_cert=request.expect.tls_cert_min_days is not None,
                secret_captures=frozenset(
                    name for name, spec in capture.items() if secret_capture(name, spec, rule)
                ),
                sensitive_templates=templated and sensitive_templates(request, rule),
            )
        )
    return HttpPlan(check, settings, steps, rule)


def _has_reference(value: Any) -> bool:
    if isinstance(value, str):
        return "{{" in value and TEMPLATE_REFERENCE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_reference(k) or _has_reference(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_reference(item) for item in value)
    return False


def _fill(text: str, captures: dict[str, Any]) -> str:
    def replace(match: Any) -> str:
        value = captures.get(match.group(1))
        if value is None and match.group(1) not in captures:
            return str(match.group(0))  # the loader rejects unknown names; keep it visible
        return as_text(value)

    return TEMPLATE_REFERENCE.sub(replace, text)


def _fill_json(value: Any, captures: dict[str, Any]) -> Any:
    """Templates in a JSON body; a string that is exactly one reference keeps
    the captured value's JSON type (a captured number stays a number)."""
    if isinstance(value, str):
        match = TEMPLATE_REFERENCE.fullmatch(value)
        if match and match.group(1) in captures:
            return captures[match.group(1)]
        return _fill(value, captures)
    if isinstance(value, dict):
        return {_fill(str(k), captures): _fill_json(v, captures) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill_json(item, captures) for item in value]
    return value


def _fill_params(params: dict[str, Any], captures: dict[str, Any]) -> dict[str, Any]:
    def one(value: Any) -> Any:
        return _fill(value, captures) if isinstance(value, str) else value

    return {
        _fill(key, captures): [one(v) for v in value] if isinstance(value, list) else one(value)
        for key, value in params.items()
    }


def as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def render(step: StepPlan, settings: CheckSettings, captures: dict[str, Any]) -> RequestSpec:
    if not step.templated:
        return RequestSpec(
            method=step.method,
            url=step.url,
            headers=step.headers,
            params=step.params,
            content=step.content,
            json=step.json,
            form=step.form,
            timeout=settings.timeout,
            follow_redirects=settings.follow_redirects,
            verify_tls=settings.verify_tls,
            need_cert=step.need_cert,
            ca_file=settings.ca_file,
        )
    return RequestSpec(
        method=step.method,
        url=_fill(step.url, captures),
        headers={k: _fill(v, captures) for k, v in step.headers.items()},
        params=_fill_params(step.params, captures) if step.params else None,
        content=_fill(step.content, captures) if step.content is not None else None,
        json=_fill_json(step.json, captures) if step.json is not None else None,
        form={k: _fill(v, captures) for k, v in step.form.items()} if step.form else step.form,
        timeout=settings.timeout,
        follow_redirects=settings.follow_redirects,
        verify_tls=settings.verify_tls,
        need_cert=step.need_cert,
        ca_file=settings.ca_file,
    )


def capture_values(
    capture: dict[str, Any],
    exchange: Exchange,
    captures: dict[str, Any],
    secret: frozenset[str] = frozenset(),
    secrets: set[str] | None = None,
) -> list[str]:
    """Store each capture of a step in `captures`; the failures, if any."""
    from e2echeck.config.jsonpath import find_all

    failures: list[str] = []
    for name, spec in capture.items():
        if isinstance(spec, HeaderCapture):
            value = exchange.headers.get(spec.header)
            if value is None:
                failures.append(f"cannot capture {name}: the response has no {spec.header} header")
                continue
            captures[name] = value
        elif isinstance(spec, RegexCapture):
            match = compiled_regex(spec.regex).search(exchange.text)
            if match is None:
                failures.append(f"cannot capture {name}: /{spec.regex}/ found nothing in the body")
                continue
            captures[name] = match.group(1)
        else:
            if isinstance(spec, JsonPathCapture):
                spec = spec.json_path
            try:
                document = exchange.json()
            except ValueError as exc:
                failures.append(f"cannot capture {name} from {spec}: {exc}")
                continue
            try:
                found = find_all(spec, document)
            except RecursionError:
                failures.append(f"cannot capture {name} from {spec}: the body is {TOO_DEEP}")
                continue
            if not found:
                failures.append(f"cannot capture {name}: {spec} was not found in the body")
                continue
            captures[name] = found[0]
        if secrets is not None and name in secret and name in captures:
            add_secret(secrets, as_text(captures[name]))
    return failures


async def run_attempt(
    plan: HttpPlan,
    http: HttpPool,
    secrets: set[str] | None = None,
    origins: Mapping[str, str] | None = None,
) -> Attempt:
    """Run every step of `plan` once, stopping at the first failing step.

    The run-time secrets found are added to `secrets`, by default the plan's
    own (kept across attempts and re-checks, for the check's result).
    `origins`: where the config's substituted values came from, to name them
    when one makes a request unsendable (unsendable.py)."""
    settings = plan.settings
    found = plan.secrets if secrets is None else secrets
    rule = plan.rule
    scenario = len(plan.steps) > 1
    captures: dict[str, Any] = {}
    cookies: Any = None
    elapsed = 0.0
    last: Exchange | None = None
    for step in plan.steps:
        spec = render(step, settings, captures)
        if step.sensitive_templates:
            filled_secrets(spec, rule, found)
        prefix = f"step {step.name}: " if step.name is not None else ""
        refused = unsendable(spec, origins or {}, {**step.headers, "url": step.url})
        if refused is not None:
            reason, in_query = refused
            return Attempt(
                ok=False,
                failures=[prefix + reason],
                elapsed=elapsed,
                details=HttpDetails(
                    method=spec.method,
                    url=spec.url.partition("?")[0] if in_query else spec.url,
                    failed_step=step.name,
                ),
            )
        try:
            exchange, cookies = await http.exchange(spec, cookies)
        except RequestFailed as failed:
            return Attempt(
                ok=False,
                failures=[prefix + failed.reason],
                elapsed=elapsed + failed.elapsed,
                details=HttpDetails(
                    method=spec.method, url=failed.url or spec.url, failed_step=step.name
                ),
                latency_budget=settings.timeout if failed.timed_out else None,
            )
        elapsed += exchange.elapsed
        last = exchange
        failures = evaluate(step.expect, exchange)
        document = response_secrets(exchange, rule, found) if scenario or failures else None
        if not failures and step.capture:
            failures = capture_values(step.capture, exchange, captures, step.secret_captures, found)
        if failures:
            limit = step.expect.max_response_time
            only_latency = len(failures) == 1 and limit is not None and exchange.elapsed > limit
            excerpt = failure_excerpt(exchange.excerpt(), rule, document, EXCERPT_LIMIT)
            return Attempt(
                ok=False,
                failures=[prefix + reason for reason in failures],
                elapsed=elapsed,
                details=HttpDetails(
                    url=exchange.url,
                    method=exchange.method,
                    status_code=exchange.status_code,
                    failed_step=step.name,
                    body_excerpt=excerpt,
                ),
                latency_budget=limit if only_latency else None,
            )
    assert last is not None
    return Attempt(
        ok=True,
        failures=[],
        elapsed=elapsed,
        details=HttpDetails(url=last.url, method=last.method, status_code=last.status_code),
    )
