"""Turning what the walk finds into findings: engine rules, node rules' violations, unsafe paths.

Every finding of a walk goes through :class:`Findings`, which adds the rule's severity, the
spec link of the hierarchy's version and, for a violation about another node than the one
checked, that node's metadata document and base pointer (from the Zarr layout).
"""

from __future__ import annotations

import collections
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from validator import versions as ngff
from validator.document import CheckInterrupted
from validator.model import Finding, Report, pointer
from validator.rules import RULES, Rule, Subject, Violation
from validator.rules import builtin as B

if TYPE_CHECKING:
    from validator.walk.layout import Group

#: A node rule's violation, or the exception it raised.
RuleOutcome = tuple[Rule, "Violation | Exception"]
#: Called with each finding as it is found.
FindingCallback = Callable[[Finding], None]
#: The metadata document and base pointer of a node other than the one checked.
Locate = Callable[[str], tuple[str, str]]

# Characters and forms that let a path named in metadata leave the dataset or address
# something other than a child node: parent segments, absolute paths, URLs, backslashes,
# percent-encoding (which a server may decode), queries and fragments, control characters.
_UNSAFE_PATH = re.compile(r"(^/)|(\\)|(://)|(%[0-9a-fA-F]{2})|([?#])|([\x00-\x1f\x7f])")


def unsafe_path_reason(path: str) -> str | None:
    """Why ``path`` (relative to its group) must not be fetched, or ``None`` when it is safe."""
    if path.endswith("/"):
        path = path[:-1]  # "0/" names the same child as "0"
    if not path:
        return "the path is empty"
    if _UNSAFE_PATH.search(path):
        return "absolute paths, URLs, backslashes, percent-escapes, '?' and '#' are not allowed"
    segments = path.split("/")
    if any(s in ("", ".", "..") for s in segments):
        return "empty, '.' and '..' path segments are not allowed"
    return None


class Findings:
    """The findings of one walk, as they are found."""

    def __init__(self, report: Report, on_finding: FindingCallback | None) -> None:
        self.report = report
        self._on_finding = on_finding
        #: Findings kept at most (Options.max_findings); the rest are counted by rule here.
        self.max_findings: int | None = None
        self.dropped_rules: collections.Counter[str] = collections.Counter()
        self._kept_severities: set[str] = set()
        #: The version whose rules run and whose spec is linked. Until the root declares one,
        #: findings (of reading the root) link to the oldest supported release.
        self.version: ngff.SpecVersion = ngff.supported()[0]
        #: Where another node's metadata is (set by the Zarr layout once the format is known).
        self.locate: Locate = lambda node: ("", "")

    def add(self, finding: Finding) -> None:
        cap = self.max_findings
        if cap is not None and len(self.report.findings) >= cap:
            severity = finding.severity.value
            if severity in self._kept_severities:
                # A memory budget: counted, not kept (a 100k-well plate with no wells is
                # 100k findings). One of each severity stays, so the verdict holds.
                self.report.dropped[severity] += 1
                self.dropped_rules[finding.rule] += 1
                return
        self._kept_severities.add(finding.severity.value)
        self.report.findings.append(finding)
        if self._on_finding is not None:
            self._on_finding(finding)

    def add_builtin(
        self, rule: Rule, node: str, document: str, ptr: str, message: str
    ) -> None:
        self.add(Finding(rule.id, rule.severity, node, ptr, message,
                         rule.spec(self.version.id), document))

    def run_rules(
        self, subject: Subject, ctx: Any, node: str, *, location: tuple[str, str]
    ) -> None:
        """Run the node rules of ``subject``; ``location`` = (document, OME base pointer)."""
        self.add_outcomes(self.collect(subject, ctx), node, location=location)

    def collect(self, subject: Subject, ctx: Any,
                cancel: threading.Event | None = None) -> list[RuleOutcome]:
        """The outcome of each node rule of ``subject``, not yet added: callable in a worker
        thread (nothing shared is touched); ``cancel`` stops it between violations."""
        outcomes: list[RuleOutcome] = []
        for rule in RULES.for_subject(subject, self.version.id):
            assert rule.check is not None
            try:
                for violation in rule.check(ctx):
                    if cancel is not None and cancel.is_set():
                        raise CheckInterrupted("the node rules were stopped")
                    outcomes.append((rule, violation))
            except CheckInterrupted:
                raise
            except Exception as exc:  # a check must never take the walk down with it
                outcomes.append((rule, exc))
        return outcomes

    def add_outcomes(self, outcomes: Sequence[RuleOutcome], node: str, *,
                     location: tuple[str, str]) -> None:
        for rule, outcome in outcomes:
            if isinstance(outcome, Violation):
                self._add_violation(rule, outcome, node, location)
            else:
                # ...nor pass for a check that was made: an error, and the report incomplete.
                self.add_builtin(B.RULE_CRASHED, node, location[0], location[1],
                                 B.crash_message(rule.id, outcome))
                self.report.mark_incomplete(B.crash_reason(rule.id, outcome))

    def _add_violation(
        self, rule: Rule, v: Violation, node: str, location: tuple[str, str]
    ) -> None:
        document, base = location
        target = node
        if v.node is not None and v.node != node:
            target = v.node
            document, base = self.locate(v.node)
        if v.document is not None:
            document, base = v.document, ""
        self.add(Finding(rule.id, v.severity or rule.severity, target, base + pointer(*v.path),
                         v.message, rule.spec(self.version.id), document))

    def safe_children(
        self, group: Group, ome_base: str, entries: Iterable[tuple[tuple[str | int, ...], Any]]
    ) -> list[str]:
        """The distinct child paths that may be fetched; the unsafe ones become findings."""
        seen: dict[str, None] = {}
        for tokens, path in entries:
            if not isinstance(path, str):
                continue  # the schema reports the wrong type
            reason = unsafe_path_reason(path)
            if reason is not None:
                self.add_builtin(B.PATH_ESCAPES, group.node, group.document,
                                 ome_base + pointer(*tokens),
                                 f"path {path!r} was not followed: {reason}")
                continue
            seen.setdefault(path.removesuffix("/"), None)
        return list(seen)
