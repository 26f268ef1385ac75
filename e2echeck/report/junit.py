"""The JUnit XML report: one testcase per check, for CI systems.

Valid against the Jenkins xUnit plugin's `junit-10.xsd` (the strictest reader),
and read by junitparser as GitHub's test-report actions read it: the schema
allows `<properties>` only on the testsuite and no `skipped` on `<testsuites>`,
so each check's facts are `name: value` lines of its `<system-out>`, which
every CI viewer shows next to the test.
"""

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
        "time": seconds,
    }
    root = ET.Element("testsuites", attributes)
    skipped = str(counts["skipped"] + counts["maintenance"])
    suite = ET.SubElement(
        root,
        "testsuite",
        {**attributes, "skipped": skipped, "timestamp": run.started_at.isoformat()},
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
    neutral = {
        "outcome": str(result.outcome),
        "attempts": str(result.attempts),
        "dedup_key": result.check.effective_dedup_key,
        "alert_action": action,
        "alert_delivery": delivery,
    }
    lines = list(placed(neutral, facts.properties()).items())
    located = getattr(alerts.get(result.name), "locations", None) if alerts else None
    if isinstance(located, dict):  # with `locations`: the quorum's view
        lines += [
            ("locations", str(located["label"])),
            ("location_decision", str(located["decision"])),
            *(
                (f"location.{where}", f"{seen['outcome']} at {seen['at'] or '-'}")
                for where, seen in located["locations"].items()
            ),
        ]
    if result.outcome is not Outcome.OK:
        _verdict(case, result, clean)
    out = ET.SubElement(case, "system-out")
    out.text = "\n".join(f"{name}: {' '.join(clean(value).split())}" for name, value in lines)


def _verdict(case: ET.Element, result: CheckResult, clean: Callable[[str], str]) -> None:
    """<failure>, <error> or <skipped>, with every reason and what was tried."""
    facts = result.kind_details
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
