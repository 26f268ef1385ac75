"""`e2echeck/redaction/` is the bottom layer: it imports no other part of e2echeck
(a Redactor is built from plain values; the layers above build theirs)."""

from __future__ import annotations

import ast
from pathlib import Path

import e2echeck.redaction

PACKAGE = Path(e2echeck.redaction.__file__).parent


def test_redaction_imports_nothing_above_it() -> None:
    climbs = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            climbs.extend(
                f"{path.name}:{node.lineno} imports {name}"
                for name in names
                if name.startswith("e2echeck") and not name.startswith("e2echeck.redaction")
            )
    assert PACKAGE.name == "redaction" and len(list(PACKAGE.glob("*.py"))) > 1
    assert not climbs, climbs
