"""`e2echeck run --list`: what a run would run, without running anything.

Each selected check with its kind, role, tags, what it depends on (its
`depends_on`, and the control checks: a service check is judged `unknown`, and
pages nobody, when every control check fails)
and whether a maintenance window or silence holds it now. Nothing is requested,
sent or saved; the state is only read, for its silences.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from e2echeck.config.models import Check, Config
    from e2echeck.silences import Silence


def list_checks(
    config: Config,
    *,
    only: tuple[str, ...],
    tags: tuple[str, ...],
    state_path: str | None,
    output_format: str,
    now: datetime | None,
) -> int:
    """Print the checks a run would run (text or JSON); exit code 0."""
    from e2echeck.maintenance import maintenance_for
    from e2echeck.runner import select_checks

    moment = now if now is not None else datetime.now(UTC)
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    checks = select_checks(config, only, tags)
    silences = _silences(config, state_path)
    controls = [c.name for c in checks if c.is_control]
    rows = [
        {
            "name": check.name,
            "kind": _kind(check),
            "role": check.role,
            "tags": list(check.tags),
            "depends_on": [*check.depends_on, *([] if check.is_control else controls)],
            "maintenance": maintenance_for(check, config.maintenance, silences, moment),
        }
        for check in checks
    ]
    disabled = sum(1 for c in config.checks if not c.enabled)
    if output_format == "json":
        click.echo(json.dumps({"checks": rows, "disabled": disabled}, indent=2))
        return 0
    _print_table(rows)
    noun = "check" if len(rows) == 1 else "checks"
    extra = f" ({disabled} disabled, not listed)" if disabled else ""
    click.echo(f"\n{len(rows)} {noun} would run{extra}")
    return 0


def _kind(check: Check) -> str:
    from e2echeck.config.kinds import entry_for_url

    if check.steps:
        return f"{entry_for_url(check.steps[0].url).name} scenario ({len(check.steps)} steps)"
    return entry_for_url(check.url or "").name


def _silences(config: Config, state_path: str | None) -> list[Silence]:
    """The state's silences; none (with a warning) when the state cannot be read."""
    from e2echeck.alerting.state import StateError, open_store

    location = state_path or (config.state.path if config.state else None)
    if not location:
        return []
    try:
        return list(open_store(location).load().silences)
    except StateError as exc:
        click.echo(f"warning: silences unknown, state {location}: {exc}", err=True)
        return []


def _print_table(rows: list[dict[str, Any]]) -> None:
    header = ("NAME", "KIND", "ROLE", "TAGS", "DEPENDS ON", "MAINTENANCE")
    cells = [
        (
            row["name"],
            row["kind"],
            row["role"],
            ",".join(row["tags"]) or "-",
            ",".join(row["depends_on"]) or "-",
            row["maintenance"] or "-",
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
    for line in [header, *cells]:
        click.echo(
            "  ".join(
                value.ljust(width) for value, width in zip(line, widths, strict=True)
            ).rstrip()
        )
