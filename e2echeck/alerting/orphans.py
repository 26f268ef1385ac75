"""Alerts of removed checks: resolved, not left open for good.

A check deleted from the file while its alert is open would otherwise leave a
zombie incident that only a warning on stderr mentions (and nobody reads stderr
in Lambda). The state records which checks file it belongs to (its top-level
`checks_file`), so that only that file's removed checks are resolved: pointing
another file at the same state resolves nothing of the first one's. Checks that
are merely disabled or left out by --only/--tag are still in the file, so they
are never orphans.
"""

from __future__ import annotations

import os
from collections.abc import Collection

from e2echeck.alerting.state import State
from e2echeck.alerting.transitions import Transition, resolve_transition
from e2echeck.config.models import Config
from e2echeck.redaction import Redactor

SECTION = "checks_file"  # the state's top-level key naming the file it belongs to


def checks_file(config: Config) -> str:
    """How a state names the file: its absolute path (a URL as it is)."""
    return config.identity


def owner(state: State) -> str | None:
    value = state.sections.get(SECTION)
    return value if isinstance(value, str) else None


def claim(state: State, config: Config) -> bool:
    """Make `config`'s file the state's owner when it has none; True when the
    state belongs to this file (so its removed checks may be resolved)."""
    mine = checks_file(config)
    if owner(state) is None:
        state.sections[SECTION] = mine
    return owner(state) == mine


def orphans(config: Config, state: State, known: Collection[str]) -> list[tuple[str, str]]:
    """(dedup key, check name) of the open alerts of checks removed from the
    file that owns the state (`known`: dedup keys still in use)."""
    if not claim(state, config):
        return []
    return [
        (key, alert.check)
        for key, alert in state.alerts.items()
        if alert.check is not None and alert.state == "open" and key not in known
    ]


def removed_resolve(config: Config, key: str, check: str, redactor: Redactor) -> Transition:
    """The resolve of a removed check's alert, saying why."""
    resolve = resolve_transition(key, check, redactor)
    name = " + ".join(os.path.basename(s) or s for s in config.source.split(" + "))
    resolve.summary = redactor.text(f"{check} resolved: check removed from {name}")
    resolve.details = {"reason": redactor.text(f"check removed from {name}")}
    return resolve
