"""checks.yaml: the models, the loader and its errors (and the "did you mean"
its messages share with the command line's)."""

from e2echeck.config._suggest import did_you_mean
from e2echeck.config.loader import (
    ConfigError,
    LoadResult,
    Problem,
    check_config,
    check_config_text,
    default_config_path,
    load_config,
    load_config_text,
)
from e2echeck.config.models import Check, CheckSettings, Config, Expect, JsonAssertion, Step

__all__ = [
    "Check",
    "CheckSettings",
    "Config",
    "ConfigError",
    "Expect",
    "JsonAssertion",
    "LoadResult",
    "Problem",
    "Step",
    "check_config",
    "check_config_text",
    "default_config_path",
    "did_you_mean",
    "load_config",
    "load_config_text",
]
