"""Text for people: by default the findings grouped by rule (errors first, the first few nodes
of each, "and N more"), then the verdict line; ``details`` lists every finding by node instead;
``quiet`` prints the verdict line alone. ``min_severity`` hides the findings below it (the
verdict and its counts never change)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from itertools import groupby

from validator.model import Finding, Report, Severity, finding_sort_key
from validator.reporters.base import Reporter
from validator.summary import plural, summarize

# ANSI SGR codes of the styles used (what rich wrote for them before: same bytes, without
# rich's markup parser, which took most of a second on a plate with thousands of findings).
_SGR = {"bold": "1", "bold red": "1;31", "bold green": "1;32", "bold yellow": "1;33",
        "yellow": "33", "cyan": "36", "dim": "2"}
_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_VERDICT_STYLE = {"valid": "bold green", "invalid": "bold red", "incomplete": "bold yellow"}
_RANK = {severity: rank for rank, severity in enumerate(Severity)}

#: Node kinds in hierarchy order, with their nouns (singular, plural).
NODE_NOUNS: dict[str, tuple[str, str]] = {
    "bioformats2raw": ("bioformats2raw collection", "bioformats2raw collections"),
    "series": ("series", "series"),
    "plate": ("plate", "plates"),
    "well": ("well", "wells"),
    "image": ("image", "images"),
    "labels": ("labels group", "labels groups"),
    "label-image": ("label image", "label images"),
    "array": ("array", "arrays"),
    "group": ("group", "groups"),
    "missing": ("missing node", "missing nodes"),
}


def use_color(isatty: bool, environ: Mapping[str, str] | None = None) -> bool:
    """Color on a terminal, unless ``NO_COLOR`` is set (https://no-color.org: it wins);
    ``FORCE_COLOR`` (not ``0``) colors output that is not a terminal too."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    force = env.get("FORCE_COLOR")
    if force is not None and force not in ("", "0", "false"):
        return True
    return isatty


def node_counts(nodes: Mapping[str, int]) -> str:
    """``"1 plate, 384 wells, 768 images, 1536 arrays"`` (hierarchy order)."""
    known = [k for k in NODE_NOUNS if nodes.get(k)]
    others = sorted(k for k in nodes if k not in NODE_NOUNS and nodes[k])
    parts = [plural(nodes[k], *NODE_NOUNS[k]) for k in known]
    parts += [plural(nodes[k], k) for k in others]
    return ", ".join(parts) or "no nodes"


def severity_counts(counts: Mapping[str, int]) -> str:
    """``"2 errors, 1 warning, 0 infos"``."""
    return ", ".join(plural(counts.get(s.value, 0), s.value) for s in Severity)


class TextReporter(Reporter):
    """The grouped summary (default), every finding by node (``details``) or the verdict
    line alone (``quiet``); colored when ``color`` is set."""

    def __init__(self, *, color: bool = False, details: bool = False, quiet: bool = False,
                 min_severity: Severity = Severity.INFO) -> None:
        super().__init__(color=color)
        self.details = details
        self.quiet = quiet
        self.min_severity = min_severity

    def styled(self, text: str, style: str) -> str:
        return f"\x1b[{_SGR[style]}m{text}\x1b[0m" if self.color else text

    def render(self, report: Report) -> str:
        verdict = self.verdict_line(report)
        if self.quiet:
            return verdict + "\n"
        shown = [f for f in report.findings if _RANK[f.severity] <= _RANK[self.min_severity]]
        lines = self.by_node(shown) if self.details else self.by_rule(shown)
        hidden = len(report.findings) - len(shown)
        if hidden:
            lines.append(self.styled(
                f"({plural(hidden, 'finding')} below {self.min_severity.value} not shown)",
                "dim"))
        if lines:
            lines.append("")
        lines.append(verdict)
        lines.extend(self.footer(report))
        return "\n".join(lines) + "\n"

    # -- parts ---------------------------------------------------------------------------

    def verdict_line(self, report: Report) -> str:
        """``VALID target — NGFF 0.5, Zarr v3: 0 errors, 2 warnings, 0 infos``."""
        # Report.verdict decides (INVALID on a violation found, else INCOMPLETE when not
        # everything was checked); an invalid report that stopped early says "incomplete" too,
        # and sampling the user asked for says "sampled".
        outcome = report.verdict
        head = self.styled(outcome.upper(), _VERDICT_STYLE.get(outcome, "bold"))
        version = f"NGFF {report.ngff_version or 'unknown'}"
        zarr = f", Zarr v{report.zarr_format}" if report.zarr_format else ""
        strict = " (strict)" if report.strict else ""
        sampled = " (sampled)" if report.complete and report.skipped else ""
        so_far = "" if report.complete else " so far"
        if outcome == "invalid" and not report.complete:
            strict += " (incomplete)"
        line = (f"{head} {report.target} — {version}{zarr}{strict}{sampled}: "
                f"{severity_counts(report.counts())}{so_far}")
        if self.quiet and not report.complete:
            reasons = report.incomplete_reasons or report.skipped
            line += f"; not everything was checked: {'; '.join(reasons)}"
        return line

    def footer(self, report: Report) -> list[str]:
        stats = report.stats
        lines = [
            f"{node_counts(report.nodes)}; {plural(stats.documents, 'document')} read in "
            f"{plural(stats.requests, 'request')}, {stats.seconds:.2f} s"
        ]
        lines.extend(self.styled(note, "dim") for note in report.notes)
        for reason in report.incomplete_reasons:
            lines.append(f"{self.styled('incomplete:', 'yellow')} {reason}")
        for line in report.skipped:
            if any(reason in line for reason in report.incomplete_reasons):
                continue  # said once, above
            label = "truncated:" if report.truncated else "not checked:"
            lines.append(f"{self.styled(label, 'yellow')} {line}")
        provenance = report.provenance
        if provenance is not None:
            started = f", started {provenance.started_at}" if provenance.started_at else ""
            lines.append(self.styled(
                f"ome-zarr-validator {provenance.validator_version}, rules "
                f"{provenance.rules_hash}{started}", "dim"))
        if not self.details and report.findings:
            lines.append(self.styled("--details lists every finding by node", "dim"))
        return lines

    def by_rule(self, findings: list[Finding]) -> list[str]:
        lines: list[str] = []
        for group in summarize(findings):
            sev = self.styled(f"{group.severity.value:7}", _STYLE[group.severity])
            where = plural(len(group.nodes), "node")
            lines.append(f"{sev} {self.styled(group.rule, 'bold')}  "
                         f"{plural(group.count, 'finding')} on {where}")
            lines.append(f"        {group.message}")
            nodes = ", ".join(node or "/" for node in group.first_nodes)
            more = f" and {group.more_nodes} more" if group.more_nodes else ""
            lines.append(self.styled(f"        at {nodes}{more}", "dim"))
        return lines

    def by_node(self, findings: list[Finding]) -> list[str]:
        lines: list[str] = []
        ordered = sorted(findings, key=finding_sort_key())
        for node, members in groupby(ordered, key=lambda f: f.node):
            lines.append(self.styled(node or "/", "bold"))
            for f in sorted(members, key=lambda f: _RANK[f.severity]):
                where = f"{f.document}#{f.pointer}" if f.document else (f.pointer or "")
                lines.append(
                    f"  {self.styled(f'{f.severity.value:7}', _STYLE[f.severity])} {f.rule}  "
                    f"{f.message}" + (f"  {self.styled(f'({where})', 'dim')}" if where else "")
                )
        return lines
