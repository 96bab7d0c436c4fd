"""The report model: findings and the report that collects them.

A :class:`Finding` is one violation (or note) at one place: the node (store-relative path of a
Zarr group or array), the document inside that node (``zarr.json``, ``.zattrs``, ...), and an
RFC 6901 JSON pointer into that document. The JSON form (:meth:`Report.to_dict`) is stable and
described by ``schemas/report/report.schema.json``.
"""

from __future__ import annotations

import enum
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from validator.jsonstream import LazyArray, materialize

REPORT_FORMAT_VERSION = "1"

#: Rules whose findings say that the validator could not check something rather than that the
#: data breaks the specification: they make a report incomplete, never invalid (rule ids are
#: API, so naming one here is safe).
NOT_VIOLATIONS = frozenset({"engine.rule-crashed"})


class Severity(enum.StrEnum):
    """How bad a finding is. MUST → error, SHOULD → warning, everything else → info."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class NodeKind(enum.StrEnum):
    """What a node of the hierarchy is, as far as OME-Zarr is concerned."""

    IMAGE = "image"
    LABELS = "labels"
    LABEL_IMAGE = "label-image"
    PLATE = "plate"
    WELL = "well"
    ARRAY = "array"
    BIOFORMATS2RAW = "bioformats2raw"
    SERIES = "series"
    SCENE = "scene"
    GROUP = "group"
    MISSING = "missing"


_DIGIT_RUNS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[str | int, ...]:
    """A sort key that orders runs of digits as numbers: "A/2" before "A/10", "axes/9"
    before "axes/10". Text and numbers alternate, so keys always compare position by
    position (text with text, number with number)."""
    parts: list[Any] = _DIGIT_RUNS.split(text)
    if len(parts) > 1:
        parts[1::2] = map(int, parts[1::2])  # the odd parts are the runs of digits
    return tuple(parts)


def finding_sort_key() -> Callable[[Finding], tuple[Any, ...]]:
    """:meth:`Finding.sort_key` for one sort of many findings: the natural keys of nodes and
    pointers are made once per distinct string (a plate's 4,000 findings name a few hundred
    nodes and a dozen pointers), not twice per finding."""
    keys: dict[str, tuple[str | int, ...]] = {}

    def sort_key(finding: Finding) -> tuple[Any, ...]:
        node = keys.get(finding.node)
        if node is None:
            node = keys[finding.node] = natural_key(finding.node)
        ptr = keys.get(finding.pointer)
        if ptr is None:
            ptr = keys[finding.pointer] = natural_key(finding.pointer)
        return (node, finding.document, ptr, finding.rule)

    return sort_key


def escape_pointer_token(token: str | int) -> str:
    """Escape one reference token for an RFC 6901 JSON pointer."""
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    """Build an RFC 6901 pointer from tokens: ``pointer("a", 0) == "/a/0"``."""
    # Most tokens are member names and indexes with nothing to escape: no replace() calls.
    return "".join([
        "/" + (escape_pointer_token(t) if type(t) is not str or "~" in t or "/" in t else t)
        for t in tokens])


def join_node(parent: str, child: str) -> str:
    """Join store-relative node paths (the root is ``""``)."""
    parent = parent.strip("/")
    child = child.strip("/")
    if not parent:
        return child
    if not child:
        return parent
    return f"{parent}/{child}"


@dataclass(frozen=True, slots=True)
class Finding:
    """One violation of a rule at one place.

    ``node`` is the store-relative path of the group or array ("" for the root); ``document``
    the metadata document inside it the pointer refers to (``zarr.json``, ``.zattrs``,
    ``.zgroup``, ``.zarray`` or ``""`` when the finding is about the node as a whole);
    ``pointer`` an RFC 6901 JSON pointer into that document; ``spec`` a link to the section
    of the specification that the rule enforces.
    """

    rule: str
    severity: Severity
    node: str
    pointer: str
    message: str
    spec: str
    document: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "node": self.node,
            "document": self.document,
            "pointer": self.pointer,
            "message": self.message,
            "spec": self.spec,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            rule=data["rule"],
            severity=Severity(data["severity"]),
            node=data["node"],
            pointer=data["pointer"],
            message=data["message"],
            spec=data["spec"],
            document=data.get("document", ""),
        )

    def sort_key(self) -> tuple[Any, ...]:
        """Node paths and pointers in natural order (A/2 before A/10)."""
        return (natural_key(self.node), self.document, natural_key(self.pointer), self.rule)


@dataclass(slots=True)
class Stats:
    """What the walk cost: documents read, requests sent, bytes received, wall time."""

    documents: int = 0
    requests: int = 0
    bytes: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "requests": self.requests,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 4),
        }


@dataclass(frozen=True, slots=True)
class Provenance:
    """What produced a report, and when: the validator's version, the identity of its rule
    catalogue (a hash: two reports with the same hash were checked by the same rules), the
    NGFF versions it knows, when the validation started (ISO 8601, UTC) and how long it took.
    """

    validator_version: str
    rules_hash: str
    ngff_versions: tuple[str, ...]
    started_at: str | None = None
    duration: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "validator_version": self.validator_version,
            "rules_hash": self.rules_hash,
            "ngff_versions": list(self.ngff_versions),
            "started_at": self.started_at,
            "duration": None if self.duration is None else round(self.duration, 4),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provenance:
        return cls(
            validator_version=data["validator_version"],
            rules_hash=data["rules_hash"],
            ngff_versions=tuple(data.get("ngff_versions", ())),
            started_at=data.get("started_at"),
            duration=data.get("duration"),
        )


@dataclass(slots=True)
class Report:
    """The outcome of validating one target.

    Three outcomes, never conflated (:attr:`verdict`): ``"valid"``, ``"invalid"`` and
    ``"incomplete"``. A report is *complete* unless something it should have checked was not:
    a limit (deadline, document/byte budget) stopped the walk early (``truncated``), or a
    check crashed; ``incomplete_reasons`` says why, in words. ``valid`` is true iff the
    report is complete and has no error (with ``strict``: no error and no warning); an
    incomplete report is never valid, whatever it found. ``skipped`` lists what was left out
    on purpose or by a limit (sampling the user asked for keeps a report complete).
    """

    target: str
    ngff_version: str | None
    zarr_format: int | None
    findings: list[Finding] = field(default_factory=list)
    nodes: Counter[str] = field(default_factory=Counter)
    stats: Stats = field(default_factory=Stats)
    strict: bool = False
    truncated: bool = False
    skipped: list[str] = field(default_factory=list)
    #: Why the report is incomplete (a limit stopped the walk, a check crashed); empty when
    #: it is complete.
    incomplete_reasons: list[str] = field(default_factory=list)
    #: What produced the report (set by the engine; ``None`` for reports built by hand).
    provenance: Provenance | None = None
    #: How the target was read, in words, for the summary: where the NGFF version came from
    #: (declared, given, inferred), a metadata document's URL taken as its group, ...
    notes: list[str] = field(default_factory=list)
    #: Findings counted but not kept (a cap on findings, ``Options.max_findings``), by
    #: severity: part of :meth:`counts`. One of each severity found is always kept, so the
    #: verdict never depends on a finding that was dropped.
    dropped: Counter[str] = field(default_factory=Counter)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def complete(self) -> bool:
        """Everything the report should cover was checked (no limit, no crashed check)."""
        return not self.truncated and not self.incomplete_reasons

    def mark_incomplete(self, reason: str) -> None:
        """Record why the report does not cover everything (once per distinct reason)."""
        if reason not in self.incomplete_reasons:
            self.incomplete_reasons.append(reason)

    @property
    def conforms(self) -> bool:
        """No failing finding among what was checked (errors; with strict, warnings too).

        A crashed check (:data:`NOT_VIOLATIONS`) is reported as an error so that nobody misses
        it, but it says the validator could not check something, not that the data breaks a
        rule: it makes the report incomplete, never invalid."""
        failing = {Severity.ERROR, Severity.WARNING} if self.strict else {Severity.ERROR}
        return not any(f.severity in failing and f.rule not in NOT_VIOLATIONS
                       for f in self.findings)

    @property
    def valid(self) -> bool:
        """Complete and conforming: never true for what was not checked."""
        return self.complete and self.conforms

    @property
    def verdict(self) -> str:
        """``"invalid"`` when a violation was found (a proven violation stands even when the
        walk did not finish: ``complete`` still says so); else ``"incomplete"`` when not
        everything was checked (a limit stopped the walk, a check crashed); else ``"valid"``.
        The CLI's exit code (1, 2, 0) and every output follow it."""
        if not self.conforms:
            return "invalid"
        return "valid" if self.complete else "incomplete"

    def counts(self) -> dict[str, int]:
        counter = Counter(f.severity.value for f in self.findings) + self.dropped
        return {s.value: counter.get(s.value, 0) for s in Severity}

    def sort(self) -> None:
        self.findings.sort(key=finding_sort_key())

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = materialize(self.to_lazy_dict())
        return data

    def to_lazy_dict(self) -> dict[str, Any]:
        """:meth:`to_dict` with the findings a :class:`~validator.jsonstream.LazyArray`: each
        finding's dict is made when it is written (a large report is streamed, not built)."""
        # Late import: the summary module builds on this one.
        from validator.summary import summarize

        return {
            "report_version": REPORT_FORMAT_VERSION,
            "target": self.target,
            "valid": self.valid,
            "verdict": self.verdict,
            "complete": self.complete,
            "incomplete_reasons": list(self.incomplete_reasons),
            "strict": self.strict,
            "ngff_version": self.ngff_version,
            "zarr_format": self.zarr_format,
            "truncated": self.truncated,
            "skipped": list(self.skipped),
            "notes": list(self.notes),
            "counts": self.counts(),
            "nodes": dict(sorted(self.nodes.items())),
            "stats": self.stats.to_dict(),
            "findings": LazyArray(f.to_dict() for f in self.findings),
            "summary": [group.to_dict() for group in summarize(self.findings)],
            "provenance": None if self.provenance is None else self.provenance.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        stats = data.get("stats", {})
        return cls(
            target=data["target"],
            ngff_version=data.get("ngff_version"),
            zarr_format=data.get("zarr_format"),
            findings=[Finding.from_dict(f) for f in data.get("findings", [])],
            nodes=Counter(data.get("nodes", {})),
            stats=Stats(
                documents=stats.get("documents", 0),
                requests=stats.get("requests", 0),
                bytes=stats.get("bytes", 0),
                seconds=stats.get("seconds", 0.0),
            ),
            strict=data.get("strict", False),
            truncated=data.get("truncated", False),
            skipped=list(data.get("skipped", [])),
            incomplete_reasons=list(data.get("incomplete_reasons", [])),
            provenance=(Provenance.from_dict(data["provenance"])
                        if data.get("provenance") else None),
            notes=list(data.get("notes", [])),
            dropped=_dropped(data),
        )


def _dropped(data: dict[str, Any]) -> Counter[str]:
    """What a stored report counted beyond the findings it kept (``counts`` minus findings)."""
    kept = Counter(f.get("severity") for f in data.get("findings", []))
    counts = data.get("counts", {})
    return Counter({s: n - kept.get(s, 0) for s, n in counts.items()
                    if isinstance(n, int) and n > kept.get(s, 0)})
