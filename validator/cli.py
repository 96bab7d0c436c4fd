"""``ome-zarr-validate``: the command line.

Exit codes: 0 valid, 1 invalid, 2 incomplete (a deadline, a budget or a crashed check left
part of the dataset unchecked: the findings so far are reported) or could not validate (bad
arguments, nothing at the URL, not OME-Zarr). Errors are one line on stderr, never a
traceback.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from validator import __version__
from validator import versions as ngff
from validator.document import validate_document
from validator.engine import aiter_validate, avalidate, run_report
from validator.errors import CouldNotValidate
from validator.model import Finding, Report, Severity
from validator.options import DEFAULT_CONCURRENCY, MiB, Options
from validator.reporters import REPORTERS
from validator.reporters.conformance import render_verdict
from validator.reporters.text import TextReporter, use_color
from validator.rules import RULES
from validator.stores import NetworkPolicy
from validator.walk import Progress

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_ERROR = 2
#: An incomplete report exits like "could not validate": not everything was checked.
EXIT_INCOMPLETE = EXIT_ERROR


class ExitCodeParser(argparse.ArgumentParser):
    """argparse that exits with the CLI's "could not validate" status (2) on a usage error."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = ExitCodeParser(
        prog="ome-zarr-validate",
        description=f"Validate an OME-Zarr (OME-NGFF {' / '.join(ngff.ids())}) dataset and "
        "report every violation.",
        epilog="Exit status: 0 valid, 1 invalid, 2 incomplete (not everything was checked: "
        "a deadline, a budget or a crashed check) or could not validate. Many datasets: "
        "ome-zarr-validate batch --help.",
    )
    parser.add_argument("target", nargs="?", help="URL or path of the dataset (http, https, "
                        "s3, gs, file, or a local path), or of a single-file OME-Zarr (.ozx)")
    parser.add_argument("--document", metavar="FILE", help="validate one attributes document "
                        "(.zattrs content, or a whole zarr.json) instead of a hierarchy; "
                        "'-' reads stdin")
    parser.add_argument("--list-rules", action="store_true", help="print the rule catalogue")
    parser.add_argument("--format", default="text", choices=sorted(REPORTERS),
                        help="output format (default: text)")
    parser.add_argument("--strict", action="store_true",
                        help="treat warnings (SHOULD) as errors")
    parser.add_argument("-v", "--details", action="store_true",
                        help="text: every finding, node by node (default: the findings "
                        "grouped by rule, the first few nodes of each)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="text: the verdict line only")
    parser.add_argument("--min-severity", choices=[s.value for s in Severity],
                        default=Severity.INFO.value,
                        help="text: hide findings below this severity (the verdict and the "
                        "exit status do not change; default: info, show all)")
    parser.add_argument("--ngff-version", choices=ngff.ids(),
                        help="validate as this version instead of the declared one")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY,
                        help=f"requests in flight at most, per host (default "
                        f"{DEFAULT_CONCURRENCY}; the walk starts at 64 and adapts below it)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds per request (default 30)")
    parser.add_argument("--retries", type=int, default=3, metavar="N",
                        help="tries again at most N times what may change: HTTP 5xx and "
                        "429, timeouts and connection resets before the first byte (default "
                        "3); a body cut off or corrupt is not tried again")
    parser.add_argument("--max-findings", type=int, metavar="N",
                        help="keep at most N findings in the report (memory); the rest are "
                        "counted in counts, not listed (one of each severity is always kept)")
    parser.add_argument("--max-document-size", type=int, default=32 * MiB, metavar="BYTES",
                        help="largest metadata document read (default 32 MiB)")
    parser.add_argument("--deadline", type=float, metavar="SECONDS",
                        help="stop the walk after this long; the report is incomplete (exit "
                        "2) with the findings so far")
    parser.add_argument("--no-plate-labels", action="store_true",
                        help="triage: do not read the labels groups of plate fields (read by "
                        "default, one request per field alongside its own); the report says "
                        "they were not checked")
    # Before labels of plate fields were read by default this flag asked for them: accepted,
    # so that scripts using it keep working, and a no-op.
    parser.add_argument("--probe-plate-labels", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-consolidated", action="store_true",
                        help="ignore consolidated metadata (.zmetadata, consolidated_metadata "
                        "in the root zarr.json) and read every document itself")
    parser.add_argument("--verify-consolidated", action="store_true",
                        help="read every document as well as the consolidated metadata, "
                        "check the documents and report where the copy disagrees")
    parser.add_argument("--no-adaptive", action="store_true",
                        help="keep --concurrency requests in flight instead of adapting to the "
                        "server (start at 64, back off on 429/503 or rising latency)")
    parser.add_argument("--sample-wells", type=int, metavar="N",
                        help="triage: check only N wells of each plate, evenly spread; the "
                        "report lists what was skipped (default: every well)")
    parser.add_argument("--fields", choices=("all", "first"), default="all",
                        help="check all fields of each well (default) or only the first")
    parser.add_argument("--storage-option", action="append", default=[], metavar="KEY=VALUE",
                        help="fsspec storage option, e.g. anon=true or "
                        "client_kwargs.endpoint_url=http://host:9000 (repeatable)")
    parser.add_argument("--public-only", action="store_true",
                        help="fetch only from the public internet, as the service does (SSRF "
                        "defence; OME_ZARR_VALIDATOR_ALLOWED_HOSTS opens hosts)")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress line on stderr")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def parse_storage_options(items: Sequence[str]) -> dict[str, Any]:
    """``["anon=true", "client_kwargs.endpoint_url=http://x"]`` → nested dict, JSON values."""
    options: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise CouldNotValidate(f"--storage-option needs KEY=VALUE, got {item!r}")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        parts = key.split(".")
        target = options
        for part in parts[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise CouldNotValidate(f"--storage-option {key} conflicts with another option")
        target[parts[-1]] = value
    return options


class ProgressLine:
    """A live 'documents fetched / known' line on a terminal, with errors and warnings so far."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = False
        self.errors = 0
        self.warnings = 0

    def finding(self, finding: Finding) -> None:
        self.errors += finding.severity is Severity.ERROR
        self.warnings += finding.severity is Severity.WARNING

    def __call__(self, progress: Progress) -> None:
        self.stream.write(
            f"\r\x1b[Kfetched {progress.documents}/{progress.known} documents, "
            f"{progress.findings} findings ({self.errors} errors, {self.warnings} warnings), "
            f"{progress.requests} requests"
        )
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def list_rules(fmt: str) -> str:
    rules = [r.to_dict() for r in RULES]
    if fmt == "json":
        return json.dumps(rules, indent=2) + "\n"
    lines = [f"{r['id']:48} {r['severity']:7} {','.join(r['versions']):8} {r['summary']}"
             for r in rules]
    return "\n".join(lines) + f"\n{len(rules)} rules\n"


def write_report(report: Report, fmt: str, stream: TextIO,
                 args: argparse.Namespace | None = None) -> None:
    """Write ``report`` as ``fmt`` to ``stream``; JSON and SARIF a piece at a time (a report
    of many findings is never held whole as text)."""
    if fmt != "text":
        REPORTERS[fmt]().write(report, stream)
        return
    reporter = TextReporter(
        color=use_color(stream.isatty()),
        details=bool(args and args.details),
        quiet=bool(args and args.quiet),
        min_severity=Severity(args.min_severity) if args else Severity.INFO,
    )
    reporter.write(report, stream)


def run(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.list_rules:
        sys.stdout.write(list_rules(args.format))
        return EXIT_VALID
    if args.document:
        return _run_document(args)
    if not args.target:
        raise CouldNotValidate("give a TARGET (URL or path), --document FILE or --list-rules")
    options = options_from_args(args)
    target = args.target
    policy = None
    if args.public_only:
        from validator.netsafe import SafeNetworkPolicy

        try:
            policy = SafeNetworkPolicy.from_env()
        except ValueError as exc:
            raise CouldNotValidate(f"OME_ZARR_VALIDATOR_ALLOWED_HOSTS: {exc}") from None
    elif "://" not in target and not Path(target).exists():
        raise CouldNotValidate(f"{target}: no such file or directory")
    progress = None
    if not args.no_progress and sys.stderr.isatty():
        progress = ProgressLine(sys.stderr)
    try:
        if progress is None:
            report = run_report(avalidate(target, options=options, policy=policy))
        else:
            report = run_report(_stream(target, options, progress, policy))
    finally:
        if progress is not None:
            progress.clear()
    write_report(report, args.format, sys.stdout, args)
    return exit_code(report)


def options_from_args(args: argparse.Namespace) -> Options:
    """The :class:`Options` of the single-target options (``batch`` takes the same ones)."""
    try:
        return Options(
            ngff_version=args.ngff_version,
            strict=args.strict,
            concurrency=args.concurrency,
            timeout=args.timeout,
            retries=args.retries,
            max_findings=args.max_findings,
            max_document_bytes=args.max_document_size,
            deadline=args.deadline,
            storage_options=parse_storage_options(args.storage_option),
            plate_labels=not args.no_plate_labels,
            consolidated=not args.no_consolidated,
            verify_consolidated=args.verify_consolidated,
            sample_wells=args.sample_wells,
            fields=args.fields,
            adaptive=not args.no_adaptive,
        )
    except ValueError as exc:
        raise CouldNotValidate(str(exc)) from None


def exit_code(report: Report) -> int:
    """0 valid, 1 invalid, 2 incomplete: a report that did not check everything never passes,
    and is not called invalid either when what stopped it was ours (a limit, a crash)."""
    return {"valid": EXIT_VALID, "invalid": EXIT_INVALID}.get(report.verdict, EXIT_INCOMPLETE)


async def _stream(
    target: str, options: Options, progress: ProgressLine, policy: NetworkPolicy | None
) -> Report:
    """Run the walk as a stream of events that drive the progress line; return the report."""
    async for event in aiter_validate(target, options=options, policy=policy):
        if isinstance(event, Report):
            return event
        if isinstance(event, Progress):
            progress(event)
        else:
            progress.finding(event)
    raise AssertionError("aiter_validate ends with the report")


def _run_document(args: argparse.Namespace) -> int:
    try:
        data = sys.stdin.buffer.read() if args.document == "-" else Path(args.document).read_bytes()
    except OSError as exc:
        raise CouldNotValidate(f"cannot read {args.document}: {exc.strerror or exc}") from None
    report = validate_document(data, version=args.ngff_version, strict=args.strict)
    report.target = "<stdin>" if args.document == "-" else args.document
    write_report(report, args.format, sys.stdout, args)
    return exit_code(report)


def _could_not_validate(argv: Sequence[str] | None, reason: str) -> int:
    """Say why on stderr; with ``--format conformance`` also the runner's JSON on stdout."""
    sys.stderr.write(f"ome-zarr-validate: could not validate: {reason}\n")
    args, _ = build_parser().parse_known_args(argv)  # run() parsed these already: cannot fail
    if args.format == "conformance":
        sys.stdout.write(render_verdict(False, f"could not validate: {reason}"))
    return EXIT_ERROR


def _tune_gc() -> None:
    """Make the cyclic garbage collector cheaper for this one-shot process.

    A walk allocates containers by the ten thousand (parsed documents, tasks, findings) that
    mostly live on, and the default collector (a collection every 700 net allocations, the
    oldest generation now and then) kept traversing them and the hundred thousand objects
    of the imports: about 15 % of a plate walk's CPU (0.17 s of 1.3 s, measured with
    gc.callbacks), down to 0.03 s so. What the imports made is frozen (never garbage: the
    rules, schemas and modules), and young objects are collected every 50,000 net
    allocations instead (a few MB of container objects at most: the walk's garbage is freed
    by reference counting, not by the collector; no memory budget counts on the collector
    -- the CLI sets none). Only here, in the process's entry point: a library or a service
    keeps its own settings."""
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(50_000, older, oldest)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["batch"]:  # the subcommand; a directory named batch is ./batch
        from validator.batch.cli import main as batch_main

        batch_main(arguments[1:])
    _tune_gc()
    try:
        code = run(argv)
    except CouldNotValidate as exc:
        code = _could_not_validate(argv, str(exc))
    except KeyboardInterrupt:
        sys.stderr.write("ome-zarr-validate: interrupted\n")
        code = 130
    except Exception as exc:  # never a traceback: say what went wrong in one line
        code = _could_not_validate(argv, f"{type(exc).__name__}: {exc}")
    sys.exit(code)


if __name__ == "__main__":
    main()
