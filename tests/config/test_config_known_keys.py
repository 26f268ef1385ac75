"""'did you mean' knows every key the models accept, read from the models themselves."""

from __future__ import annotations

from e2echeck.config import models
from e2echeck.config.known_keys import known_keys
from tests.config.helpers import check_text


def _keys(model: type[models.BaseModel]) -> set[str]:
    return {info.alias or name for name, info in model.model_fields.items()}


def test_the_keys_of_every_section_come_from_its_model() -> None:
    assert set(known_keys(())) == _keys(models.Config)
    assert set(known_keys(("defaults",))) == _keys(models.Defaults)
    assert set(known_keys(("pagerduty",))) == _keys(models.PagerDutyConfig)
    assert set(known_keys(("state",))) == _keys(models.StateConfig)
    assert set(known_keys(("heartbeat",))) == _keys(models.HeartbeatConfig)
    assert set(known_keys(("redact",))) == {"env", "names"}
    assert set(known_keys(("checks", 3))) == _keys(models.Check)
    assert set(known_keys(("checks", 0, "expect"))) == _keys(models.Expect)
    assert set(known_keys(("checks", 0, "steps", 1))) == _keys(models.Step)
    assert set(known_keys(("checks", 0, "steps", 1, "expect"))) == _keys(models.Expect)
    assert set(known_keys(("checks", 0, "steps", 1, "capture", "token"))) == {
        "json",
        "header",
        "regex",
        "secret",
    }
    # Free-form mappings and values have no known keys.
    assert known_keys(("checks", 0, "headers")) == []
    assert known_keys(("checks", 0, "json")) == []
    assert known_keys(("nowhere",)) == []


def test_a_misspelt_key_of_a_nested_section_gets_a_suggestion() -> None:
    text = (
        "version: 1\n"
        "heartbeat:\n  url: https://hb.test/ping\n  timout: 3s\n"
        "checks:\n  - name: a\n    steps:\n      - name: s\n        url: https://a.test/\n"
        "        expect:\n          max_respons_time: 1s\n"
    )
    messages = [str(p) for p in check_text(text).errors]
    assert any(
        "heartbeat.timout: unknown key 'timout'; did you mean \"timeout\"?" in m for m in messages
    ), messages
    assert any(
        "checks[0].steps[0].expect.max_respons_time: unknown key 'max_respons_time'; "
        'did you mean "max_response_time"?' in m
        for m in messages
    ), messages
