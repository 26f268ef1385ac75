"""The JSON Schema rejects what `e2echeck validate` rejects: the other direction
of the agreement (test_config_schema_agreement.py generates valid files).

A valid generated config gets one wrong value: out of range, of the wrong type,
an unknown key, or a key of another section. Whenever the loader refuses the
file, an editor validating with the schema must paint it red too.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from e2echeck.config import check_config_text
from e2echeck.config.secret_refs import collecting
from tests.config.test_config_schema_agreement import ENV, VALIDATOR, EditorLoader, configs

Draw = st.DrawFn

# (field, lowest valid, highest valid) of the whole numbers with bounds.
BOUNDED = {
    "retries": (0, 10),
    "failure_threshold": (1, None),
    "success_threshold": (1, None),
}


def as_written(number: int) -> st.SearchStrategy[Any]:
    """`number` as YAML may write it: a number, a float, text."""
    return st.sampled_from([number, float(number), str(number), f" {number} ", f"{number}.0"])


def out_of_range(low: int, high: int | None) -> st.SearchStrategy[Any]:
    below = st.integers(-1000, low - 1)
    outside = below if high is None else st.one_of(below, st.integers(high + 1, 10**6))
    return outside.flatmap(as_written)


wrong_types = st.one_of(
    st.booleans(),
    st.lists(st.integers(0, 3), min_size=1, max_size=2),
    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 3), min_size=1),
    st.sampled_from(["ten", "1x", "-", "", "2 days", "${", "1e3"]),
    st.floats(-5, 5).filter(lambda f: f != int(f)),
    st.none(),
)
CHECK_FIELDS = [
    "timeout",
    "retries",
    "retry_delay",
    "severity",
    "follow_redirects",
    "verify_tls",
    "failure_threshold",
    "success_threshold",
    "tags",
    "role",
    "enabled",
    "dedup_key",
    "routing_key",
    "method",
    "headers",
    "params",
    "expect",
    "notify",
]
EXPECT_FIELDS = ["status", "body_contains", "body_matches", "json", "headers", "tls_cert_min_days"]
# Keys that belong to another section of the file (or to a step only).
FOREIGN_KEYS = [
    "region",
    "events_url",
    "send_resolve",
    "expected",
    "quorum",
    "max_age",
    "path",
    "every",
    "start",
    "duration",
    "from",
    "capture",
    "checks",
    "version",
]
unknown_keys = st.one_of(
    st.sampled_from(["urls", "retry", "expects", "Timeout", "tag", "x_extra"]),
    st.from_regex(r"\A[a-z]{3,10}\Z").filter(lambda k: k not in CHECK_FIELDS),
)


@st.composite
def mutations(draw: Draw) -> tuple[dict[str, Any], str]:
    """A generated valid config with one wrong thing, and what was changed."""
    config = copy.deepcopy(draw(configs()))
    check = draw(st.sampled_from(config["checks"]))
    kind = draw(st.sampled_from(["range", "type", "unknown", "foreign"]))
    if kind == "range":
        where = draw(st.sampled_from(["check", "defaults", "timeout", "tls", "quorum", "status"]))
        if where in ("check", "defaults"):
            target = check if where == "check" else config.setdefault("defaults", {})
            name, (low, high) = draw(st.sampled_from(sorted(BOUNDED.items())))
            target[name] = draw(out_of_range(low, high))
        elif where == "timeout":
            check["timeout"] = draw(st.sampled_from([0, 0.0, "0s", "0ms", "0", " 0.0 m", -1]))
        elif where == "tls":
            expect = _expect_of(check)
            expect["tls_cert_min_days"] = draw(out_of_range(0, None))
        elif where == "quorum":
            expected = config.setdefault("locations", {"expected": ["a", "b"]})["expected"]
            config.setdefault("state", {"path": "s3://bucket/key"})
            config["locations"]["quorum"] = draw(out_of_range(1, None))
            del expected  # the quorum alone is out of range
        else:
            _expect_of(check)["status"] = draw(
                st.one_of(st.integers(600, 999), st.integers(0, 99)).flatmap(as_written)
            )
        return config, f"{where}: out of range"
    if kind == "type":
        if draw(st.booleans()):
            name = draw(st.sampled_from(CHECK_FIELDS))
            check[name] = draw(wrong_types)
        else:
            name = "expect." + draw(st.sampled_from(EXPECT_FIELDS))
            _expect_of(check)[name.partition(".")[2]] = draw(wrong_types)
        return config, f"{name}: wrong type"
    if kind == "unknown":
        section = draw(st.sampled_from(["check", "top", "defaults", "expect", "pagerduty"]))
        target = {
            "check": check,
            "top": config,
            "defaults": config.setdefault("defaults", {}),
            "expect": _expect_of(check),
            "pagerduty": config.setdefault("pagerduty", {}),
        }[section]
        key = draw(unknown_keys.filter(lambda k: k not in target))
        target[key] = draw(st.one_of(st.integers(0, 3), st.just("x")))
        return config, f"{section}.{key}: unknown key"
    key = draw(st.sampled_from(FOREIGN_KEYS))
    check[key] = draw(st.sampled_from([1, "x", ["a"], {"a": 1}, True]))
    return config, f"check.{key}: a key of another section"


def _expect_of(check: dict[str, Any]) -> dict[str, Any]:
    holder = check["steps"][0] if "steps" in check else check
    expect = holder.setdefault("expect", {})
    assert isinstance(expect, dict)
    return expect


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutations())
def test_the_schema_rejects_every_config_the_loader_rejects(
    mutated: tuple[dict[str, Any], str],
) -> None:
    config, change = mutated
    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    with collecting():
        result = check_config_text(text, "mutated.yaml", env=ENV)
    if result.config is not None:
        return  # the loader reads it (e.g. `retries: "3"`): nothing to agree on
    errors = list(VALIDATOR.iter_errors(yaml.load(text, Loader=EditorLoader)))
    assert errors, (
        f"{change}: the schema accepts what the loader rejects: "
        f"{[str(p) for p in result.errors]}\n{text}"
    )


def test_the_bounds_the_loader_enforces_are_json_schema_keywords() -> None:
    """`retries: 20` and `failure_threshold: 0` are refused by both, and the schema
    says so with JSON Schema's own `minimum`/`maximum` (never pydantic's `ge`/`le`)."""
    for field, value in (("retries", 20), ("failure_threshold", 0), ("timeout", "0s")):
        document = {"version": 1, "checks": [{"name": "a", "url": "https://a.test/", field: value}]}
        text = yaml.safe_dump(document)
        assert check_config_text(text, "bounds.yaml").config is None, field
        assert list(VALIDATOR.iter_errors(document)), field
    assert not list(_pydantic_bounds(VALIDATOR.schema))


def _pydantic_bounds(node: Any) -> Any:
    """Numeric `ge`/`le`/`gt`/`lt` keys anywhere in the schema (JSON Schema ignores them;
    the JSON assertion operators of the same names are properties holding schemas)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("ge", "le", "gt", "lt") and isinstance(value, int | float):
                yield key, value
            yield from _pydantic_bounds(value)
    elif isinstance(node, list):
        for item in node:
            yield from _pydantic_bounds(item)
