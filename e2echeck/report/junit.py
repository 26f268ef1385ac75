"""The JUnit XML report: one testcase per check, for CI systems."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

from e2echeck.engine.results import CheckResult, Outcome, RunResult
from e2echeck.redaction import Redactor
from e2echeck.report import Alerts, alert_of, summary_counts
from e2echeck.report.json_report import placed


def render_junit(
    run: RunResult,
    *,
    redactor: Redactor,
    alerts: Alerts | None = None,
    suite_name: str = "e2echeck",
) -> str:
    """<testsuites><testsuite>: a failed check is a <failure>, an unknown one an
    <error> (the checker could not judge it), a skipped one <skipped>, and one
    that failed in a maintenance window or silence <skipped type="maintenance">."""
    clean: Callable[[str], str] = redactor.text
    counts = summary_counts(run)
    seconds = f"{run.duration_ms / 1000:.3f}"
    attributes = {
        "name": suite_name,
        "tests": str(counts["total"]),
        "failures": str(counts["failed"]),
        "errors": str(counts["unknown"]),
        "skipped": str(counts["skipped"] + counts["maintenance"]),
        "time": seconds,
    }
    root = ET.Element("testsuites", attributes)
    suite = ET.SubElement(
        root, "testsuite", {**attributes, "timestamp": run.started_at.isoformat()}
    )
    _timing_properties(suite, run)
    for result in run.results:
        _testcase(suite, result, clean, alerts, suite_name)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _timing_properties(suite: ET.Element, run: RunResult) -> None:
    """The event loop's lag and the peak in flight: how far the timings can be trusted."""
    timing = run.timing
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("lag_p50_ms", f"{timing.lag_p50_ms:.1f}"),
        ("lag_p99_ms", f"{timing.lag_p99_ms:.1f}"),
        ("lag_max_ms", f"{timing.lag_max_ms:.1f}"),
        ("peak_in_flight", str(timing.peak_in_flight)),
        ("latency_rechecks", str(timing.rechecked)),
        ("timing_warning", timing.warning or ""),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": value})


def _testcase(
    suite: ET.Element,
    result: CheckResult,
    clean: Callable[[str], str],
    alerts: Alerts | None,
    suite_name: str,
) -> None:
    group = result.check.tags[0] if result.check.tags else result.check.role
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "classname": f"{suite_name}.{group}",
            "name": result.name,
            "time": f"{result.duration_ms / 1000:.3f}",
        },
    )
    action, delivery = alert_of(result, alerts)
    facts = result.kind_details
    properties = ET.SubElement(case, "properties")
    neutral = {
        "outcome": str(result.outcome),
        "attempts": str(result.attempts),
        "dedup_key": result.check.effective_dedup_key,
        "alert_action": action,
        "alert_delivery": delivery,
    }
    for name, value in placed(neutral, facts.properties()).items():
        ET.SubElement(properties, "property", {"name": name, "value": clean(value)})
    located = getattr(alerts.get(result.name), "locations", None) if alerts else None
    if isinstance(located, dict):  # with `locations`: the quorum's view
        for name, value in (
            ("locations", str(located["label"])),
            ("location_decision", str(located["decision"])),
            *(
                (f"location.{where}", f"{seen['outcome']} at {seen['at'] or '-'}")
                for where, seen in located["locations"].items()
            ),
        ):
            ET.SubElement(properties, "property", {"name": name, "value": clean(value)})
    if result.outcome is Outcome.OK:
        return
    message = clean(result.reason or str(result.outcome))
    details = [clean(reason) for reason in result.failures]
    if facts.step:
        details.append(f"failed step: {facts.step}")
    if facts.tried:
        details.append(clean(facts.tried))
    details.extend(
        f"attempt {n}: {clean(reason)}" for n, reason in enumerate(result.retried_reasons, 1)
    )
    if result.outcome is Outcome.FAILED:
        element = ET.SubElement(case, "failure", {"message": message, "type": "failed"})
        element.text = "\n".join(details)
    elif result.outcome is Outcome.UNKNOWN:
        element = ET.SubElement(case, "error", {"message": message, "type": "unknown"})
        element.text = "\n".join(details)
    elif result.outcome is Outcome.MAINTENANCE:  # failed, but planned: pages nobody
        why = clean(f"maintenance: {result.maintenance}")
        element = ET.SubElement(case, "skipped", {"message": why, "type": "maintenance"})
        element.text = "\n".join(details)
    else:
        ET.SubElement(case, "skipped", {"message": message})
