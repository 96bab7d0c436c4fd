"""A self-contained HTML page of a report: summary and provenance, the findings grouped by rule,
then every finding grouped by node.

No scripts and no external resources (it can be attached to a CI run or mailed). Nodes are
collapsible ``<details>``; those with failing findings start open unless there are many. A
severity filter works with checkboxes and CSS alone.
"""

from __future__ import annotations

from html import escape
from typing import ClassVar

from validator import provenance
from validator.model import Finding, Report, Severity, finding_sort_key
from validator.reporters.base import Reporter
from validator.summary import summarize

#: With more nodes than this, every node starts collapsed.
OPEN_LIMIT = 50

_CSS = """
:root { color-scheme: light; --error: #b00020; --warning: #8a5300; --info: #0b5cad;
  --ok: #1b6e2e; --line: #d0d7de; --muted: #57606a; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 1.5rem auto; max-width: 72rem;
  padding: 0 1rem; color: #1f2328; background: #fff; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; word-break: break-all; }
.verdict { display: inline-block; padding: .1rem .6rem; border-radius: 1rem; color: #fff;
  font-weight: 700; }
.valid { background: var(--ok); } .invalid { background: var(--error); }
.incomplete { background: var(--warning); }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { font-weight: 600; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; }
details { border: 1px solid var(--line); border-radius: .4rem; margin: .4rem 0; }
summary { cursor: pointer; padding: .4rem .6rem; font-family: ui-monospace, monospace; }
summary:focus-visible, a:focus-visible, input:focus-visible { outline: 3px solid #0969da;
  outline-offset: 2px; }
details > table { margin: 0; }
.sev { font-weight: 700; text-transform: uppercase; font-size: .8rem; }
.sev-error .sev { color: var(--error); } .sev-warning .sev { color: var(--warning); }
.sev-info .sev { color: var(--info); }
code { font-family: ui-monospace, monospace; word-break: break-all; }
code.rule { word-break: normal; white-space: nowrap; }
.notice { border-left: 4px solid var(--warning); padding: .3rem .8rem; background: #fff8e6; }
fieldset { border: 1px solid var(--line); border-radius: .4rem; }
body:has(#show-error:not(:checked)) tr.sev-error,
body:has(#show-warning:not(:checked)) tr.sev-warning,
body:has(#show-info:not(:checked)) tr.sev-info { display: none; }
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _counts(finding_list: list[Finding]) -> str:
    parts = []
    for severity in Severity:
        n = sum(1 for f in finding_list if f.severity is severity)
        if n:
            parts.append(f"{n} {severity.value}{'s' if n != 1 else ''}")
    return ", ".join(parts)


def _summary(report: Report) -> str:
    # Incomplete first: a report that did not check everything is never shown as a verdict
    # on the whole dataset (its findings so far are listed below).
    verdict = report.verdict
    prov = provenance.of(report)
    counts = report.counts()
    rows = "".join(
        f'<tr class="sev-{s.value}"><td class="sev">{s.value}</td><td>{counts[s.value]}</td></tr>'
        for s in Severity
    )
    nodes = "".join(
        f"<tr><td>{_e(kind)}</td><td>{n}</td></tr>" for kind, n in sorted(report.nodes.items())
    )
    stats = report.stats
    meta = [
        ("NGFF version", report.ngff_version or "unknown"),
        ("Zarr format", f"v{report.zarr_format}" if report.zarr_format else "unknown"),
        ("Strict", "yes (warnings count as errors)" if report.strict else "no"),
        ("Cost", f"{stats.documents} documents, {stats.requests} requests, "
                 f"{stats.bytes} bytes, {stats.seconds:.2f} s"),
        ("Started", prov.started_at or "unknown"),
        ("Duration", "unknown" if prov.duration is None else f"{prov.duration:.2f} s"),
        ("Validator", f"ome-zarr-validator {prov.validator_version} (NGFF "
                      f"{', '.join(prov.ngff_versions)}), rules {prov.rules_hash}"),
    ]
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in meta)
    notice = ""
    if not report.complete:
        reasons = "".join(f"<li>{_e(r)}</li>" for r in report.incomplete_reasons)
        notice += ('<div class="notice" role="note"><strong>Incomplete: not everything was '
                   f"checked</strong><ul>{reasons}</ul></div>")
    if report.notes:
        notes = "".join(f"<li>{_e(n)}</li>" for n in report.notes)
        notice += f'<div class="notice" role="note"><strong>Notes</strong><ul>{notes}</ul></div>'
    if report.skipped:
        title = ("Not checked: the walk stopped at a limit" if report.truncated
                 else "Not checked (sampled)")
        items = "".join(f"<li>{_e(s)}</li>" for s in report.skipped)
        notice += f'<div class="notice" role="note"><strong>{title}</strong><ul>{items}</ul></div>'
    return (
        f"<header><h1>{_e(report.target)}</h1>"
        f'<p><span class="verdict {verdict}">{verdict.upper()}</span></p></header>'
        f'<dl class="meta">{dl}</dl>{notice}'
        '<div style="display:flex;gap:2rem;flex-wrap:wrap">'
        '<table style="width:auto"><caption>Findings by severity</caption>'
        f"<tr><th>severity</th><th>count</th></tr>{rows}</table>"
        '<table style="width:auto"><caption>Nodes by kind</caption>'
        f"<tr><th>kind</th><th>count</th></tr>{nodes}</table></div>"
    )


def _by_rule(report: Report) -> str:
    """The findings grouped by rule, errors first: how many, and the first few nodes."""
    groups = summarize(report.findings)
    if not groups:
        return ""
    rows = []
    for g in groups:
        nodes = ", ".join(_e(n or "/") for n in g.first_nodes)
        more = f" and {g.more_nodes} more" if g.more_nodes else ""
        rows.append(
            f'<tr class="sev-{g.severity.value}"><td class="sev">{g.severity.value}</td>'
            f'<td><code class="rule">{_e(g.rule)}</code></td><td>{g.count}</td>'
            f"<td>{_e(g.message)}</td><td><code>{nodes}</code>{more}</td>"
            f"<td>{_spec_link(g.spec)}</td></tr>"
        )
    return (
        f"<h2>Findings by rule ({len(groups)} rules)</h2><table>"
        "<tr><th>severity</th><th>rule</th><th>findings</th><th>message (first)</th>"
        "<th>nodes</th><th>spec</th></tr>" + "".join(rows) + "</table>"
    )


def _finding_row(f: Finding) -> str:
    where = f"{f.document}#{f.pointer}" if f.document else f.pointer
    return (
        f'<tr class="sev-{f.severity.value}"><td class="sev">{f.severity.value}</td>'
        f"<td><code>{_e(f.rule)}</code></td><td>{_e(f.message)}</td>"
        f"<td><code>{_e(where or '-')}</code></td>"
        f"<td>{_spec_link(f.spec)}</td></tr>"
    )


def _spec_link(url: str) -> str:
    if not url.startswith(("https://", "http://")):
        return _e(url)
    label = url.split("://", 1)[1].partition("/")[2] or url  # "0.5/#multiscale-md"
    return f'<a href="{_e(url)}" rel="noopener">{_e(label)}</a>'


def _findings(report: Report) -> str:
    if not report.findings:
        return "<p>No findings.</p>"
    by_node: dict[str, list[Finding]] = {}
    for finding in sorted(report.findings, key=finding_sort_key()):
        by_node.setdefault(finding.node, []).append(finding)
    groups = list(by_node.items())
    open_failing = len(groups) <= OPEN_LIMIT
    failing = {Severity.ERROR, Severity.WARNING} if report.strict else {Severity.ERROR}
    parts = []
    for node, fs in groups:
        is_open = open_failing and any(f.severity in failing for f in fs)
        parts.append(
            f"<details{' open' if is_open else ''}><summary>{_e(node or '/')} "
            f"&mdash; {_e(_counts(fs))}</summary><table>"
            "<tr><th>severity</th><th>rule</th><th>message</th><th>where</th><th>spec</th></tr>"
            + "".join(_finding_row(f) for f in fs)
            + "</table></details>"
        )
    checkboxes = "".join(
        f'<label><input type="checkbox" id="show-{s.value}" checked> {s.value}</label> '
        for s in Severity
    )
    return (
        f"<fieldset><legend>Show severities</legend>{checkboxes}</fieldset>"
        f"<h2>Findings by node ({len(groups)} nodes)</h2>" + "".join(parts)
    )


class HtmlReporter(Reporter):
    """A standalone HTML page (no scripts, no external resources)."""

    media_type: ClassVar[str] = "text/html; charset=utf-8"
    extension: ClassVar[str] = "html"

    def render(self, report: Report) -> str:
        return (
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>OME-Zarr validation: {_e(report.target)}</title>"
            f"<style>{_CSS}</style></head><body><main>"
            f"{_summary(report)}{_by_rule(report)}{_findings(report)}"
            "</main></body></html>\n"
        )
