"""Limits a run must hold (issue 6). Some take seconds: marked `slow`, and run
in CI all the same (deselect with `-m 'not slow'` for a quick local loop)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: a limits test that takes seconds")
