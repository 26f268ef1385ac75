"""`e2echeck change`: a PagerDuty change event, for deploys.

    e2echeck change "deployed api v1.4" --link https://ci.example.com/runs/812

PagerDuty shows change events beside the service's incidents, so the on-call
engineer sees "deployed v1.4" next to the page that followed it. It uses the
config's pagerduty section (routing key, events URL or change_events_url).
"""

from __future__ import annotations

import click

from e2echeck.cli.boundary import Command
from e2echeck.cli.options import config_paths, load_suite
from e2echeck.errors import UndeliveredEventsError, UsageError


@click.command(cls=Command, error_prefix="e2echeck change")
@click.argument("summary")
@click.option("--link", "links", multiple=True, metavar="URL", help="A link shown with it.")
@click.option(
    "--config",
    "config_files",
    multiple=True,
    type=click.Path(),
    help="The config (default $E2ECHECK_CONFIG, then ./checks.yaml), for its pagerduty "
    "section; repeatable, and a directory: the files of one run.",
)
def change(summary: str, links: tuple[str, ...], config_files: tuple[str, ...]) -> int:
    """Send a PagerDuty change event (a deploy, a config change).

    Exit 0 sent; 2 usage or config error; 3 PagerDuty did not take it."""
    from e2echeck.alerting.change_events import ChangeEvent, send_change_events, who
    from e2echeck.config.redact import config_redactor

    if not summary.strip():
        raise UsageError("the summary is empty")
    config = load_suite(config_paths(config_files), ())
    if config.pagerduty is None or not config.pagerduty.routing_key:
        raise UsageError("change events need pagerduty.routing_key in the config")
    event = ChangeEvent(
        summary,
        {"by": who()},
        [{"href": link, "text": link} for link in links],
    )
    sent, warnings = send_change_events(config, [event], config_redactor(config))
    if not sent:
        raise UndeliveredEventsError("; ".join(warnings) or "change event not sent")
    click.echo("change event sent")
    return 0
