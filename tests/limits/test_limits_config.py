"""checks.yaml at scale: 10,000 checks validate in under 2 s; the fast YAML path
(libyaml's events) reads exactly what the pure-Python loader reads."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from e2echeck.config import check_config, check_config_text, yaml_loaders, yaml_reader
from e2echeck.config.interpolation import Interpolator
from e2echeck.config.loader import MAX_FILE_BYTES
from e2echeck.config.models import SIMPLE_JSONPATH

ROOT = Path(__file__).resolve().parents[2]


def big_config(count: int) -> str:
    """`count` checks in flow style, ~100 bytes each, under the loader's cap."""
    lines = [
        "version: 1",
        "defaults: {timeout: 5s, retries: 1, severity: error}",
        "pagerduty: {routing_key: 0123456789abcdef0123456789abcdef}",
        "checks:",
    ]
    for i in range(count):
        lines.append(
            f"- {{name: c{i}, url: 'https://s{i % 97}.example.com/{i}', "
            f"expect: {{status: 2xx, json: {{$.ok: 1}}}}, tags: [t{i % 7}]}}"
        )
    text = "\n".join(lines) + "\n"
    assert len(text.encode()) <= MAX_FILE_BYTES
    return text


# The 10,000-checks limit (bench/README.md). The loader takes about 0.9 s of CPU
# here (best of 3), and
# this VM's speed varies by a third from one minute to the next: the margin is
# for that. bench/run.py measures the whole command ("validate a file of 10,000
# checks").
LIMIT_S = 2.0


@pytest.mark.slow
def test_ten_thousand_checks_validate_in_under_two_seconds(tmp_path: Path) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text(big_config(10_000), encoding="utf-8")
    best = float("inf")
    for _ in range(3):  # the best of three: a loaded CI machine is not the loader
        start = time.process_time()  # CPU: a noisy neighbour's steal is not ours
        result = check_config(path)
        best = min(best, time.process_time() - start)
        assert result.config is not None, result.problems[:3]
        assert len(result.config.checks) == 10_000
    print(f"10,000 checks validated in {best:.2f} s")
    assert best < LIMIT_S


def _pure_python_nodes(text: str) -> yaml.Node | None:
    return yaml_loaders.DepthLimitedLoader(text).get_single_node()


def _fast_nodes(text: str) -> yaml.Node | None:
    loader = yaml_loaders.FastDepthLimitedLoader(text)
    try:
        return loader.get_single_node()  # type: ignore[no-any-return]
    finally:
        loader.dispose()


def _shape(node: yaml.Node | None) -> object:
    """A node tree as plain data: tags, values and positions (but not those of
    implicit empty values: libyaml puts them after the line break, PyYAML before;
    a file with a problem is read again by PyYAML, and a valid file's positions
    are never shown)."""
    if node is None:
        return None
    where: tuple[object, ...] = (node.tag, node.start_mark.line, node.start_mark.column)
    if isinstance(node, yaml.ScalarNode) and node.value == "" and not node.style:
        where = (node.tag,)
    if isinstance(node, yaml.ScalarNode):
        return (*where, node.value, node.style or None)  # plain: '' (libyaml) or None
    if isinstance(node, yaml.SequenceNode):
        return (*where, [_shape(item) for item in node.value])
    return (*where, [(_shape(k), _shape(v)) for k, v in node.value])


def test_fast_and_pure_python_loaders_agree_on_the_example() -> None:
    text = (ROOT / "checks.yaml").read_text(encoding="utf-8")
    assert _shape(_fast_nodes(text)) == _shape(_pure_python_nodes(text))


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(yaml_values, st.booleans())
def test_fast_loader_reads_what_the_pure_python_loader_reads(value: object, flow: bool) -> None:
    text = yaml.safe_dump({"checks": value}, default_flow_style=flow, allow_unicode=True)
    assert _shape(_fast_nodes(text)) == _shape(_pure_python_nodes(text))


@settings(max_examples=1000, deadline=None)
@given(
    st.text(
        alphabet="ab1:-[]{}#&*!|>'\"%@` \n\r\t,?.$\\~=<+é\u2028\ufeff\x85\x00\x07",
        max_size=60,
    )
)
def test_text_libyaml_accepts_reads_the_same_in_python(text: str) -> None:
    """Hostile-ish text: when libyaml reads it, Python must read the same tree
    (when libyaml refuses it, the loader falls back to Python's own verdict)."""
    reader = yaml_reader.PositionedReader(
        "t.yaml", Interpolator({}), strict_env=False, defer_routing_keys=True
    )
    _, node = reader._read_fast(text)
    if node is yaml_reader.NOT_READ:
        return  # the pure-Python loader reads it, as it always did
    fast = _shape(node)
    try:
        slow = _shape(_pure_python_nodes(text))
    except yaml.YAMLError:
        pytest.fail(f"libyaml accepts what PyYAML refuses: {text!r}")
    assert fast == slow


def test_invalid_yaml_keeps_the_pure_python_message() -> None:
    result = check_config_text("version: 1\nchecks: [a, b\n", "bad.yaml")
    assert result.config is None
    assert result.errors[0].message.startswith("not valid YAML")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.from_regex(r"\A\.[A-Za-z_][A-Za-z0-9_]{0,8}\Z"),
            st.integers(min_value=0, max_value=10**6).map(lambda i: f"[{i}]"),
        ),
        max_size=5,
    )
)
def test_simple_jsonpaths_skipped_at_validation_are_valid_jsonpath(parts: list[str]) -> None:
    import jsonpath

    path = "$" + "".join(parts)
    assert SIMPLE_JSONPATH.fullmatch(path)
    jsonpath.compile(path)  # the library agrees: no error


def test_a_valid_file_is_read_by_the_fast_loader() -> None:
    """The fast path falls back silently on any error: make sure it is taken."""
    reader = yaml_reader.PositionedReader(
        "checks.yaml", Interpolator({}), strict_env=False, defer_routing_keys=True
    )
    reader.read((ROOT / "checks.yaml").read_text(encoding="utf-8"))
    assert isinstance(reader._loader, yaml_loaders.FastDepthLimitedLoader)
