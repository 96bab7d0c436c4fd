from __future__ import annotations

import io
from itertools import groupby

from rich.console import Console
from rich.markup import escape

from validator.model import Report, Severity
from validator.reporters.base import Reporter

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


class TextReporter(Reporter):
    """Findings grouped by node, for people; colored when ``color`` is set."""

    def render(self, report: Report) -> str:
        buffer = io.StringIO()
        console = Console(file=buffer, force_terminal=self.color, no_color=not self.color,
                          width=10_000, highlight=False, soft_wrap=True)
        for node, findings in groupby(report.findings, key=lambda f: f.node):
            console.print(f"[bold]{escape(node or '/')}[/bold]")
            for f in findings:
                where = f"{f.document}#{f.pointer}" if f.document else (f.pointer or "")
                style = _STYLE[f.severity]
                console.print(
                    f"  [{style}]{f.severity.value:7}[/{style}] {escape(f.rule)}  "
                    f"{escape(f.message)}" + (f"  [dim]({escape(where)})[/dim]" if where else "")
                )
        counts = report.counts()
        verdict = (
            "[bold green]VALID[/bold green]" if report.valid else "[bold red]INVALID[/bold red]"
        )
        nodes = ", ".join(f"{n} {k}" for k, n in sorted(report.nodes.items())) or "no nodes"
        stats = report.stats
        console.print(
            f"{verdict} {escape(report.target)} — NGFF {report.ngff_version}, "
            f"Zarr v{report.zarr_format}{' (strict)' if report.strict else ''}: "
            f"{counts['error']} errors, {counts['warning']} warnings; {nodes}; "
            f"{stats.documents} documents, {stats.requests} requests in {stats.seconds:.2f} s"
        )
        if report.truncated:
            for line in report.skipped:
                console.print(f"[yellow]truncated:[/yellow] {escape(line)}")
        elif report.skipped:
            for line in report.skipped:
                console.print(f"[dim]not checked: {escape(line)}[/dim]")
        return buffer.getvalue()
