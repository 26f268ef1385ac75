"""The AWS tests reach moto's server (tests/support/aws.py) with real boto3 over
HTTP; `aws` points this process at it, after a reset, so every test starts with
no parameters, secrets or buckets."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def aws(aws_env: dict[str, str]) -> Any:
    """A boto3 session for setting up parameters and secrets on the moto server."""
    import boto3  # type: ignore[import-untyped]

    return boto3.session.Session()
