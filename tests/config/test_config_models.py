"""Every rule of checks.yaml, through the real `e2echeck validate`: exit code 2,
file:line:column, the field path, and what was expected."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from e2echeck.config import load_config_text
from e2echeck.config.types import parse_duration, parse_status, status_matches
from tests.config.helpers import Outcome, check_text
from tests.support.configs import HEADER, one_check

Validate = Callable[..., Outcome]


def assert_error(outcome: Outcome, path: str, line: int, column: int, words: str) -> None:
    assert outcome.exit_code == 2, outcome.output
    error = outcome.error_at(path)
    assert (error["line"], error["column"]) == (line, column), error
    assert words in error["message"], error
    assert "\n" not in error["message"]


# --- durations ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("250ms", 0.25),
        ("10s", 10.0),
        ("1m", 60.0),
        ("1h", 3600.0),
        ("1.5s", 1.5),
        (3, 3.0),
        (0.5, 0.5),
        ("2", 2.0),
    ],
)
def test_durations_are_read_into_seconds(validate: Validate, text: object, seconds: float) -> None:
    value = f'"{text}"' if isinstance(text, str) else text
    outcome = validate(one_check(f"name: a\nurl: https://x.test/\ntimeout: {value}"))
    assert outcome.exit_code == 0, outcome.output
    config = load_config_text(one_check(f"name: a\nurl: https://x.test/\ntimeout: {value}"))
    assert config.settings_for(config.checks[0]).timeout == seconds


@pytest.mark.parametrize("bad", ["10sec", "-1", "1d", "ms", "true", ".inf", ".nan", "[1]", "1 0s"])
def test_bad_durations(validate: Validate, bad: str) -> None:
    outcome = validate(one_check(f"name: a\nurl: https://x.test/\ntimeout: {bad}"))
    assert_error(outcome, "checks[0].timeout", 5, 14, "expected")


def test_bad_duration_in_expect_and_defaults(validate: Validate) -> None:
    text = HEADER.replace("checks:\n", "defaults:\n  retry_delay: soon\nchecks:\n") + (
        "  - name: a\n    url: https://x.test/\n    expect: {max_response_time: 1x}\n"
    )
    outcome = validate(text)
    assert_error(outcome, "defaults.retry_delay", 3, 16, 'such as "250ms", "10s" or "1m"')
    assert_error(outcome, "checks[0].expect.max_response_time", 7, 33, "'1x'")


def test_duration_parser_directly() -> None:
    assert parse_duration("250ms") == 0.25
    with pytest.raises(ValueError):
        parse_duration(True)
    with pytest.raises(ValueError):
        parse_duration(float("inf"))


# --- status ------------------------------------------------------------------


@pytest.mark.parametrize("status", ["200", "[200, 204]", "2xx", '"3XX"', "[2xx, 404]", '"201"'])
def test_good_statuses(validate: Validate, status: str) -> None:
    outcome = validate(one_check(f"name: a\nurl: https://x.test/\nexpect: {{status: {status}}}"))
    assert outcome.exit_code == 0, outcome.output


@pytest.mark.parametrize(
    ("status", "column"),
    [
        ("20", 22),
        ("600", 22),
        ("6xx", 22),
        ("true", 22),
        ("[]", 22),
        ("[200, ok]", 22),
        ("{a: 1}", 22),
        ("2xxx", 22),
    ],
)
def test_bad_statuses(validate: Validate, status: str, column: int) -> None:
    outcome = validate(one_check(f"name: a\nurl: https://x.test/\nexpect: {{status: {status}}}"))
    assert_error(outcome, "checks[0].expect.status", 5, column, "HTTP status")


def test_status_default_is_any_2xx() -> None:
    config = load_config_text(one_check("name: a\nurl: https://x.test/"))
    accepted = config.checks[0].expect.status
    assert status_matches(accepted, 204) and not status_matches(accepted, 301)
    assert parse_status([200, "5xx"]) == (200, "5xx")


# --- JSON assertions ---------------------------------------------------------


@pytest.mark.parametrize(
    "assertion",
    [
        '"UP"',
        "3",
        "null",
        "[1, 2]",
        "{eq: {a: 1}}",
        "{ne: DOWN}",
        "{gt: 1}",
        "{ge: 1.5}",
        "{lt: 10}",
        "{le: b}",
        "{contains: ok}",
        '{matches: "^v\\\\d+"}',
        "{exists: false}",
        "{type: array}",
    ],
)
def test_every_json_operator(validate: Validate, assertion: str) -> None:
    text = one_check(
        f'name: a\nurl: https://x.test/\nexpect:\n  json:\n    "$.status": {assertion}'
    )
    outcome = validate(text)
    assert outcome.exit_code == 0, outcome.output
    (check,) = load_config_text(text).checks[0].expect.json_checks
    assert check.path == "$.status"


def test_json_assertions_parse_to_operator_and_operand() -> None:
    text = one_check('name: a\nurl: https://x.test/\nexpect:\n  json: {"$.a": UP, "$.b": {gt: 1}}')
    checks = load_config_text(text).checks[0].expect.json_checks
    assert [(c.path, c.op, c.value) for c in checks] == [("$.a", "eq", "UP"), ("$.b", "gt", 1)]


@pytest.mark.parametrize(
    ("assertion", "words"),
    [
        ("{gtt: 1}", "unknown operator 'gtt'; did you mean \"gt\"?"),
        ("{equals: 1}", "unknown operator 'equals'"),
        ("{contain: x}", 'did you mean "contains"?'),
        ("{gt: 1, lt: 5}", "expected one operator"),
        ("{gt: [1]}", "gt needs a number or a string"),
        ("{gt: true}", "gt needs a number or a string"),
        ("{matches: '('}", "invalid regular expression"),
        ("{matches: 1}", "matches needs a regular expression"),
        ("{exists: yes please}", "exists needs true or false"),
        ("{type: text}", "type needs one of string, number"),
    ],
)
def test_bad_json_operators(validate: Validate, assertion: str, words: str) -> None:
    text = one_check(
        f'name: a\nurl: https://x.test/\nexpect:\n  json:\n    "$.ok": 1\n    "$.x": {assertion}'
    )
    outcome = validate(text)
    # The position is the assertion's own value, not the whole `json` mapping.
    assert_error(outcome, 'checks[0].expect.json["$.x"]', 8, 16, words)


@pytest.mark.parametrize(
    ("path", "words"), [("status", "starting with '$'"), ("$[", "invalid JSONPath '$['")]
)
def test_bad_jsonpath_points_at_the_key(validate: Validate, path: str, words: str) -> None:
    text = one_check(f'name: a\nurl: https://x.test/\nexpect:\n  json:\n    "{path}": 1')
    outcome = validate(text)
    shown = f'json["{path}"]' if path.startswith("$") else f"json.{path}"
    assert_error(outcome, f"checks[0].expect.{shown}", 7, 9, words)


def test_json_assertions_must_be_a_mapping(validate: Validate) -> None:
    outcome = validate(one_check("name: a\nurl: https://x.test/\nexpect: {json: [1]}"))
    assert_error(outcome, "checks[0].expect.json", 5, 20, "expected a mapping")


# --- request fields or steps, body/json/form -----------------------------------


def test_request_fields_and_steps_together(validate: Validate) -> None:
    text = one_check(
        """\
        name: a
        steps:
          - name: s
            url: https://x.test/
        method: POST
        """
    )
    outcome = validate(text)
    assert_error(outcome, "checks[0].method", 7, 5, "either request fields or steps, never both")


def test_neither_url_nor_steps(validate: Validate) -> None:
    outcome = validate(one_check("name: a\ntags: [x]"))
    assert_error(outcome, "checks[0]", 3, 5, "needs a url (a single request) or steps")


def test_empty_steps(validate: Validate) -> None:
    outcome = validate(one_check("name: a\nsteps: []"))
    assert_error(outcome, "checks[0].steps", 4, 12, "at least 1 item")


@pytest.mark.parametrize(
    ("fields", "second"),
    [
        ("body: x\njson: {a: 1}", "json"),
        ("json: [1]\nform: {a: b}", "form"),
        ("body: x\nform: {a: b}", "form"),
    ],
)
def test_at_most_one_body(validate: Validate, fields: str, second: str) -> None:
    outcome = validate(one_check(f"name: a\nurl: https://x.test/\nmethod: POST\n{fields}"))
    assert_error(outcome, f"checks[0].{second}", 7, 5, "at most one of body, json, form")


def test_at_most_one_body_in_a_step(validate: Validate) -> None:
    text = one_check(
        """\
        name: a
        steps:
          - name: s
            url: https://x.test/
            body: x
            form: {a: b}
        """
    )
    outcome = validate(text)
    assert_error(outcome, "checks[0].steps[0].form", 8, 9, "at most one of body, json, form")


def test_a_check_with_every_request_field_is_valid(validate: Validate) -> None:
    text = one_check(
        """\
        name: a
        method: post
        url: https://x.test/
        headers: {X-A: b}
        params: {q: 1, tags: [a, 2, true], f: 1.5}
        json: {a: [1, 2]}
        """
    )
    assert validate(text).exit_code == 0
    check = load_config_text(text).checks[0]
    assert check.method == "POST" and check.params["tags"] == ["a", 2, True]


def test_params_say_what_is_expected_in_one_line(validate: Validate) -> None:
    outcome = validate(one_check("name: a\nurl: https://x.test/\nparams: {q: {a: 1}}"))
    assert_error(outcome, "checks[0].params.q", 5, 17, "string, number, boolean, or a list")
    assert len(outcome.errors()) == 1


@pytest.mark.parametrize("url", ["ftp://x.test/", "x.test/health", "https://", "'{{ a }}'"])
def test_bad_urls(validate: Validate, url: str) -> None:
    outcome = validate(one_check(f"name: a\nurl: {url}"))
    assert outcome.exit_code == 2
    assert outcome.errors()[0]["path"] == "checks[0].url"


def test_bad_method(validate: Validate) -> None:
    outcome = validate(one_check("name: a\nurl: https://x.test/\nmethod: FETCH"))
    assert_error(outcome, "checks[0].method", 5, 13, "expected 'GET', 'HEAD'")


# --- names and dedup keys ------------------------------------------------------


def test_duplicate_names(validate: Validate) -> None:
    text = HEADER + (
        "  - name: a\n    url: https://x.test/\n  - name: a\n    url: https://y.test/\n"
    )
    outcome = validate(text)
    assert_error(outcome, "checks[1].name", 5, 11, "duplicate check name 'a' (also checks[0])")
    assert len(outcome.errors()) == 1  # not a second message about its dedup key


def test_duplicate_dedup_keys(validate: Validate) -> None:
    text = HEADER + (
        "  - name: a\n    url: https://x.test/\n"
        "  - name: b\n    url: https://y.test/\n    dedup_key: a\n"
    )
    outcome = validate(text)
    assert_error(outcome, "checks[1].dedup_key", 7, 16, "dedup key 'a' is also used by checks[0]")


def test_dedup_key_limits(validate: Validate) -> None:
    ok = validate(one_check(f"name: a\nurl: https://x.test/\ndedup_key: {'k' * 255}"))
    assert ok.exit_code == 0
    outcome = validate(one_check(f"name: a\nurl: https://x.test/\ndedup_key: {'k' * 256}"))
    assert_error(outcome, "checks[0].dedup_key", 5, 16, "at most 255 characters; got 256")


def test_reserved_dedup_key(validate: Validate) -> None:
    outcome = validate(one_check("name: a\nurl: https://x.test/\ndedup_key: e2echeck-control"))
    assert_error(outcome, "checks[0].dedup_key", 5, 16, "reserved")


@pytest.mark.parametrize("name", ["'a b'", "'a/b'", "''", "é"])
def test_bad_names(validate: Validate, name: str) -> None:
    outcome = validate(one_check(f"name: {name}\nurl: https://x.test/"))
    assert_error(outcome, "checks[0].name", 3, 11, "")


def test_name_is_required(validate: Validate) -> None:
    outcome = validate(one_check("url: https://x.test/"))
    assert_error(outcome, "checks[0].name", 3, 5, "required field 'name' is missing")


# --- unknown keys, at every level ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path", "line", "column", "suggestion"),
    [
        (
            "versoin: 1\nversion: 1\nchecks: [{name: a, url: 'https://x.test/'}]\n",
            "versoin",
            1,
            1,
            "version",
        ),
        (
            "version: 1\ndefaults: {timout: 1s}\nchecks: [{name: a, url: 'https://x.test/'}]\n",
            "defaults.timout",
            2,
            12,
            "timeout",
        ),
        (
            "version: 1\npagerduty: {regoin: eu}\nchecks: [{name: a, url: 'https://x.test/'}]\n",
            "pagerduty.regoin",
            2,
            13,
            "region",
        ),
        (
            "version: 1\nstate: {pth: x}\nchecks: [{name: a, url: 'https://x.test/'}]\n",
            "state.pth",
            2,
            9,
            "path",
        ),
        (
            "version: 1\nheartbeat: {ulr: 'https://h.test/'}\nchecks: [{name: a, url: 'https://x.test/'}]\n",
            "heartbeat.ulr",
            2,
            13,
            "url",
        ),
        (
            one_check("name: a\nurl: https://x.test/\nexpcet: {}"),
            "checks[0].expcet",
            5,
            5,
            "expect",
        ),
        (
            one_check("name: a\nurl: https://x.test/\nexpect: {staus: 200}"),
            "checks[0].expect.staus",
            5,
            14,
            "status",
        ),
        (
            one_check("name: a\nurl: https://x.test/\nexpect: {body_contain: [x]}"),
            "checks[0].expect.body_contain",
            5,
            14,
            "body_contains",
        ),
        (
            one_check("name: a\nsteps:\n  - name: s\n    url: https://x.test/\n    captures: {}"),
            "checks[0].steps[0].captures",
            7,
            9,
            "capture",
        ),
        (
            one_check(
                "name: a\nsteps:\n  - name: s\n    url: https://x.test/\n"
                "    capture: {a: {header: X, regx: b}}"
            ),
            "checks[0].steps[0].capture.a.regx",
            7,
            34,
            "regex",
        ),
    ],
)
def test_unknown_keys_suggest_the_closest(
    validate: Validate, text: str, path: str, line: int, column: int, suggestion: str
) -> None:
    outcome = validate(text)
    assert_error(outcome, path, line, column, f'did you mean "{suggestion}"?')
    assert len(outcome.errors()) == 1, outcome.errors()


def test_unknown_key_without_a_close_match_lists_the_known_ones(validate: Validate) -> None:
    outcome = validate(one_check("name: a\nurl: https://x.test/\nzzz: 1"))
    assert_error(outcome, "checks[0].zzz", 5, 5, "expected one of body, ca_file, dedup_key")


# --- enabled, role, severity, overrides ---------------------------------------------


def test_enabled_false_and_control_role(validate: Validate) -> None:
    text = HEADER + (
        "  - name: a\n    url: https://x.test/\n    enabled: false\n"
        "  - name: net\n    role: control\n    url: https://y.test/\n"
    )
    assert validate(text).exit_code == 0
    config = load_config_text(text)
    assert config.checks[0].enabled is False and config.checks[1].is_control


@pytest.mark.parametrize(
    ("line", "path", "words"),
    [
        ("enabled: maybe", "checks[0].enabled", "expected true or false"),
        ("role: ctrl", "checks[0].role", "expected 'service' or 'control'; got 'ctrl'"),
        ("severity: high", "checks[0].severity", "'critical', 'error', 'warning' or 'info'"),
        ("retries: 11", "checks[0].retries", "expected 10 or less; got 11"),
        ("retries: -1", "checks[0].retries", "expected 0 or more"),
        ("retries: 1.5", "checks[0].retries", "expected a whole number; got 1.5"),
        ("tags: ops", "checks[0].tags", "expected a list"),
        ("tags: [1]", "checks[0].tags[0]", "expected a string; got 1"),
        ("failure_threshold: 0", "checks[0].failure_threshold", "expected 1 or more"),
    ],
)
def test_bad_check_settings(validate: Validate, line: str, path: str, words: str) -> None:
    outcome = validate(one_check(f"name: a\nurl: https://x.test/\n{line}"))
    error = outcome.error_at(path)
    assert outcome.exit_code == 2 and words in error["message"], error
    assert error["line"] == 5


def test_settings_fall_back_to_defaults() -> None:
    text = (
        "version: 1\ndefaults: {timeout: 3s, retries: 0, severity: info}\nchecks:\n"
        "  - name: a\n    url: https://x.test/\n    retries: 4\n"
    )
    config = load_config_text(text)
    settings = config.settings_for(config.checks[0])
    assert (settings.timeout, settings.retries, settings.severity) == (3.0, 4, "info")
    assert settings.headers["User-Agent"].startswith("e2echeck/")


# --- version and the checks list -------------------------------------------------------


@pytest.mark.parametrize(
    ("first_line", "column", "words"),
    [
        ("version: 2", 10, "unsupported version 2"),
        ("version: '1'", 10, "unsupported version '1'"),
        ("version: true", 10, "unsupported version True"),
        ("version: 1.0.0", 10, "unsupported"),
    ],
)
def test_wrong_version(validate: Validate, first_line: str, column: int, words: str) -> None:
    outcome = validate(f"{first_line}\nchecks: [{{name: a, url: 'https://x.test/'}}]\n")
    assert_error(outcome, "version", 1, column, words)
    assert "reads version 1" in outcome.only_error()["message"]


def test_missing_version_still_reports_the_other_errors(validate: Validate) -> None:
    outcome = validate("checks:\n  - name: a\n    url: ftp://x.test/\n")
    assert_error(outcome, "version", 1, 1, "required field 'version' is missing")
    assert_error(outcome, "checks[0].url", 3, 10, "expected an absolute http://, https://, tcp://")


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("version: 1\nchecks: []\n", 2, 9, "at least 1 item; got an empty list"),
        ("version: 1\nchecks:\n", 2, 8, "expected a list; got nothing"),
        ("version: 1\n", 1, 1, "required field 'checks' is missing"),
        ("version: 1\nchecks: {a: 1}\n", 2, 9, "expected a list"),
    ],
)
def test_empty_or_missing_checks(
    validate: Validate, text: str, line: int, column: int, words: str
) -> None:
    outcome = validate(text)
    assert_error(outcome, "checks", line, column, words)


def test_the_blocks_of_section_3(validate: Validate) -> None:
    text = (
        "version: 1\n"
        "pagerduty: {routing_key: abc, region: eu, events_url: 'http://127.0.0.1:9/v2/enqueue'}\n"
        "state: {path: s3://bucket/key}\n"
        "heartbeat: {url: 'https://hc.test/ping', timeout: 2s}\n"
        "checks: [{name: a, url: 'https://x.test/', routing_key: other}]\n"
    )
    assert validate(text).exit_code == 0
    config = load_config_text(text)
    assert config.pagerduty is not None and config.pagerduty.enqueue_url.startswith("http://127")
    assert config.routing_key_for(config.checks[0]) == "other"
    assert config.heartbeat is not None and config.heartbeat.timeout == 2.0


def test_bad_blocks(validate: Validate) -> None:
    text = (
        "version: 1\n"
        "pagerduty: {region: mars, client_url: 'not a url'}\n"
        "state: {}\n"
        "heartbeat: {url: 'ftp://h.test/'}\n"
        "checks: [{name: a, url: 'https://x.test/'}]\n"
    )
    outcome = validate(text)
    assert_error(outcome, "pagerduty.region", 2, 21, "expected 'us' or 'eu'")
    assert_error(outcome, "pagerduty.client_url", 2, 39, "http:// or https://")
    assert_error(outcome, "state.path", 3, 8, "required field 'path' is missing")
    assert_error(outcome, "heartbeat.url", 4, 18, "http:// or https://")


def test_all_errors_of_a_file_in_one_go(validate: Validate) -> None:
    text = HEADER + (
        "  - name: a\n    url: https://x.test/\n    timeout: soon\n"
        "  - name: a\n    url: ftp://y.test/\n    expect: {staus: 200}\n"
    )
    outcome = validate(text)
    assert outcome.exit_code == 2
    paths = [p["path"] for p in outcome.errors()]
    assert paths == [
        "checks[0].timeout",
        "checks[1].name",
        "checks[1].url",
        "checks[1].expect.staus",
    ]


def test_check_text_helper_never_raises_on_a_valid_file() -> None:
    result = check_text(one_check("name: a\nurl: https://x.test/"))
    assert result.config is not None and not result.problems
