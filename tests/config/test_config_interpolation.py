"""${VAR}, ${VAR:-default}, $${ and {{ capture }} references."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from e2echeck.config import ConfigError, load_config_text
from e2echeck.config.interpolation import InterpolationError, Interpolator
from tests.config.helpers import Outcome, check_text
from tests.support.configs import one_check

Validate = Callable[..., Outcome]


# --- the interpolator itself -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${HOST}", "h.test"),
        ("https://${HOST}/x", "https://h.test/x"),
        ("${MISSING:-fallback}", "fallback"),
        ("${EMPTY:-fallback}", "fallback"),
        ("${HOST:-fallback}", "h.test"),
        ("${MISSING:-}", ""),
        ("$${HOST}", "${HOST}"),
        ("$$${HOST}", "$${HOST}"),  # "$" then the literal "${"
        ("price: $5", "price: $5"),
        ("${MISSING:-a:-b}", "a:-b"),
        ("no dollar", "no dollar"),
    ],
)
def test_interpolation(text: str, expected: str) -> None:
    interpolate = Interpolator({"HOST": "h.test", "EMPTY": ""})
    assert interpolate(text) == expected
    assert not interpolate.unset


def test_an_unset_variable_is_kept_and_recorded() -> None:
    interpolate = Interpolator({})
    assert interpolate("a ${NOPE} b") == "a ${NOPE} b"
    assert interpolate.unset == ["NOPE"]


def test_an_env_value_is_not_interpolated_again() -> None:
    assert Interpolator({"A": "${B}", "B": "x"})("${A}") == "${B}"


@pytest.mark.parametrize("text", ["${", "abc ${HOST", "${1ABC}", "${A-B}", "${}", "${A:b}"])
def test_invalid_references(text: str) -> None:
    with pytest.raises(InterpolationError):
        Interpolator({"HOST": "h"})(text)


def test_env_values_are_secrets() -> None:
    text = one_check(
        'name: a\nurl: "${BASE:-https://x.test}/"\nheaders: {Authorization: "Bearer ${TOKEN}"}'
    )
    config = load_config_text(text, env={"TOKEN": "s3cr3t-token-value"})
    assert config.checks[0].headers["Authorization"] == "Bearer s3cr3t-token-value"
    assert "s3cr3t-token-value" in config.secrets


# --- through validate ------------------------------------------------------------------


def test_variables_are_read_from_the_environment(validate: Validate) -> None:
    text = one_check('name: a\nurl: "${BASE_URL}/health"')
    outcome = validate(text, env={"BASE_URL": "https://x.test"})
    assert outcome.exit_code == 0 and not outcome.problems, outcome.output


def test_an_unset_variable_is_a_warning_in_validate(validate: Validate) -> None:
    text = one_check(
        'name: a\nurl: https://x.test/\nheaders: {Authorization: "Bearer ${API_TOKEN}"}'
    )
    outcome = validate(text)
    assert outcome.exit_code == 0, outcome.output
    (warning,) = outcome.warnings()
    assert warning["path"] == "checks[0].headers.Authorization"
    assert (warning["line"], warning["column"]) == (5, 30)
    assert "environment variable API_TOKEN is not set" in warning["message"]
    assert "warning:" in outcome.output


def test_an_unset_variable_is_an_error_with_strict_env(validate: Validate) -> None:
    text = one_check(
        'name: a\nurl: https://x.test/\nheaders: {Authorization: "Bearer ${API_TOKEN}"}'
    )
    outcome = validate(text, "--strict-env")
    assert outcome.exit_code == 2
    error = outcome.only_error()
    assert (error["path"], error["line"], error["column"]) == (
        "checks[0].headers.Authorization",
        5,
        30,
    )
    assert "${API_TOKEN:-value}" in error["message"]


def test_an_unset_base_url_does_not_fail_validate(validate: Validate) -> None:
    # validate runs in CI without the environment: ${BASE_URL}/health is some URL.
    outcome = validate(one_check('name: a\nurl: "${BASE_URL}/health"'))
    assert outcome.exit_code == 0, outcome.output
    assert outcome.warnings()[0]["path"] == "checks[0].url"
    strict = validate(one_check('name: a\nurl: "${BASE_URL}/health"'), "--strict-env")
    assert strict.exit_code == 2


def test_an_unset_routing_key_is_a_warning_and_recorded(validate: Validate) -> None:
    text = (
        "version: 1\npagerduty: {routing_key: '${PAGERDUTY_ROUTING_KEY}'}\n"
        "checks: [{name: a, url: 'https://x.test/'}]\n"
    )
    outcome = validate(text)
    assert outcome.exit_code == 0
    assert outcome.warnings()[0]["path"] == "pagerduty.routing_key"
    assert "alerts cannot be sent" in outcome.warnings()[0]["message"]
    assert validate(text, "--strict-env").exit_code == 2
    # The run path loads it and leaves the decision to the alerting code.
    config = load_config_text(text, env={})
    assert config.pagerduty is not None and config.pagerduty.routing_key is None
    assert [p.path for p in config.unset_routing_keys] == ["pagerduty.routing_key"]


def test_load_config_requires_every_other_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config_text(one_check('name: a\nurl: "https://x.test/${PATH_PART}"'), env={})
    assert "PATH_PART" in str(caught.value)


def test_a_dollar_dollar_brace_is_a_literal(validate: Validate) -> None:
    text = one_check("name: a\nurl: https://x.test/\nmethod: POST\nbody: 'cost: $${AMOUNT}'")
    outcome = validate(text)
    assert outcome.exit_code == 0 and not outcome.problems
    assert load_config_text(text, env={}).checks[0].body == "cost: ${AMOUNT}"


@pytest.mark.parametrize("body", ["${", "${1X}", "${A B}"])
def test_invalid_reference_syntax_is_an_error(validate: Validate, body: str) -> None:
    outcome = validate(one_check(f"name: a\nurl: https://x.test/\nbody: '{body}'"))
    assert outcome.exit_code == 2
    error = outcome.only_error()
    assert (error["path"], error["line"], error["column"]) == ("checks[0].body", 5, 11)
    assert "$${" in error["message"] or "${NAME}" in error["message"]


def test_keys_are_not_interpolated() -> None:
    text = one_check("name: a\nurl: https://x.test/\nheaders: {'${H}': v}")
    result = check_text(text, env={"H": "X-Real"})
    assert result.config is not None
    assert result.config.checks[0].headers == {"${H}": "v"}


# --- {{ capture }} references ----------------------------------------------------------

SCENARIO = """\
name: flow
steps:
  - name: create
    method: POST
    url: https://x.test/orders
    json: {item: probe}
    capture:
      order_id: "$.id"
      etag: {header: ETag}
      token: {regex: 'token=(\\w+)'}
  - name: read
    url: https://x.test/orders/{{ order_id }}
    headers: {If-None-Match: "{{etag}}"}
    params: {t: "{{ token }}"}
    json: {id: "{{ order_id }}"}
"""


def test_captures_from_earlier_steps(validate: Validate) -> None:
    outcome = validate(one_check(SCENARIO))
    assert outcome.exit_code == 0, outcome.output
    step = load_config_text(one_check(SCENARIO)).checks[0].steps
    assert step is not None and set(step[0].capture) == {"order_id", "etag", "token"}


def test_an_unknown_capture_is_an_error(validate: Validate) -> None:
    text = one_check(SCENARIO.replace("{{ order_id }}\n", "{{ order }}\n"))
    outcome = validate(text)
    error = outcome.only_error()
    assert (error["path"], error["line"], error["column"]) == ("checks[0].steps[1].url", 14, 14)
    assert "{{ order }} is not captured by an earlier step" in error["message"]
    assert 'did you mean "order_id"?' in error["message"]


def test_a_capture_used_before_it_is_defined(validate: Validate) -> None:
    text = one_check(
        """\
        name: flow
        steps:
          - name: first
            url: https://x.test/{{ later }}
          - name: second
            url: https://x.test/
            capture: {later: "$.a"}
          - name: third
            url: https://x.test/
            body: "{{ later }}"
            capture: {own: "$.b"}
            headers: {X: "{{ own }}"}
        """
    )
    outcome = validate(text)
    assert outcome.exit_code == 2
    assert [(e["path"], e["line"]) for e in outcome.errors()] == [
        ("checks[0].steps[0].url", 6),
        ("checks[0].steps[2].headers.X", 14),  # a step cannot use its own capture
    ]
    assert "nothing captured yet" in outcome.errors()[0]["message"]


def test_a_reference_in_a_single_request_check(validate: Validate) -> None:
    outcome = validate(one_check("name: a\nurl: https://x.test/{{ id }}"))
    error = outcome.only_error()
    assert (error["path"], error["line"], error["column"]) == ("checks[0].url", 4, 10)
    assert "only the steps of a scenario capture values" in error["message"]


@pytest.mark.parametrize(
    ("capture", "column", "words"),
    [
        ("{id: {regex: 'abc'}}", 31, "needs a group"),
        ("{id: {regex: '('}}", 31, "invalid regular expression"),
        ("{id: {heder: X}}", 23, "unknown key 'heder'; did you mean \"header\"?"),
        ("{id: {header: X, regex: '(a)'}}", 23, "got header and regex"),
        ("{id: {}}", 23, "expected a JSONPath such as"),
        ("{id: id}", 23, 'expected a JSONPath such as "$.id"'),
        ("{id: 5}", 23, "got 5"),
        ("{id: '$['}", 23, "invalid JSONPath"),
        ("{1id: '$.a'}", 19, "capture name of letters, digits and _"),
        ("{id: {header: [X]}}", 32, "expected a string"),
    ],
)
def test_bad_captures_say_what_is_expected_once(
    validate: Validate, capture: str, column: int, words: str
) -> None:
    text = one_check(
        f"name: flow\nsteps:\n  - name: s\n    url: https://x.test/\n    capture: {capture}"
    )
    outcome = validate(text)
    assert outcome.exit_code == 2
    error = outcome.only_error()  # one message, not one per union member
    assert error["path"].startswith("checks[0].steps[0].capture"), error
    assert (error["line"], error["column"]) == (7, column), error
    assert words in error["message"]


def test_duplicate_step_names(validate: Validate) -> None:
    text = one_check(
        "name: flow\nsteps:\n  - name: s\n    url: https://x.test/\n"
        "  - name: s\n    url: https://x.test/"
    )
    error = validate(text).only_error()
    assert (error["path"], error["line"], error["column"]) == ("checks[0].steps[1].name", 7, 15)
