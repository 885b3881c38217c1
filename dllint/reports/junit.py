"""JUnit XML: one testcase per finding, so CI test tabs list each one with its place.

GitLab, Jenkins and the GitHub test-report actions show a testcase as `classname` + `name`;
grouping by file (classname = path) keeps a large report browsable.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from dllint.engine.context import ReportContext
from dllint.engine.diagnostic import Diagnostic, Location

# XML 1.0 cannot carry these even escaped (nor UTF-8 lone surrogates from undecodable paths);
# ElementTree would write them and break the file.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def render(diagnostics: Sequence[Diagnostic], context: ReportContext) -> str:
    suites = ET.Element("testsuites", name="dllint")
    # `tests` counts at least one case: Jenkins rejects a report without any results.
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="dllint",
        tests=str(max(len(diagnostics), 1)),
        failures=str(len(diagnostics)),
        errors="0",
        skipped="0",
    )
    for d in diagnostics:
        _testcase(suite, d, context)
    if not diagnostics:
        ET.SubElement(suite, "testcase", classname="dllint", name="dllint check")
    ET.indent(suites)
    body = ET.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _testcase(suite: ET.Element, d: Diagnostic, context: ReportContext) -> None:
    loc = d.location
    case = ET.SubElement(
        suite,
        "testcase",
        classname=_clean(loc.path),
        name=_clean(f"{d.code} ({d.name}) at {loc.line}:{loc.column}"),
        file=_clean(loc.path),
        line=str(loc.line),
    )
    failure = ET.SubElement(case, "failure", message=_clean(d.message), type=d.severity.label)
    lines = [f"{_where(loc)}: {d.code} [{d.severity.label}] {d.message}"]
    if d.help:
        lines.append(f"help: {d.help}")
    lines += [f"note: {_where(r.location)}: {r.message}" for r in d.related]
    lines.append(context.docs_url(d.code))
    failure.text = _clean("\n".join(lines))


def _where(loc: Location) -> str:
    return f"{loc.path}:{loc.line}:{loc.column}"


def _clean(text: str) -> str:
    return _NOT_XML.sub("\N{REPLACEMENT CHARACTER}", text)
