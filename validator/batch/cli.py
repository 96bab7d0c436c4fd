"""``ome-zarr-validate batch``: validate a collection of datasets.

Targets come from the arguments, from lists (``--from FILE``, ``-`` for stdin) and from
discovery (``--discover PREFIX``). Each dataset's result is one JSON line, written as it
finishes (``--output``, else stdout); ``--summary`` adds a CSV, ``--reports DIR`` every full
report. The closing table counts datasets by verdict and by rule.

Exit status: 0 when every dataset is valid; 2 when any could not be validated or is
incomplete; otherwise 1 when any is invalid (and 2 for bad arguments, as ever).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from validator.batch.discover import DEFAULT_MAX_DEPTH, discover
from validator.batch.engines import DEFAULT_DATASETS_IN_FLIGHT, BatchJob, make_engine
from validator.batch.output import ResultWriter, final_table, load_results, write_summary
from validator.batch.result import INVALID, DatasetResult, exit_code
from validator.batch.targets import parse_list, read_list, unique
from validator.errors import CouldNotValidate
from validator.options import Options
from validator.stores import NetworkPolicy

EXIT_ERROR = 2

#: The single-target options a batch takes as they are (their definitions live in
#: validator.cli.build_parser: one place for each).
SHARED_OPTIONS = (
    "strict", "ngff_version", "concurrency", "timeout", "retries", "max_findings",
    "max_document_size", "deadline", "no_plate_labels", "probe_plate_labels", "no_consolidated",
    "verify_consolidated", "no_adaptive", "sample_wells", "fields", "storage_option",
    "public_only", "no_progress",
)


def build_parser() -> argparse.ArgumentParser:
    from validator.cli import ExitCodeParser
    from validator.cli import build_parser as single_parser

    parser = ExitCodeParser(
        prog="ome-zarr-validate batch",
        description="Validate many OME-Zarr datasets; one JSON line per dataset as each "
        "finishes, a CSV summary and a table by verdict and by rule. (A local directory "
        "named 'batch' is validated with 'ome-zarr-validate ./batch'.)",
        epilog="Exit status: 0 all valid, 1 some invalid, 2 some could not be validated or "
        "are incomplete.",
    )
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help="URL or path of a dataset (.ozx files too)")
    parser.add_argument("--from", dest="lists", action="append", default=[], metavar="FILE",
                        help="read targets from FILE, one per line, # comments; '-' reads "
                        "stdin (repeatable)")
    parser.add_argument("--discover", action="append", default=[], metavar="URL_PREFIX",
                        help="find the OME-Zarr roots and .ozx files below a local directory "
                        "or a bucket prefix, by listing (repeatable)")
    parser.add_argument("--max-depth", type=int, default=DEFAULT_MAX_DEPTH, metavar="N",
                        help=f"levels below a --discover prefix to look at (default "
                        f"{DEFAULT_MAX_DEPTH})")
    parser.add_argument("--output", metavar="FILE", help="write the JSON lines here (default: "
                        "stdout)")
    parser.add_argument("--summary", metavar="FILE", help="write a CSV summary here")
    parser.add_argument("--reports", metavar="DIR", help="write every full JSON report into "
                        "DIR (file names derived from the targets)")
    parser.add_argument("--resume", action="store_true", help="skip the targets already in "
                        "--output and append to it")
    parser.add_argument("--workers", type=int, metavar="N", help="run on a Dask LocalCluster "
                        "of N worker processes (needs ome-zarr-validator[dask])")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask "
                        "cluster, e.g. tcp://host:8786")
    parser.add_argument("--datasets-in-flight", type=int, default=DEFAULT_DATASETS_IN_FLIGHT,
                        metavar="N", help=f"datasets validated at once (per Dask worker "
                        f"process with Dask; default {DEFAULT_DATASETS_IN_FLIGHT}); the "
                        "per-host request cap (--concurrency) is shared by all of them")
    for action in single_parser()._actions:
        if action.dest in SHARED_OPTIONS:
            parser._add_action(action)
    return parser


def make_options(args: argparse.Namespace) -> Options:
    """The batch's options: exactly the single-target ones (one mapping, in validator.cli)."""
    from validator.cli import options_from_args

    return options_from_args(args)


def collect_targets(args: argparse.Namespace, options: Options) -> list[str]:
    targets: list[str] = list(args.targets)
    for name in args.lists:
        if name == "-":
            targets.extend(read_list(sys.stdin))
            continue
        try:
            with open(name, encoding="utf-8") as f:
                targets.extend(parse_list(f))
        except OSError as exc:
            raise CouldNotValidate(f"cannot read {name}: {exc.strerror or exc}") from None
    for prefix in args.discover:
        targets.extend(discover(prefix, max_depth=args.max_depth,
                                storage_options=options.storage_options))
    return unique(targets)


def _policy(args: argparse.Namespace) -> NetworkPolicy | None:
    if not args.public_only:
        return None
    from validator.netsafe import SafeNetworkPolicy

    try:
        return SafeNetworkPolicy.from_env()
    except ValueError as exc:
        raise CouldNotValidate(f"OME_ZARR_VALIDATOR_ALLOWED_HOSTS: {exc}") from None


class _Progress:
    """A rich progress bar on stderr: datasets done/total, invalid so far, rate."""

    def __init__(self, total: int, done: int, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.started = time.monotonic()
        self.new = 0
        self.invalid = 0
        self.failed = 0
        self.bar = Progress(
            TextColumn("[bold]datasets"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"), TimeElapsedColumn(),
            console=Console(file=stream), transient=True,
        )
        self.task = self.bar.add_task("batch", total=total, completed=done,
                                      status=self._status())
        self.bar.start()

    def _status(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        return (f"{self.invalid} invalid, {self.failed} not validated, "
                f"{self.new / elapsed:.1f}/s")

    def advance(self, result: DatasetResult) -> None:
        self.new += 1
        self.invalid += result.verdict == INVALID
        self.failed += result.verdict not in ("valid", INVALID)
        self.bar.update(self.task, advance=1, status=self._status())

    def stop(self) -> None:
        self.bar.stop()


async def _run_batch(targets: list[str], job: BatchJob, args: argparse.Namespace,
                     writer: ResultWriter | None, progress: _Progress | None,
                     into: list[DatasetResult]) -> None:
    engine = make_engine(workers=args.workers, scheduler=args.scheduler,
                         max_datasets=args.datasets_in_flight)
    results = engine.results(targets, job)
    try:
        async for result in results:
            into.append(result)
            if writer is not None:
                writer.write(result)
            else:
                sys.stdout.write(result.to_json() + "\n")
                sys.stdout.flush()
            if progress is not None:
                progress.advance(result)
    finally:
        await results.aclose()


def run(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.workers is not None and args.scheduler is not None:
        raise CouldNotValidate("give --workers or --scheduler, not both")
    if args.workers is not None and args.workers < 1:
        raise CouldNotValidate("--workers must be at least 1")
    if args.datasets_in_flight < 1:
        raise CouldNotValidate("--datasets-in-flight must be at least 1")
    if args.resume and not args.output:
        raise CouldNotValidate("--resume needs --output (the results to resume from)")
    options = make_options(args)
    policy = _policy(args)
    targets = collect_targets(args, options)
    if not targets:
        given = [f"--discover {p} (to depth {args.max_depth})" for p in args.discover]
        given += [f"--from {name}" for name in args.lists]
        if given:  # they yielded nothing: say which, rather than how to give targets
            raise CouldNotValidate(f"no targets: none found by {', '.join(given)}")
        raise CouldNotValidate("no targets: give TARGETs, --from FILE or --discover PREFIX")
    output = Path(args.output) if args.output else None
    wanted = set(targets)
    earlier: list[DatasetResult] = []
    if args.resume and output is not None:
        earlier = [r for r in load_results(output) if r.target in wanted]
        done = {r.target for r in earlier}
        todo = [t for t in targets if t not in done]
        sys.stderr.write(f"resuming: {len(done)} of {len(targets)} datasets done already\n")
    else:
        todo = targets
    job = BatchJob(options, policy, str(Path(args.reports).resolve()) if args.reports else None)
    writer = ResultWriter(output, append=args.resume) if output is not None else None
    progress = None
    if not args.no_progress and sys.stderr.isatty() and todo:
        progress = _Progress(len(targets), len(targets) - len(todo), sys.stderr)
    new: list[DatasetResult] = []
    try:
        if todo:
            asyncio.run(_run_batch(todo, job, args, writer, progress, new))
    finally:
        if progress is not None:
            progress.stop()
        if writer is not None:
            writer.close()
    results = earlier + new
    if args.summary:
        write_summary(Path(args.summary), results)
    table = final_table(results)
    (sys.stdout if output is not None else sys.stderr).write(table)
    return exit_code(Counter(r.verdict for r in results))


def main(argv: Sequence[str]) -> NoReturn:
    try:
        code = run(argv)
    except CouldNotValidate as exc:
        sys.stderr.write(f"ome-zarr-validate batch: could not validate: {exc}\n")
        code = EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("ome-zarr-validate batch: interrupted; the results so far are "
                         "kept (--resume goes on)\n")
        code = 130
    except Exception as exc:  # never a traceback: say what went wrong in one line
        sys.stderr.write(f"ome-zarr-validate batch: could not validate: "
                         f"{type(exc).__name__}: {exc}\n")
        code = EXIT_ERROR
    sys.exit(code)


