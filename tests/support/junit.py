"""Reading e2echeck's JUnit report as CI tools do: validated against the Jenkins
xUnit plugin's junit-10.xsd (schemas/junit-10.xsd, MIT, as shipped in pytest's
sources), and each check's facts read back from its <system-out>."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

XSD = Path(__file__).parent / "schemas" / "junit-10.xsd"


@cache
def _schema() -> Any:
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(XSD)))


def xsd_errors(xml_text: str) -> list[str]:
    """What junit-10.xsd finds wrong with the report (empty: valid)."""
    from lxml import etree

    schema = _schema()
    document = etree.fromstring(xml_text.encode("utf-8"))
    if schema.validate(document):
        return []
    return [str(error) for error in schema.error_log]


def facts_of(system_out: str | None) -> dict[str, str]:
    """A testcase's facts from its `<system-out>` (`name: value` lines)."""
    pairs = (line.partition(": ") for line in (system_out or "").splitlines())
    return {name: value for name, _, value in pairs}
