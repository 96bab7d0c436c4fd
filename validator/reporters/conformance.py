"""The protocol of the ngff-spec conformance runner: ``{"valid": bool, "message": str}``.

The runner calls a command with a dataset path and reads that one JSON object from stdout. The
message says the verdict in a sentence and names the first few problems (rule, node, message).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from validator.model import Finding, Report, Severity
from validator.reporters.base import Reporter

#: Problems named in the message at most; the rest are counted.
MAX_LISTED = 5


def _failing(report: Report) -> list[Finding]:
    severities = {Severity.ERROR, Severity.WARNING} if report.strict else {Severity.ERROR}
    return [f for f in report.findings if f.severity in severities]


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def summary(report: Report) -> str:
    """One line: what was checked, the verdict, and the first problems."""
    checked = f"OME-NGFF {report.ngff_version}" if report.ngff_version else "OME-NGFF"
    counts = report.counts()
    tally = f"{_plural(counts['error'], 'error')}, {_plural(counts['warning'], 'warning')}"
    strict = " (strict)" if report.strict else ""
    truncated = "; not checked: " + "; ".join(report.skipped) if report.truncated else ""
    if report.valid:
        sampled = "; sampled: " + "; ".join(report.skipped) if report.skipped else ""
        return f"valid {checked}{strict}: {tally}{sampled}"
    problems = _failing(report)
    if not report.complete:
        reasons = "; ".join(report.incomplete_reasons) or "a limit stopped the walk"
        listed = "".join(f"; {_describe(f)}" for f in problems[:MAX_LISTED])
        return f"incomplete {checked}{strict}: {reasons}; {tally} so far{listed}{truncated}"
    listed = "; ".join(_describe(f) for f in problems[:MAX_LISTED])
    more = f"; and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
    return f"invalid {checked}{strict}: {tally}: {listed}{more}{truncated}"


def _describe(f: Finding) -> str:
    where = f" {f.document}#{f.pointer}" if f.document else f" {f.pointer}" if f.pointer else ""
    return f"{f.rule} at {f.node or '/'}{where}: {f.message}"


def verdict(valid: bool, message: str) -> dict[str, Any]:
    return {"valid": valid, "message": message}


def render_verdict(valid: bool, message: str) -> str:
    """The runner's JSON line (also used by the CLI when the target could not be validated)."""
    return json.dumps(verdict(valid, message)) + "\n"


class ConformanceReporter(Reporter):
    """``{"valid": bool, "message": str}`` on one line, for the ngff-spec conformance runner."""

    media_type: ClassVar[str] = "application/json"
    extension: ClassVar[str] = "json"

    def render(self, report: Report) -> str:
        return render_verdict(report.valid, summary(report))
