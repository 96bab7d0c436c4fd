"""SARIF 2.1.0: the format code-scanning tools (GitHub, GitLab, IDEs) read.

One run. ``tool.driver.rules`` is the whole rule catalogue (plus any rule id a finding names
that the catalogue does not know), each with its summary, spec link and default level. Each
finding is a result whose location names the node (a logical location) and the metadata
document (a physical location: target URL + node + document); the JSON pointer into that
document is carried in the location's ``properties.jsonPointer`` (SARIF regions are line and
column based, and a report has no lines to point at).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any, ClassVar
from urllib.parse import quote

from validator import provenance
from validator.jsonstream import LazyArray, iter_json, materialize
from validator.model import Finding, Provenance, Report, Severity
from validator.reporters.base import Reporter
from validator.rules import RULES

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "ome-zarr-validator"

LEVELS: dict[Severity, str] = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "note",
}


def target_uri(target: str) -> str:
    """``target`` as a URI reference: URLs as given, absolute paths as ``file://`` URIs."""
    if "://" in target:
        return target.rstrip("/")
    if target.startswith("/"):
        return "file://" + quote(target.rstrip("/") or "/")
    return quote(target.rstrip("/"))


def document_uri(target: str, node: str, document: str) -> str:
    """The URI of ``document`` in ``node`` below ``target`` (just the target without both)."""
    uri = target_uri(target)
    tail = "/".join(quote(part) for part in (node.strip("/"), document) if part)
    if not tail:
        return uri
    return f"{uri}/{tail}" if uri else tail


def fingerprint(finding: Finding) -> str:
    """A stable identity of a finding across runs (rule + where), for result matching."""
    key = "\x1f".join((finding.rule, finding.node, finding.document, finding.pointer))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _rule_descriptor(rule_id: str, version: str | None, spec: str = "") -> dict[str, Any]:
    rule = RULES.get(rule_id)
    if rule is None:  # a rule the catalogue does not know: describe it from the finding
        return {
            "id": rule_id,
            "shortDescription": {"text": rule_id},
            **({"helpUri": spec} if spec else {}),
        }
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "shortDescription": {"text": rule.summary},
        "helpUri": rule.spec(version),
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"versions": sorted(rule.versions), "kind": rule.to_dict()["kind"]},
    }
    if rule.doc:
        descriptor["fullDescription"] = {"text": rule.doc}
    return descriptor


def _result(finding: Finding, report: Report, index: int) -> dict[str, Any]:
    node = finding.node.strip("/")
    logical: dict[str, Any] = {
        "name": PurePosixPath(node).name if node else "/",
        "fullyQualifiedName": node or "/",
        "kind": "object",
    }
    location = {
        "physicalLocation": {
            "artifactLocation": {
                "uri": document_uri(report.target, finding.node, finding.document)
            },
            "properties": {"jsonPointer": finding.pointer},
        },
        "logicalLocations": [logical],
        "properties": {
            "node": finding.node,
            "document": finding.document,
            "jsonPointer": finding.pointer,
        },
    }
    return {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [location],
        "partialFingerprints": {"omeZarrFinding/v1": fingerprint(finding)},
        "properties": {"severity": finding.severity.value, "spec": finding.spec},
    }


def _invocation(report: Report, prov: Provenance) -> dict[str, Any]:
    invocation: dict[str, Any] = {
        # An incomplete run did not do all it was asked: not a successful execution.
        "executionSuccessful": report.complete,
        "properties": {"truncated": report.truncated, "skipped": list(report.skipped),
                       "complete": report.complete,
                       "incompleteReasons": list(report.incomplete_reasons),
                       "notes": list(report.notes)},
    }
    if not report.complete:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": f"incomplete: {reason}"}}
            for reason in report.incomplete_reasons or ["a limit stopped the walk"]]
    end = provenance.finished_at(prov)
    if prov.started_at is not None and end is not None:
        invocation["startTimeUtc"] = _utc(prov.started_at)
        invocation["endTimeUtc"] = _utc(end)
    return invocation


def _utc(iso: str) -> str:
    """SARIF wants UTC times written with a ``Z``."""
    return iso.removesuffix("+00:00") + "Z"


def to_sarif(report: Report) -> dict[str, Any]:
    """The SARIF log of ``report`` as a JSON-ready dict (built whole: :class:`SarifReporter`
    writes the same log a result at a time)."""
    log: dict[str, Any] = materialize(lazy_sarif(report))
    return log


def lazy_sarif(report: Report) -> dict[str, Any]:
    """The SARIF log of ``report`` with its results a :class:`LazyArray` (each result is
    made when it is written)."""
    from validator import __version__  # late: set at the end of validator/__init__

    prov = provenance.of(report)
    rules = [_rule_descriptor(rule.id, report.ngff_version) for rule in RULES]
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    for finding in report.findings:
        if finding.rule not in index:
            index[finding.rule] = len(rules)
            rules.append(_rule_descriptor(finding.rule, report.ngff_version, finding.spec))
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": __version__,
                "semanticVersion": __version__,
                "properties": {"rulesHash": prov.rules_hash,
                               "ngffVersions": list(prov.ngff_versions)},
                "rules": rules,
            }
        },
        "invocations": [_invocation(report, prov)],
        "results": LazyArray(_result(f, report, index[f.rule]) for f in report.findings),
        "properties": {
            "target": report.target,
            "valid": report.valid,
            "verdict": report.verdict,
            "complete": report.complete,
            "strict": report.strict,
            "ngffVersion": report.ngff_version,
            "zarrFormat": report.zarr_format,
            "counts": report.counts(),
            "nodes": dict(sorted(report.nodes.items())),
            "stats": report.stats.to_dict(),
            "provenance": prov.to_dict(),
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


class SarifReporter(Reporter):
    """SARIF 2.1.0 JSON, for code-scanning dashboards."""

    media_type: ClassVar[str] = "application/sarif+json"
    extension: ClassVar[str] = "sarif"

    def render(self, report: Report) -> str:
        return "".join(self.chunks(report))

    def chunks(self, report: Report) -> Iterator[str]:
        yield from iter_json(lazy_sarif(report), indent=2)
        yield "\n"
