"""JUnit XML, the test-report format CI systems (GitLab, Jenkins, Azure, ...) display.

One ``<testsuite>`` per report (named by the target) whose ``<properties>`` carry the validator
and NGFF versions, the verdict and the node counts. One ``<testcase>`` per node that has
findings (named by its path, ``/`` for the root, which is always present): a ``<failure>`` lists
the node's errors (and warnings with ``strict``), ``<system-out>`` the findings that do not
fail. The nodes without findings are one passing ``(other nodes)`` case. An incomplete report
adds a ``(not checked)`` case in error (the reasons); a sampled one a skipped ``(not checked)``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import ClassVar

from validator import provenance
from validator.model import Finding, Report, Severity
from validator.reporters.base import Reporter

SUITE_NAME = "ome-zarr-validator"
OTHER_NODES = "(other nodes)"
NOT_CHECKED = "(not checked)"

# Characters XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` with the characters XML 1.0 cannot represent written as ``\\xNN`` escapes."""
    return _NOT_XML.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def failing(finding: Finding, strict: bool) -> bool:
    """Whether ``finding`` makes the report invalid (errors; warnings too with ``strict``)."""
    return finding.severity is Severity.ERROR or (strict and finding.severity is Severity.WARNING)


def describe(finding: Finding) -> str:
    """One line per finding: severity, rule, where, message, spec link."""
    where = f"{finding.document}#{finding.pointer}" if finding.document else finding.pointer
    return (
        f"{finding.severity.value} {finding.rule} {where or '-'}: {finding.message} "
        f"({finding.spec})"
    )


def _by_node(report: Report) -> dict[str, list[Finding]]:
    nodes: dict[str, list[Finding]] = {"": []}
    for finding in report.findings:
        nodes.setdefault(finding.node, []).append(finding)
    return nodes


def _properties(suite: ET.Element, report: Report) -> None:
    from validator import __version__  # late: set at the end of validator/__init__

    prov = provenance.of(report)
    values: list[tuple[str, object]] = [
        ("validator.version", __version__),
        ("validator.rules_hash", prov.rules_hash),
        ("validator.ngff_versions", ",".join(prov.ngff_versions)),
        ("report.started_at", prov.started_at or ""),
        ("report.duration", "" if prov.duration is None else f"{prov.duration:.3f}"),
        ("report.target", report.target),
        ("report.verdict", report.verdict),
        ("report.valid", report.valid),
        ("report.verdict", report.verdict),
        ("report.complete", report.complete),
        *((f"report.incomplete_reason.{i}", r) for i, r in enumerate(report.incomplete_reasons)),
        ("report.strict", report.strict),
        ("report.truncated", report.truncated),
        ("ngff.version", report.ngff_version or ""),
        ("zarr.format", report.zarr_format or ""),
        *((f"counts.{k}", v) for k, v in report.counts().items()),
        *((f"nodes.{k}", v) for k, v in sorted(report.nodes.items())),
        ("stats.documents", report.stats.documents),
        ("stats.requests", report.stats.requests),
    ]
    properties = ET.SubElement(suite, "properties")
    for name, value in values:
        text = str(value).lower() if isinstance(value, bool) else str(value)
        ET.SubElement(properties, "property", name=name, value=xml_text(text))


def _node_case(suite: ET.Element, report: Report, node: str, findings: list[Finding]) -> bool:
    """Add the test case of ``node``; True if it fails."""
    case = ET.SubElement(suite, "testcase", classname=xml_text(report.target),
                         name=xml_text(node or "/"), time="0")
    failures = [f for f in findings if failing(f, report.strict)]
    others = [f for f in findings if not failing(f, report.strict)]
    if failures:
        first = failures[0]
        noun = "problem" if len(failures) == 1 else "problems"
        failure = ET.SubElement(
            case, "failure", type=xml_text(first.rule),
            message=xml_text(f"{len(failures)} {noun}: {first.message}"),
        )
        failure.text = xml_text("\n".join(describe(f) for f in failures))
    if others:
        ET.SubElement(case, "system-out").text = xml_text("\n".join(describe(f) for f in others))
    return bool(failures)


class JUnitReporter(Reporter):
    """JUnit XML, one test case per node with findings."""

    media_type: ClassVar[str] = "application/xml"
    extension: ClassVar[str] = "xml"

    def render(self, report: Report) -> str:
        seconds = f"{report.stats.seconds:.3f}"
        root = ET.Element("testsuites", name=SUITE_NAME)
        suite = ET.SubElement(root, "testsuite", name=xml_text(report.target))
        started = provenance.of(report).started_at
        if started is not None:  # JUnit's timestamp: ISO 8601 without a zone (UTC here)
            suite.set("timestamp", started.removesuffix("+00:00"))
        _properties(suite, report)
        by_node = _by_node(report)
        tests = len(by_node)
        failures = sum(_node_case(suite, report, n, fs) for n, fs in by_node.items())
        others = sum(report.nodes.values()) - len(by_node)
        if others > 0:
            tests += 1
            case = ET.SubElement(suite, "testcase", classname=xml_text(report.target),
                                 name=OTHER_NODES, time="0")
            ET.SubElement(case, "system-out").text = f"{others} more nodes, without findings"
        skipped = errors = 0
        if not report.complete:
            # Not everything was checked: an error case (the run, not the data, failed), so CI
            # never shows an incomplete report as a pass.
            tests, errors = tests + 1, 1
            case = ET.SubElement(suite, "testcase", classname=xml_text(report.target),
                                 name=NOT_CHECKED, time="0")
            reasons = report.incomplete_reasons or ["the walk stopped at a limit"]
            error = ET.SubElement(case, "error", type="incomplete",
                                  message=xml_text(f"incomplete: {reasons[0]}"))
            error.text = xml_text("\n".join([*reasons, *report.skipped]))
        elif report.skipped:
            tests, skipped = tests + 1, 1
            case = ET.SubElement(suite, "testcase", classname=xml_text(report.target),
                                 name=NOT_CHECKED, time="0")
            ET.SubElement(case, "skipped", message="sampled: not every node was checked").text = (
                xml_text("\n".join(report.skipped))
            )
        counts = {"tests": str(tests), "failures": str(failures), "errors": str(errors),
                  "skipped": str(skipped), "time": seconds}
        for element in (root, suite):
            element.attrib.update(counts)
        ET.indent(root)
        return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
