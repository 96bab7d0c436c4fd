from __future__ import annotations

from itertools import groupby

from validator.model import Report, Severity
from validator.reporters.base import Reporter

# ANSI SGR codes of the styles used (what rich wrote for them before: same bytes, without
# rich's markup parser, which took most of a second on a plate with thousands of findings).
_SGR = {"bold": "1", "bold red": "1;31", "bold green": "1;32", "yellow": "33", "cyan": "36",
        "dim": "2"}
_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


class TextReporter(Reporter):
    """Findings grouped by node, for people; colored when ``color`` is set."""

    def render(self, report: Report) -> str:
        color = self.color

        def styled(text: str, style: str) -> str:
            return f"\x1b[{_SGR[style]}m{text}\x1b[0m" if color else text

        lines: list[str] = []
        for node, findings in groupby(report.findings, key=lambda f: f.node):
            lines.append(styled(node or "/", "bold"))
            for f in findings:
                where = f"{f.document}#{f.pointer}" if f.document else (f.pointer or "")
                lines.append(
                    f"  {styled(f'{f.severity.value:7}', _STYLE[f.severity])} {f.rule}  "
                    f"{f.message}" + (f"  {styled(f'({where})', 'dim')}" if where else "")
                )
        counts = report.counts()
        verdict = styled("VALID", "bold green") if report.valid else styled("INVALID", "bold red")
        nodes = ", ".join(f"{n} {k}" for k, n in sorted(report.nodes.items())) or "no nodes"
        stats = report.stats
        lines.append(
            f"{verdict} {report.target} — NGFF {report.ngff_version}, "
            f"Zarr v{report.zarr_format}{' (strict)' if report.strict else ''}: "
            f"{counts['error']} errors, {counts['warning']} warnings; {nodes}; "
            f"{stats.documents} documents, {stats.requests} requests in {stats.seconds:.2f} s"
        )
        if report.truncated:
            lines.extend(f"{styled('truncated:', 'yellow')} {line}" for line in report.skipped)
        elif report.skipped:
            lines.extend(styled(f"not checked: {line}", "dim") for line in report.skipped)
        return "\n".join(lines) + "\n"
