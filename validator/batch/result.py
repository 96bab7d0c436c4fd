"""What a batch records about one dataset: :class:`DatasetResult`, one JSON line each.

A result is the summary of a report (verdict, NGFF version, counts by severity, the rules
found most often), or of a failure to validate at all (``could-not-validate`` and the
message). It is built from a :class:`~validator.model.Report` or from the report's JSON, so
the command line, the library and the service summarise a dataset the same way.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from validator.model import Report, Severity

#: The verdicts of a batch: a report's three outcomes, and one for a target without a report.
VALID = "valid"
INVALID = "invalid"
INCOMPLETE = "incomplete"
COULD_NOT_VALIDATE = "could-not-validate"
VERDICTS = (VALID, INVALID, INCOMPLETE, COULD_NOT_VALIDATE)

#: How many of the most frequent rules a result names.
TOP_RULES = 5

#: The columns of the CSV summary, in order.
CSV_COLUMNS = ("target", "verdict", "ngff_version", "errors", "warnings", "infos",
               "top_rules", "requests", "seconds", "error", "report")


@dataclass(slots=True)
class DatasetResult:
    """The outcome of one dataset of a batch."""

    target: str
    verdict: str
    ngff_version: str | None = None
    counts: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in Severity})
    #: ``(rule id, findings)`` of the rules found most often, most frequent first.
    top_rules: list[tuple[str, int]] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0
    #: Why there is no report (``could-not-validate``), or why it is incomplete.
    error: str | None = None
    #: Where the full report was written (``--reports DIR``), if it was.
    report: str | None = None

    @classmethod
    def from_report(cls, report: Report, *, seconds: float | None = None) -> DatasetResult:
        return cls.from_report_dict(report.to_dict(), seconds=seconds)

    @classmethod
    def from_report_dict(cls, data: Mapping[str, Any], *,
                         seconds: float | None = None) -> DatasetResult:
        """The summary of a JSON report (``Report.to_dict()``, or the service's report)."""
        rules = Counter(str(f["rule"]) for f in data.get("findings", []))
        stats = data.get("stats", {})
        reasons = data.get("incomplete_reasons") or []
        verdict = str(data["verdict"])
        return cls(
            target=str(data["target"]),
            verdict=verdict,
            ngff_version=data.get("ngff_version"),
            counts={s.value: int(data.get("counts", {}).get(s.value, 0)) for s in Severity},
            top_rules=sorted(rules.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_RULES],
            requests=int(stats.get("requests", 0)),
            seconds=round(float(stats.get("seconds", 0.0) if seconds is None else seconds), 4),
            error="; ".join(str(r) for r in reasons) or None,
        )

    @classmethod
    def failed(cls, target: str, message: str, *, seconds: float = 0.0,
               requests: int = 0) -> DatasetResult:
        """A target that could not be validated at all (no report)."""
        return cls(target=target, verdict=COULD_NOT_VALIDATE, error=message,
                   seconds=round(seconds, 4), requests=requests)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "verdict": self.verdict,
            "ngff_version": self.ngff_version,
            "counts": dict(self.counts),
            "top_rules": [{"rule": rule, "count": count} for rule, count in self.top_rules],
            "requests": self.requests,
            "seconds": self.seconds,
            "error": self.error,
            "report": self.report,
        }

    def to_json(self) -> str:
        """One line of ``--output``: compact JSON, no newline inside."""
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DatasetResult:
        verdict = data.get("verdict")
        if not isinstance(data.get("target"), str) or verdict not in VERDICTS:
            raise ValueError("not a batch result: needs a target and a known verdict")
        return cls(
            target=data["target"],
            verdict=str(verdict),
            ngff_version=data.get("ngff_version"),
            counts={s.value: int(data.get("counts", {}).get(s.value, 0)) for s in Severity},
            top_rules=[(str(r["rule"]), int(r["count"])) for r in data.get("top_rules", [])],
            requests=int(data.get("requests", 0)),
            seconds=float(data.get("seconds", 0.0)),
            error=data.get("error"),
            report=data.get("report"),
        )

    def csv_row(self) -> list[str]:
        """The row of the CSV summary (:data:`CSV_COLUMNS`)."""
        return [
            self.target, self.verdict, self.ngff_version or "",
            str(self.counts.get("error", 0)), str(self.counts.get("warning", 0)),
            str(self.counts.get("info", 0)),
            " ".join(f"{rule}:{count}" for rule, count in self.top_rules),
            str(self.requests), f"{self.seconds:g}", self.error or "", self.report or "",
        ]


def exit_code(verdicts: Counter[str]) -> int:
    """0 when every dataset is valid; 2 when any could not be validated or is incomplete
    (the batch's verdict does not cover it); otherwise 1 when any is invalid."""
    if verdicts[COULD_NOT_VALIDATE] or verdicts[INCOMPLETE]:
        return 2
    if verdicts[INVALID]:
        return 1
    return 0
