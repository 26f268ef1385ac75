"""The deployment files (CloudFormation template, Dockerfile) and the linters
that check them, for the tests of both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.tools import find_tool

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "template.yaml"
DOCKERFILE = ROOT / "Dockerfile"


def tool(name: str, package: str) -> str:
    """The tool's executable: in this interpreter's environment, else on PATH."""
    found = find_tool(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install {package}, in the test extra)")
    return found


def load_template() -> dict[str, Any]:
    """deploy/template.yaml as cfn-lint reads it (CloudFormation's short tags included)."""
    decode = pytest.importorskip("cfnlint.decode")
    document, problems = decode.decode(str(TEMPLATE))
    assert not problems
    assert isinstance(document, dict)
    return document
