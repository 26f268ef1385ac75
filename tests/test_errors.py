"""One exception hierarchy, one mapping to exit codes, the old import paths kept."""

from __future__ import annotations

import pytest

from e2echeck import errors, exit_codes
from e2echeck.config import ConfigError, Problem, load_config_text


def test_every_public_error_derives_from_the_base_and_says_why() -> None:
    public = [getattr(errors, name) for name in errors.__all__ if name.endswith("Error")]
    assert len(public) >= 6
    for error in public:
        assert issubclass(error, errors.E2ECheckError), error
        assert error.__doc__ and error.__doc__.strip(), error


def test_the_errors_are_the_same_classes_where_they_were_defined() -> None:
    from e2echeck.alerting.state import StateError
    from e2echeck.config.loader import ConfigError as LoaderConfigError
    from e2echeck.lambda_handler import UndeliveredEventsError
    from e2echeck.packaging import PackagingError
    from e2echeck.runner import SelectionError

    assert LoaderConfigError is ConfigError is errors.ConfigError
    assert SelectionError is errors.SelectionError and issubclass(SelectionError, ValueError)
    assert StateError is errors.StateError
    assert PackagingError is errors.PackagingError
    assert UndeliveredEventsError is errors.UndeliveredEventsError
    assert issubclass(UndeliveredEventsError, RuntimeError)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.ConfigError([]), exit_codes.CONFIG_ERROR),
        (errors.SelectionError("no check"), exit_codes.CONFIG_ERROR),
        (errors.StateError("cannot read"), exit_codes.CONFIG_ERROR),
        (errors.PackagingError("pip failed"), exit_codes.FAILED),
        (errors.UndeliveredEventsError("1 event"), exit_codes.UNDELIVERED),
        (KeyError("a bug"), exit_codes.FAILED),
    ],
)
def test_exit_code_for(error: BaseException, code: int) -> None:
    assert errors.exit_code_for(error) == code


def test_a_config_error_carries_every_problem_placed_in_the_file() -> None:
    with pytest.raises(errors.E2ECheckError) as caught:
        load_config_text("version: 1\nchecks:\n  - name: a\n    url: nope\n", "c.yaml")
    assert isinstance(caught.value, ConfigError)
    (problem,) = caught.value.problems
    assert isinstance(problem, Problem)
    assert str(caught.value) == str(problem)
    assert (problem.file, problem.line, problem.path) == ("c.yaml", 4, "checks[0].url")
