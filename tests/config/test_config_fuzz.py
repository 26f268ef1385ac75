"""Property tests: random and mutated YAML only ever gives a LoadResult (a config or
problems), and the CLI only ever exits 0 or 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from e2echeck.config import LoadResult, check_config_text
from tests.config.helpers import EXAMPLE
from tests.support.cli import run_cli

EXAMPLE_LINES = EXAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
YAML_BITS = [*":-[]{}&*!|>'\"#%@`,?<$\t\n {}", "${", "$${", "{{", "}}", "<<: ", "*a", "&a "]


@st.composite
def mutated_example(draw: st.DrawFn) -> str:
    lines = list(EXAMPLE_LINES)
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            break
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "indent"]))
        if action == "delete":
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
        elif action == "indent":
            lines[index] = draw(st.sampled_from(["  ", "\t", ""])) + lines[index].lstrip()
        else:
            line = lines[index]
            at = draw(st.integers(0, len(line)))
            extra = draw(st.one_of(st.sampled_from(YAML_BITS), st.text(max_size=4)))
            lines[index] = line[:at] + extra + line[at:]
    return "".join(lines)


def assert_result(result: object) -> None:
    assert isinstance(result, LoadResult)
    if result.config is None:
        assert result.errors, "an invalid file must say why"
    for problem in result.problems:
        assert problem.line >= 1 and problem.column >= 1
        assert "\n" not in problem.message


FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ
@pytest.mark.slow
@given(mutated_example())
def test_mutated_example_gives_a_result(text: str) -> None:
    assert_result(check_config_text(text, "checks.yaml", env={}))
    assert_result(check_config_text(text, "checks.yaml", env={}, strict_env=True))


@FUZZ
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_random_text_gives_a_result(text: str | bytes) -> None:
    assert_result(check_config_text(text, "checks.yaml", env={}))


yaml_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20))
yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


@FUZZ
@pytest.mark.slow
@given(
    st.dictionaries(
        st.sampled_from(["version", "checks", "defaults", "pagerduty", "state", "heartbeat", "x"]),
        yaml_values,
    )
)
def test_random_structures_give_a_result(document: dict[str, object]) -> None:
    import json

    # JSON is YAML: random shapes at every level of the model.
    assert_result(check_config_text(json.dumps(document), "checks.yaml", env={}))


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated_example())
def test_the_cli_only_exits_0_or_2(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "checks.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        for output_format in ("text", "json", "github"):
            result = run_cli("validate", str(path), "--format", output_format)
            assert result.exit_code in (0, 2), result.output
            assert result.exception is None or isinstance(result.exception, SystemExit)
