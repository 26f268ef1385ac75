"""The benchmark's smoke test: slow (it runs bench/run.py --quick), run in CI all the same."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: a test that takes seconds")
