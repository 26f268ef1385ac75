"""`e2echeck init`: a commented starter checks.yaml that passes as written.

A new user's first file should run green against their own service before they
learn the rest: one check of the URL they give, the keys they will want next
shown as comments, and `.e2echeck/` (the state) kept out of git.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import click

from e2echeck.cli.boundary import Command
from e2echeck.errors import UsageError

DEFAULT_URL = "https://www.example.com/"
STATE_DIRECTORY = ".e2echeck/"

STARTER = """\
# The end-to-end checks e2echeck runs (written by `e2echeck init`). Next:
#   e2echeck validate {name}             (every problem, with file:line:column)
#   e2echeck run {name} --no-alert       (run the checks, send nothing)
#   e2echeck schema -o checks.schema.json    (completion in editors that read the line below)
# yaml-language-server: $schema=./checks.schema.json
version: 1

defaults:
  timeout: 10s        # per attempt
  retries: 2          # attempts after the first before a check counts as failed

# Pages when a check fails and resolves when it passes again. Not needed with
# --no-alert; set PAGERDUTY_ROUTING_KEY (an Events API v2 integration key) to page.
pagerduty:
  routing_key: ${{PAGERDUTY_ROUTING_KEY}}

state:
  path: .e2echeck/state.json   # thresholds and change-only events (kept out of git)

checks:
  - name: {check}
    url: {url}
    # To point one file at several environments, take the base URL from the
    # environment with a default: url: ${{BASE_URL:-https://www.example.com}}/health
    expect:
      status: 2xx
      max_response_time: 5s
      # body_contains: ["a text the page must show"]
      # json: {{"$.status": UP}}            # JSONPath assertions on a JSON body
      # tls_cert_min_days: 14              # https:// only

  # A control check: when every control check fails, the checker itself is cut
  # off and pages nobody. Enable it where the checker has internet access.
  # - name: internet-reachable
  #   role: control
  #   url: https://www.google.com/generate_204
  #   expect: {{status: 204}}
"""


@click.command(cls=Command)
@click.option(
    "--url",
    default=DEFAULT_URL,
    show_default=True,
    help="The URL the first check requests (an http:// or https:// URL).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("checks.yaml"),
    show_default=True,
    help="Where to write the file.",
)
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
def init(url: str, output: Path, force: bool) -> None:
    """Write a commented starter checks.yaml that passes against URL, and add
    .e2echeck/ (the state) to the .gitignore beside it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"--url: expected an absolute http:// or https:// URL; got {url!r}")
    if output.exists() and not force:
        raise UsageError(f"{output} already exists; pass --force to replace it")
    # A JSON string is a YAML double-quoted scalar; $${ keeps a literal ${ as written.
    quoted = json.dumps(url).replace("${", "$${")
    text = STARTER.format(name=output.name, check=_check_name(parts.netloc), url=quoted)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from exc
    click.echo(f"wrote {output}")
    if _ignore_state(output.parent / ".gitignore"):
        click.echo(f"added {STATE_DIRECTORY} to {output.parent / '.gitignore'}")
    click.echo(f"next: e2echeck run {output} --no-alert")


def _check_name(netloc: str) -> str:
    """A check name from the host (names allow ASCII letters, digits, '.', '_', '-')."""
    host = netloc.rsplit("@", 1)[-1].lower()
    host = host.split("]", 1)[0].lstrip("[") if host.startswith("[") else host.split(":", 1)[0]
    name = "".join(c if c.isascii() and (c.isalnum() or c in "._") else "-" for c in host)
    return name.strip("-.") or "home"


def _ignore_state(gitignore: Path) -> bool:
    """Add the state directory to `gitignore` unless it is there; True if added."""
    try:
        existing = gitignore.read_text(encoding="utf-8")
    except FileNotFoundError:
        existing = ""
    except OSError as exc:
        raise UsageError(f"cannot read {gitignore}: {exc.strerror or exc}") from exc
    lines = {line.strip().rstrip("/") for line in existing.splitlines()}
    if {".e2echeck", "/.e2echeck"} & lines:
        return False
    separator = "" if not existing or existing.endswith("\n") else "\n"
    try:
        with gitignore.open("a", encoding="utf-8") as handle:
            handle.write(f"{separator}{STATE_DIRECTORY}\n")
    except OSError as exc:
        raise UsageError(f"cannot write {gitignore}: {exc.strerror or exc}") from exc
    return True
