"""The one config builder: a checks.yaml document as a dict, written as YAML or
loaded the real way (YAML text through the loader, `${VAR}` from a given env),
so that a test's config is exactly what a user's file would give.

    document = config_document([{"name": "a", "url": url}], events_url=fake.url)
    path = write_config(tmp_path, document)          # for the CLI
    config = load_config(document, env={...})        # for in-process calls

Tests of the YAML itself (positions, quoting) write text: `one_check` and `dedent`.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import yaml

from e2echeck.config import Config, load_config_text

# What most tests want: no retries, quick retry delay, a timeout that a loaded
# machine still meets.
QUICK_DEFAULTS: dict[str, Any] = {"retries": 0, "retry_delay": "10ms", "timeout": "5s"}


def config_document(
    checks: list[dict[str, Any]],
    *,
    defaults: dict[str, Any] | None = None,
    events_url: str | None = None,
    routing_key: str | None = "${PAGERDUTY_ROUTING_KEY}",
    pagerduty: dict[str, Any] | None = None,
    state: str | Path | None = None,
    heartbeat: str | dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A checks.yaml document. A `pagerduty` section is written when `events_url`
    or `pagerduty` is given (its `routing_key` unless None); `heartbeat` is a URL
    or the whole section."""
    document: dict[str, Any] = {"version": 1}
    if defaults is not None:
        document["defaults"] = defaults
    if events_url is not None or pagerduty is not None:
        section: dict[str, Any] = {}
        if routing_key is not None:
            section["routing_key"] = routing_key
        if events_url is not None:
            section["events_url"] = events_url
        document["pagerduty"] = {**section, **(pagerduty or {})}
    if state is not None:
        document["state"] = {"path": str(state)}
    if heartbeat is not None:
        document["heartbeat"] = {"url": heartbeat} if isinstance(heartbeat, str) else heartbeat
    document["checks"] = checks
    return document


def config_text(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False)


def write_config(where: Path, document: dict[str, Any], name: str = "checks.yaml") -> Path:
    """Write `document` as YAML to the file `where/name` (`where` a directory)."""
    path = where / name
    path.write_text(config_text(document), encoding="utf-8")
    return path


def load_config(
    document: dict[str, Any], env: dict[str, str] | None = None, name: str = "checks.yaml"
) -> Config:
    """Load `document` as the loader would load its YAML file (raises ConfigError)."""
    return load_config_text(config_text(document), name, env={} if env is None else env)


# -- YAML text, for tests of the reader itself --------------------------------

HEADER = "version: 1\nchecks:\n"


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def one_check(body: str) -> str:
    """A file with one check whose keys are `body` (indented under `- `)."""
    lines = dedent(body).splitlines()
    first, rest = lines[0], lines[1:]
    return HEADER + f"  - {first}\n" + "".join(f"    {line}\n" for line in rest)
