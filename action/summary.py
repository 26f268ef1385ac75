"""The GitHub Action's report of `e2echeck run`: step outputs, a job summary, and
an annotation for each check that did not pass.

Usage: summary.py EXIT_CODE JSON_REPORT JUNIT_REPORT CONFIG...

It reads the run's JSON report (already redacted by e2echeck) and writes to the
files GitHub names in $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY; annotations go to
stdout as workflow commands. Standard library only: it runs in the action's own
virtualenv with whichever e2echeck version the workflow asked for.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

COUNTS = ("total", "passed", "failed", "unknown", "skipped")
NOT_PASSED = {"failed": "error", "unknown": "warning", "skipped": "warning"}


def main(argv: list[str]) -> int:
    code, json_path, junit_path, *configs = argv
    report = _read_report(json_path)
    summary = report.get("summary", {}) if report else {}
    outputs = {
        "exit-code": code,
        **{name: str(summary.get(name, "")) for name in COUNTS},
        "json-report": json_path if report is not None else "",
        "junit-report": junit_path if junit_path and Path(junit_path).exists() else "",
    }
    _append(os.environ.get("GITHUB_OUTPUT"), "".join(f"{k}={v}\n" for k, v in outputs.items()))
    checks = report.get("checks", []) if report else []
    for check in checks:
        level = NOT_PASSED.get(str(check.get("outcome")))
        if level:
            print(_annotation(level, check, configs))
    _append(os.environ.get("GITHUB_STEP_SUMMARY"), _markdown(code, summary, checks))
    return 0


def _read_report(path: str) -> dict[str, Any] | None:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # the run stopped before reporting (an invalid file): the log says why
    return document if isinstance(document, dict) else None


def _append(path: str | None, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)


def _annotation(level: str, check: dict[str, Any], configs: list[str]) -> str:
    name = str(check.get("name", "?"))
    reasons = check.get("failures") or [check.get("outcome", "")]
    message = "; ".join(str(reason) for reason in reasons)
    properties = {"title": f"e2echeck: {name} {check.get('outcome')}"}
    place = _where(name, configs)
    if place:
        properties = {"file": place[0], "line": str(place[1]), **properties}
    rendered = ",".join(f"{key}={_escape(value, True)}" for key, value in properties.items())
    return f"::{level} {rendered}::{_escape(message, False)}"


def _where(name: str, configs: list[str]) -> tuple[str, int] | None:
    """The file and line of `- name: NAME` (a check's first key, as usually written)."""
    pattern = re.compile(rf"^\s*(-\s+)?name:\s*(['\"]?){re.escape(name)}\2\s*(#.*)?$")
    for config in _files(configs):
        try:
            lines = Path(config).read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for number, line in enumerate(lines, 1):
            if pattern.match(line):
                return config, number
    return None


def _files(configs: list[str]) -> list[str]:
    """The checks files the run read: a directory as its .yaml/.yml files, sorted,
    hidden ones left out (as `e2echeck run DIR` reads it; a copy of
    e2echeck.config_files.expand_paths, since this script imports no e2echeck)."""
    files: list[str] = []
    for config in configs:
        folder = Path(config)
        if not folder.is_dir():
            files.append(config)
            continue
        files.extend(
            str(path)
            for path in sorted(folder.rglob("*"))
            if path.suffix in (".yaml", ".yml")
            and path.is_file()
            and not any(part.startswith(".") for part in path.relative_to(folder).parts)
        )
    return files


def _escape(value: str, is_property: bool) -> str:
    """Workflow-command escaping: a value cannot end the command or add a line."""
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if is_property else value


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _markdown(code: str, summary: dict[str, Any], checks: list[dict[str, Any]]) -> str:
    if not summary:
        return (
            f"### e2echeck run: exit code {code}\n\n"
            "The run wrote no report (an invalid file or a usage error): see the step's log.\n"
        )
    counts = ", ".join(f"{summary.get(name, 0)} {name}" for name in COUNTS[1:])
    lines = [
        f"### e2echeck run: {summary.get('total', len(checks))} checks, {counts} "
        f"(exit code {code})",
        "",
        "| Check | Outcome | Status | Time | Why |",
        "|---|---|---|---|---|",
    ]
    order = {"failed": 0, "unknown": 1, "skipped": 2, "maintenance": 3, "ok": 4}
    for check in sorted(checks, key=lambda c: order.get(str(c.get("outcome")), 5)):
        duration = check.get("duration_ms")
        lines.append(
            "| "
            + " | ".join(
                _cell(value)
                for value in (
                    check.get("name", ""),
                    check.get("outcome", ""),
                    check.get("status_code") or "",
                    f"{duration:.0f} ms" if isinstance(duration, int | float) else "",
                    "; ".join(str(f) for f in check.get("failures") or []),
                )
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
