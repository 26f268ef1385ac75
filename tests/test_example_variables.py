"""The example checks.yaml on a fresh machine: every environment variable it reads
is documented, and the README says what its first command does offline."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def test_every_variable_of_the_example_is_documented_with_its_default() -> None:
    example = (ROOT / "checks.yaml").read_text(encoding="utf-8")
    used = {name: default for name, default in VARIABLE.findall(example)}
    assert {"PAGERDUTY_ROUTING_KEY", "E2E_SITE_URL", "E2E_CONTROL_URL"} <= set(used)
    table = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    table = table.split("## The example file", 1)[1]
    for name, default in used.items():
        rows = [line for line in table.splitlines() if line.startswith(f"| `{name}` |")]
        assert len(rows) == 1, f"{name} is not documented in docs/index.md"
        if default:
            assert f"`{default}`" in rows[0], (name, default)


def test_the_readme_says_what_the_first_command_does_offline() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_paragraph = readme.split("```\n\n", 1)[1].split("\n\n", 1)[0]
    assert first_paragraph.startswith("Offline, the first command reports every check `unknown`")
    for name in ("E2E_SITE_URL", "E2E_API_URL", "E2E_CONTROL_URL", "e2echeck init --url"):
        assert name in first_paragraph
