"""The config tests' `validate` fixture, for the `redact` section's errors."""

from tests.config.conftest import validate, write

__all__ = ["validate", "write"]
