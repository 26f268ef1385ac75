"""The JSON Schema (`e2echeck schema`) accepts every file the loader accepts.

Configs are generated from the models' own space (a text or a list, methods in
any case, numbers and booleans as text, every assertion form and operator,
scenarios with captures, defaults, pagerduty, state, heartbeat, redact, locations, ${VAR}
references), and every example config of the repository is checked too: the
loader accepts each, and so must the schema an editor validates with.
"""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from e2echeck.config import check_config_text
from e2echeck.config.fields import METHODS
from e2echeck.config.json_assertions import JSON_OPERATORS, JSON_TYPES
from e2echeck.config.models import Config
from e2echeck.config.schema import json_schema
from e2echeck.config.secret_refs import collecting
from e2echeck.config.types import FLAG_WORDS, parse_duration

REPO = Path(__file__).resolve().parents[2]
VALIDATOR = jsonschema.Draft202012Validator(json_schema())
# What the ${VAR} references of the generated configs resolve to.
ENV = {"RETRIES": "3", "TIMEOUT": "250ms", "VERIFY": "false", "SEVERITY": "warning"}

Draw = st.DrawFn


def _random_case(word: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda flips: "".join(
            c.upper() if f else c.lower() for c, f in zip(word, flips, strict=True)
        )
    )


names = st.from_regex(r"\A[A-Za-z0-9._-]{1,24}\Z").filter(lambda n: n != "e2echeck-control")
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
urls = st.sampled_from(
    ["https://a.test/", "http://127.0.0.1:8080/health?x=1", "https://b.test/api/v1/items"]
)
headers = st.dictionaries(st.from_regex(r"\A[A-Za-z][A-Za-z0-9-]{0,12}\Z"), texts, max_size=3)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    texts,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)),
    max_leaves=6,
)


def whole_numbers(low: int, high: int) -> st.SearchStrategy[Any]:
    """A whole number as YAML writes it, or as text ("3", " +3 ", "3.0")."""
    number = st.integers(low, high)
    return st.one_of(
        number,
        number.map(float),
        number.map(str),
        number.map(lambda n: f" +{n} "),
        number.map(lambda n: f"{n}.0"),
    )


flags = st.one_of(
    st.booleans(),
    st.sampled_from([0, 1]),
    st.sampled_from(FLAG_WORDS).flatmap(_random_case),
)
durations = st.one_of(
    st.integers(0, 10**6),
    st.floats(0, 1e6, allow_nan=False),
    st.builds(
        lambda n, unit, space: f"{n}{space}{unit}",
        st.one_of(st.integers(0, 5000).map(str), st.sampled_from(["1.5", "0.25"])),
        st.sampled_from(["", "ms", "s", "m", "h"]),
        st.sampled_from(["", " "]),
    ),
    st.just("${TIMEOUT}"),
)
# A timeout is longer than 0.
positive_durations = durations.filter(lambda d: d == "${TIMEOUT}" or parse_duration(d) > 0)
one_status = st.one_of(
    st.integers(100, 599),
    st.integers(100, 599).map(str),
    st.sampled_from("12345").flatmap(lambda d: _random_case(f"{d}xx")),
    st.just(" 204 "),
)
statuses = st.one_of(one_status, st.lists(one_status, min_size=1, max_size=3))
methods = st.sampled_from(METHODS).flatmap(_random_case)
one_or_many = st.one_of(texts, st.lists(texts, max_size=3))
regexes = st.sampled_from(["ok", "^v[0-9]+$", "(?i)up", r"\d+"])
jsonpaths = st.sampled_from(["$.status", "$.items[0].id", "$..name", "$.a.b", "$['x y']"])


def operands(op: str) -> st.SearchStrategy[Any]:
    if op in ("gt", "ge", "lt", "le"):
        return st.one_of(st.integers(-100, 100), st.floats(-1, 1), texts)
    if op == "matches":
        return regexes
    if op == "exists":
        return st.booleans()
    if op == "type":
        return st.sampled_from(JSON_TYPES)
    return json_values  # eq, ne, contains


assertions = st.one_of(
    st.one_of(json_scalars, st.lists(json_scalars, max_size=3)),  # a literal
    st.sampled_from(JSON_OPERATORS).flatmap(
        lambda op: operands(op).map(lambda operand: {op: operand})
    ),
)


def optional(draw: Draw, fields: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    """Some of `fields`, each drawn from its strategy."""
    chosen = draw(st.lists(st.sampled_from(sorted(fields)), unique=True, max_size=len(fields)))
    return {name: draw(fields[name]) for name in sorted(chosen)}


@st.composite
def expects(draw: Draw) -> dict[str, Any]:
    return optional(
        draw,
        {
            "status": statuses,
            "body_contains": one_or_many,
            "body_not_contains": one_or_many,
            "body_matches": regexes,
            "json": st.dictionaries(jsonpaths, assertions, max_size=3),
            "headers": headers,
            "max_response_time": durations,
            "tls_cert_min_days": whole_numbers(0, 90),
        },
    )


@st.composite
def requests(draw: Draw, url: st.SearchStrategy[str] = urls) -> dict[str, Any]:
    request = optional(
        draw,
        {
            "method": methods,
            "headers": headers,
            "params": st.dictionaries(
                st.from_regex(r"\A[a-z]{1,6}\Z"),
                st.one_of(json_scalars.filter(lambda v: v is not None), st.lists(texts)),
                max_size=3,
            ),
            "expect": expects(),
        },
    )
    request["url"] = draw(url)
    if request["url"].startswith("http://"):
        # A literal http:// URL has no certificate: both reject tls_cert_min_days there.
        request.get("expect", {}).pop("tls_cert_min_days", None)
    body = draw(
        st.sampled_from(["", "body", "json", "form"]).flatmap(
            lambda kind: {
                "": st.just({}),
                "body": texts.map(lambda t: {"body": t}),
                "json": json_values.filter(lambda v: v is not None).map(lambda v: {"json": v}),
                "form": st.dictionaries(texts, texts, max_size=2).map(lambda f: {"form": f}),
            }[kind]
        )
    )
    return {**request, **body}


def _maybe_secret(capture: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(st.just(capture), flags.map(lambda flag: {**capture, "secret": flag}))


captures = st.one_of(
    jsonpaths,
    jsonpaths.map(lambda p: {"json": p}).flatmap(_maybe_secret),
    st.from_regex(r"\A[A-Za-z-]{1,12}\Z").map(lambda h: {"header": h}).flatmap(_maybe_secret),
    st.sampled_from(["id=([0-9]+)", "(?P<token>[a-z]+)"])
    .map(lambda r: {"regex": r})
    .flatmap(_maybe_secret),
)


@st.composite
def scenarios(draw: Draw) -> list[dict[str, Any]]:
    step_names = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    captured: list[str] = []
    steps = []
    for name in step_names:
        url = urls
        if captured:
            url = st.sampled_from(captured).map(lambda c: f"https://a.test/items/{{{{ {c} }}}}")
        step = {"name": name, **draw(requests(url))}
        capture = draw(
            st.dictionaries(st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,8}\Z"), captures, max_size=2)
        )
        if capture:
            step["capture"] = capture
            captured.extend(capture)
        steps.append(step)
    return steps


OVERRIDABLE: dict[str, st.SearchStrategy[Any]] = {
    "timeout": positive_durations,
    "retries": st.one_of(whole_numbers(0, 10), st.just("${RETRIES}")),
    "retry_delay": durations,
    "severity": st.one_of(
        st.sampled_from(["critical", "error", "warning", "info"]), st.just("${SEVERITY}")
    ),
    "follow_redirects": flags,
    "verify_tls": st.one_of(flags, st.just("${VERIFY}")),
    "failure_threshold": whole_numbers(1, 5),
    "success_threshold": whole_numbers(1, 5),
}


@st.composite
def checks(draw: Draw, name: str, index: int) -> dict[str, Any]:
    check: dict[str, Any] = {"name": name}
    if draw(st.booleans()):
        check["steps"] = draw(scenarios())
    else:
        check.update(draw(requests()))
    extra = optional(
        draw,
        {
            **OVERRIDABLE,
            "dedup_key": st.just(f"key:{index}"),
            "routing_key": st.just("R" * 32),
            "tags": st.lists(names, max_size=3),
            "role": st.sampled_from(["service", "control"]),
            "enabled": flags,
            "description": texts,
        },
    )
    return {**check, **extra}


ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]
ONE_OFF = [  # (from, to): Z, offsets, a space for the T
    ("2026-12-05T21:00:00Z", "2026-12-05T23:30:00Z"),
    ("2026-12-05T22:00:00+01:00", "2026-12-05 23:30:00+00:00"),
]


@st.composite
def maintenance_windows(draw: Draw, check_names: list[str]) -> dict[str, Any]:
    """A window selecting some of the checks by name (exact or glob), or all."""
    name = draw(names)
    picked = draw(st.lists(st.sampled_from(check_names), max_size=2, unique=True))
    patterns = [draw(st.sampled_from([n, n[:1] + "*"])) for n in picked]
    selection = {"checks": patterns} if patterns else {}
    if draw(st.booleans()):
        start, end = draw(st.sampled_from(ONE_OFF))
        return {"name": name, "from": start, "to": end, **selection}
    window = {
        "name": name,
        "start": f"{draw(st.integers(0, 23)):02d}:{draw(st.integers(0, 59)):02d}",
        "duration": draw(st.sampled_from(["30m", "1h", "90m", 3600, "168h", "1.5h"])),
    }
    window.update(
        optional(
            draw,
            {
                "every": st.lists(
                    st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
                    min_size=1,
                    max_size=3,
                ),
                "timezone": st.sampled_from(ZONES),
            },
        )
    )
    return {**window, **selection}


@st.composite
def configs(draw: Draw) -> dict[str, Any]:
    check_names = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    config: dict[str, Any] = {"version": 1}
    config.update(
        optional(
            draw,
            {
                "defaults": st.builds(
                    lambda picked, h: {**picked, "headers": h} if h else picked,
                    st.fixed_dictionaries({}, optional=OVERRIDABLE),
                    headers,
                ),
                "pagerduty": st.fixed_dictionaries(
                    {},
                    optional={
                        "routing_key": st.sampled_from(["R" * 32, "${PAGERDUTY_ROUTING_KEY}"]),
                        "region": st.sampled_from(["us", "eu"]),
                        "events_url": st.just("http://127.0.0.1:9/v2/enqueue"),
                        "send_resolve": flags,
                        "client": texts,
                        "client_url": urls,
                        "body_excerpt": flags,
                    },
                ),
                "redact": st.fixed_dictionaries(
                    {},
                    optional={
                        "env": st.lists(st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,10}\Z")),
                        "names": st.lists(st.from_regex(r"\A[A-Za-z][A-Za-z0-9_-]{0,10}\Z")),
                    },
                ),
                "state": st.sampled_from(["state.json", "s3://bucket/key"]).map(
                    lambda p: {"path": p}
                ),
                "heartbeat": st.fixed_dictionaries(
                    {"url": urls}, optional={"timeout": positive_durations}
                ),
            },
        )
    )
    if draw(st.booleans()):  # several locations: they need a shared state
        expected = draw(st.lists(names, min_size=1, max_size=4, unique=True))
        section: dict[str, Any] = {"expected": expected}
        section.update(
            optional(draw, {"quorum": whole_numbers(1, len(expected)), "max_age": durations})
        )
        config.setdefault("state", {"path": "s3://bucket/key"})
        config["locations"] = section
    config["checks"] = [draw(checks(name, i)) for i, name in enumerate(check_names)]
    windows = draw(st.lists(maintenance_windows(check_names), max_size=2))
    if windows and len({w["name"] for w in windows}) == len(windows):
        config["maintenance"] = windows
    return config


class EditorLoader(yaml.SafeLoader):
    """YAML as editors read it (1.2 core schema): an unquoted timestamp is text."""


EditorLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def assert_both_accept(text: str, source: str, env: dict[str, str]) -> None:
    with collecting():  # as `validate` does: secret references are checked, not fetched
        result = check_config_text(text, source, env=env)
    assert result.config is not None, [str(p) for p in result.errors]
    errors = sorted(VALIDATOR.iter_errors(yaml.load(text, Loader=EditorLoader)), key=str)
    assert not errors, f"{source}: the schema refuses what the loader accepts: {errors[0]}"


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(configs())
def test_the_schema_accepts_every_config_the_loader_accepts(config: dict[str, Any]) -> None:
    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    assert_both_accept(text, "generated.yaml", ENV)


def _readme_and_docs_examples() -> list[tuple[str, str]]:
    """The YAML blocks of README.md and docs/ that are configs or sections of one
    (a section gets `version` and a check added, to make it a whole file)."""
    sections = set(Config.model_fields)
    found = []
    for path in [REPO / "README.md", *sorted((REPO / "docs").glob("**/*.md"))]:
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        blocks = re.findall(r"^( *)```ya?ml\n(.*?)^ *```", text, re.DOTALL | re.MULTILINE)
        for number, (indent, block) in enumerate(blocks):
            block = textwrap.dedent(block) if indent else block
            try:
                document = yaml.safe_load(block)
            except yaml.YAMLError:
                continue
            if not isinstance(document, dict) or not set(document) <= sections:
                continue
            if "checks" not in document:
                block += "\nchecks:\n  - name: example\n    url: https://example.test/\n"
            if "version" not in document:
                block = "version: 1\n" + block
            found.append((f"{path.name} yaml block {number}", block))
    return found


def _test_examples() -> list[tuple[str, str]]:
    """Config texts written as plain string literals in the tests."""
    found = []
    for path in sorted((REPO / "tests").glob("**/*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and re.search(r"^\s*version: 1\s*$", node.value, re.MULTILINE)
                and "checks:" in node.value
            ):
                found.append((f"{path.relative_to(REPO)}:{node.lineno}", node.value))
    return found


def test_the_example_configs_are_found() -> None:
    assert len(_test_examples()) >= 20
    assert _readme_and_docs_examples()


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("checks.yaml", (REPO / "checks.yaml").read_text(encoding="utf-8")),
        *_readme_and_docs_examples(),
    ],
)
def test_the_schema_accepts_every_documented_example(source: str, text: str) -> None:
    assert_both_accept(text, source, {})


def test_the_schema_accepts_every_config_the_tests_write_and_the_loader_accepts() -> None:
    checked = 0
    for source, literal in _test_examples():
        text = textwrap.dedent(literal)
        with collecting():
            result = check_config_text(text, source, env={})
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError:
            continue
        if result.config is None or not isinstance(document, dict):
            continue  # a test of what the loader refuses
        errors = list(VALIDATOR.iter_errors(document))
        assert not errors, f"{source}: {errors[0]}"
        checked += 1
    assert checked >= 10
