"""The event path of the loader (values built straight from libyaml's events) must
read exactly what the node-based path reads: the same document, the same positions
of every value and key. It may give up (and leave the file to the node path), never
read something else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from e2echeck.config import check_config_text, yaml_loaders, yaml_reader
from e2echeck.config.interpolation import Interpolator

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    yaml_loaders.FastDepthLimitedLoader is None, reason="PyYAML without libyaml"
)


def reader() -> Any:
    return yaml_reader.PositionedReader(
        "t.yaml",
        Interpolator({"PAGERDUTY_ROUTING_KEY": "0123456789abcdef"}),
        strict_env=False,
        defer_routing_keys=True,
    )


def by_events(text: str) -> tuple[Any, dict[Any, Any], dict[Any, Any]] | None:
    events = reader()
    document = events._read_events(text)
    if document is yaml_reader.NOT_READ:
        return None
    return document, events.values, events.keys


def by_nodes(text: str) -> tuple[Any, dict[Any, Any], dict[Any, Any]]:
    nodes = reader()
    nodes.fast = True
    loader, node = nodes._read_fast(text)
    if node is yaml_reader.NOT_READ:
        loader = yaml_loaders.DepthLimitedLoader(text)
        nodes._loader = loader
        node = loader.get_single_node()
    document = nodes._build(node, (), set())
    return document, nodes.values, nodes.keys


def assert_same(text: str) -> bool:
    """True when the event path read `text` (and read it like the node path)."""
    fast = by_events(text)
    if fast is None:
        return False
    slow = by_nodes(text)
    assert fast[0] == slow[0]
    assert [type(v) for v in _leaves(fast[0])] == [type(v) for v in _leaves(slow[0])]
    assert fast[1] == slow[1]
    assert fast[2] == slow[2]
    return True


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def test_the_example_is_read_by_the_event_path_like_the_node_path() -> None:
    assert assert_same((ROOT / "checks.yaml").read_text())


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",  # anchors and aliases
        "base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n",  # merges
        "a: !!str 1\n",  # explicit tags
        "a: 2026-01-01\n",  # timestamps
        "a: 1\na: 2\n",  # duplicate keys
        "? [a]\n: 1\n",  # a key that is a list
        "- a\n- b\n",  # not a mapping
        "plain\n",
        "a: ${UNSET_VARIABLE}\n",  # a ${VAR} problem: warnings come from the node path
        "a: 1\n---\nb: 2\n",  # several documents
        "a: [1, 2\n",  # invalid YAML
    ],
)
def test_the_event_path_gives_up_on_what_the_node_path_handles(text: str) -> None:
    assert by_events(text) is None


def test_plain_documents_take_the_event_path() -> None:
    text = yaml.safe_dump({"a": [1, 2.5, None, True, "x"], "b": {"c": {"d": "e"}}, 3: "k"})
    assert assert_same(text)
    assert assert_same("a: {b: [1, {c: d}], e: 'q'}\nf:\n  - g\n  - h: i\n")


def test_a_file_with_anchors_still_loads_through_the_node_path() -> None:
    text = "version: 1\nchecks:\n  - &c {name: a, url: 'https://a.example.com/'}\n"
    result = check_config_text(text, "t.yaml", env={})
    assert result.config is not None and result.config.checks[0].name == "a"


scalars = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.sampled_from(["yes", "no", "on", "0x1F", "1e3", ".inf", "~", "null", "1_000", "0o17"]),
)
keys = st.one_of(st.text(min_size=1, max_size=8), st.integers(0, 99))
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=25,
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(
    document=st.dictionaries(keys, trees, min_size=1, max_size=5),
    flow=st.sampled_from([None, True, False]),
)
def test_the_event_path_reads_what_the_node_path_reads(
    document: dict[Any, Any], flow: bool | None
) -> None:
    text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True)
    assert_same(text)
