"""The summary every report output shares: findings grouped by rule.

A plate with one recommended key missing on every field gives thousands of findings of a few
rules; people want to read "this rule, this many times, here are the first few nodes", errors
first. :func:`summarize` gives that grouping once, for the text reporter, the JSON report's
``summary``, the HTML page and the web page; every finding stays available per node.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from validator.model import Finding, Severity, finding_sort_key, natural_key

#: Nodes named per rule before "and N more".
FIRST_NODES = 5

_ORDER = {severity: rank for rank, severity in enumerate(Severity)}  # error, warning, info


@dataclass(frozen=True, slots=True)
class RuleGroup:
    """The findings of one rule (at one severity): how many, where, and an example message.

    ``nodes`` holds every distinct node, in natural order ("A/2" before "A/10"); ``message``
    and ``node`` are those of the first finding in that order.
    """

    rule: str
    severity: Severity
    count: int
    nodes: tuple[str, ...]
    message: str
    spec: str

    @property
    def first_nodes(self) -> tuple[str, ...]:
        return self.nodes[:FIRST_NODES]

    @property
    def more_nodes(self) -> int:
        """How many nodes are not among :attr:`first_nodes`."""
        return max(0, len(self.nodes) - FIRST_NODES)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "count": self.count,
            "node_count": len(self.nodes),
            "nodes": list(self.first_nodes),
            "more_nodes": self.more_nodes,
            "message": self.message,
            "spec": self.spec,
        }


def summarize(findings: Iterable[Finding]) -> list[RuleGroup]:
    """Group ``findings`` by rule and severity: errors first, then warnings, then infos; within
    a severity, the rule with the most findings first (ties by rule id)."""
    groups: dict[tuple[str, Severity], list[Finding]] = {}
    for finding in findings:
        groups.setdefault((finding.rule, finding.severity), []).append(finding)
    out = []
    sort_key = finding_sort_key()  # one memo for every group: they share nodes and pointers
    for (rule, severity), members in groups.items():
        members.sort(key=sort_key)
        nodes = tuple(dict.fromkeys(f.node for f in members))
        first = members[0]
        out.append(RuleGroup(rule, severity, len(members), nodes, first.message, first.spec))
    out.sort(key=lambda g: (_ORDER[g.severity], -g.count, g.rule))
    return out


def natural_sorted(paths: Iterable[str]) -> list[str]:
    """``paths`` in natural order ("A/2" before "A/10")."""
    return sorted(paths, key=natural_key)


def plural(n: int, noun: str, plural_form: str | None = None) -> str:
    """``"1 error"``, ``"2 errors"``, ``"0 errors"``; ``plural_form`` for irregular nouns."""
    return f"{n} {noun if n == 1 else plural_form or noun + 's'}"
