"""The library entry points: ``avalidate`` (async core) and ``validate`` (sync facade)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from validator.errors import CouldNotValidate
from validator.hostlimit import HostLimits
from validator.limiter import Limiter
from validator.model import Finding, Report
from validator.nodeinfo import NodeDetailCallback
from validator.options import Options
from validator.ozx import open_archive, validate_archive
from validator.provenance import now, provenance
from validator.stores import NetworkPolicy, Store, describe_target, open_store
from validator.walk import FindingCallback, NodeCallback, Progress, ProgressCallback, Walk

#: Metadata documents whose URL stands for their group (a URL pasted from a browser).
METADATA_DOCUMENTS = ("zarr.json", ".zattrs", ".zgroup", ".zarray", ".zmetadata")


def group_of_metadata_url(target: str) -> tuple[str, str | None]:
    """``(group, note)``: a URL or path ending in a metadata document's name stands for its
    group (``.../plate.zarr/zarr.json`` → ``.../plate.zarr``), with a note saying so; any
    other target is returned as it is, without a note."""
    stripped = target.rstrip("/")
    if stripped in METADATA_DOCUMENTS:  # a bare name: the current directory's document
        stripped = f"./{stripped}"
    head, sep, name = stripped.rpartition("/")
    if not sep or name not in METADATA_DOCUMENTS or not head or head.endswith(":/"):
        return target, None
    return head, f"{target} names a metadata document ({name}): its group {head} was validated"


def _options(options: Options | None, overrides: dict[str, Any]) -> Options:
    if options is not None and overrides:
        raise TypeError("pass either options=Options(...) or keyword options, not both")
    if options is not None:
        return options
    try:
        return Options(**overrides)
    except ValueError as exc:
        raise CouldNotValidate(str(exc)) from None


async def avalidate(
    target: Any,
    *,
    options: Options | None = None,
    policy: NetworkPolicy | None = None,
    store: Store | None = None,
    on_progress: ProgressCallback | None = None,
    on_finding: FindingCallback | None = None,
    on_node: NodeCallback | None = None,
    on_node_detail: NodeDetailCallback | None = None,
    limiter: Limiter | None = None,
    host_limits: HostLimits | None = None,
    **overrides: Any,
) -> Report:
    """Validate the OME-Zarr hierarchy at ``target`` and return a report of every violation.

    ``target`` is a URL (http, https, s3, gs, file, memory, ...), a local path, an fsspec
    mapper or a zarr Group; a ZIP archive (single-file OME-Zarr, ``.ozx``) at a path or URL
    is read with range requests and validated like a directory, plus RFC-9's rules. Keyword
    ``overrides`` are :class:`Options` fields (``strict``, ``ngff_version``,
    ``concurrency``, ``storage_options``, ...). Raises
    :class:`CouldNotValidate` when the target cannot be checked at all. ``on_node(path,
    kind)`` is called once for each node visited (the report keeps counts only);
    ``on_node_detail`` too, with a :class:`~validator.nodeinfo.NodeDetail` (the metadata
    documents read there, and the array's properties). The report says what produced it and
    when (:attr:`Report.provenance`).
    ``limiter`` replaces the run's own cap on requests in flight (a batch shares one per host).
    ``host_limits`` caps requests in flight per host together with every other walk given the
    same object (a service's jobs; see :mod:`validator.hostlimit`).
    """
    started, clock = now(), time.monotonic()
    report = await _walk(target, options=options, policy=policy, store=store,
                         on_progress=on_progress, on_finding=on_finding, on_node=on_node,
                         on_node_detail=on_node_detail, limiter=limiter,
                         host_limits=host_limits, **overrides)
    report.provenance = provenance(started, time.monotonic() - clock)
    return report


async def _walk(
    target: Any,
    *,
    options: Options | None,
    policy: NetworkPolicy | None,
    store: Store | None,
    on_progress: ProgressCallback | None,
    on_finding: FindingCallback | None,
    on_node: NodeCallback | None,
    on_node_detail: NodeDetailCallback | None,
    limiter: Limiter | None,
    host_limits: HostLimits | None,
    **overrides: Any,
) -> Report:
    opts = _options(options, overrides)
    note = None
    if store is None and isinstance(target, str):
        target, note = group_of_metadata_url(target)
    name = describe_target(target)

    def walker(on: Store) -> Walk:
        walk = Walk(on, opts, name, on_progress=on_progress, on_finding=on_finding,
                    on_node=on_node, on_node_detail=on_node_detail, limiter=limiter)
        if note is not None:
            walk.report.notes.append(note)
        return walk

    async def run(on: Store) -> Report:
        return await _run_walk(walker(on), on, opts)

    if store is not None:
        return await run(store)
    # A single-file OME-Zarr (.ozx, RFC-9) is walked through a store over the archive.
    archive = await open_archive(target, opts, policy)
    if archive is None:
        store = open_store(target, opts, policy, host_limits=host_limits)
        walk = walker(store)
        try:
            return await _run_walk(walk, store, opts)
        except CouldNotValidate:
            if not (isinstance(target, str) and "://" in target and _found_nothing(walk)):
                raise
            # The server answered that no root metadata is there: a remote archive whose
            # name does not end with .ozx or .zip? Its last bytes tell.
            archive = await open_archive(target, opts, policy, sniff=True)
            if archive is None:
                raise
        finally:
            await store.close()
    try:
        report = await validate_archive(archive, name, opts, run, on_finding)
    finally:
        await archive.close()
    if store is not None:  # the directory walk that found nothing cost requests too
        report.stats.requests += store.stats.requests
        report.stats.bytes += store.stats.bytes
    return report


def _found_nothing(walk: Walk) -> bool:
    """Whether a walk that could not validate found no root metadata at all: no zarr.json
    (format detection fell back to Zarr v2), no v2 document, and no read failed (a failed read
    is a finding; a refused or unreachable server stops format detection earlier)."""
    return walk.report.zarr_format == 2 and not walk.report.findings


async def _run_walk(walk: Walk, store: Store, opts: Options) -> Report:
    """``walk.run()`` within the deadline; a walk the deadline stops is a truncated report."""
    if opts.deadline is None:
        return await walk.run()
    try:
        async with asyncio.timeout(opts.deadline):
            return await walk.run()
    except TimeoutError:
        report = walk.report
        report.truncated = True
        reason = f"walk stopped early: the deadline of {opts.deadline:g} s was reached"
        report.skipped.append(reason)
        # Checks running in a worker thread were told to stop (walk.offload).
        report.mark_incomplete(reason)
        report.stats.requests = store.stats.requests
        report.stats.bytes = store.stats.bytes
        report.sort()
        return report


#: What :func:`aiter_validate` yields: progress snapshots and findings as the walk goes, then
#: the report (always last, once).
Event = Progress | Finding | Report


async def aiter_validate(
    target: Any,
    *,
    options: Options | None = None,
    policy: NetworkPolicy | None = None,
    store: Store | None = None,
    on_node: NodeCallback | None = None,
    on_node_detail: NodeDetailCallback | None = None,
    **overrides: Any,
) -> AsyncIterator[Event]:
    """Validate like :func:`avalidate`, yielding events while the walk proceeds.

    Yields :class:`~validator.walk.Progress` snapshots (at most ten a second, and one at the
    end) and each :class:`~validator.model.Finding` as it is found, then the
    :class:`~validator.model.Report` (whose findings are sorted; the streamed ones come in
    discovery order). Raises :class:`CouldNotValidate` like :func:`avalidate`. Closing the
    iterator early (``await events.aclose()``; an abandoned one is closed by the event loop)
    cancels the walk. ``on_node`` and ``on_node_detail`` are passed to :func:`avalidate`
    (nodes are not yielded)::

        async for event in aiter_validate(url, concurrency=32):
            if isinstance(event, Finding):
                print(event.severity, event.node, event.message)
            elif isinstance(event, Report):
                print("valid" if event.valid else "invalid")
    """
    queue: asyncio.Queue[Progress | Finding] = asyncio.Queue()
    task = asyncio.ensure_future(
        avalidate(target, options=options, policy=policy, store=store,
                  on_progress=queue.put_nowait, on_finding=queue.put_nowait, on_node=on_node,
                  on_node_detail=on_node_detail,
                  **overrides)
    )
    try:
        while True:
            while not queue.empty():  # what arrived meanwhile, without a wait per event
                yield queue.get_nowait()
            if task.done():
                break
            getter = asyncio.ensure_future(queue.get())
            await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                yield getter.result()
            else:
                getter.cancel()
        yield task.result()
    finally:
        if not task.done():
            task.cancel()
            await asyncio.wait({task})  # lets the walk close its store
        if not task.cancelled():
            task.exception()  # retrieved: never "exception was never retrieved"


def validate(target: Any, **kwargs: Any) -> Report:
    """Synchronous :func:`avalidate` (runs its own event loop).

    Called where an event loop is already running (a notebook, an async web handler), it runs
    the walk on a loop of its own in a worker thread rather than failing; from async code,
    prefer ``await avalidate(...)``.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run_report(avalidate(target, **kwargs))
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run_report, avalidate(target, **kwargs)).result()


def run_report(walk: Awaitable[Report]) -> Report:
    """``asyncio.run(walk)``, without the report as the result of the loop's main task.

    In the main thread, asyncio.run (Python 3.11) ends by looking at the SIGINT handler it
    installed, and ``signal.getsignal`` formats a ValueError message with the repr of that
    handler: of the main task, and so of its result -- the whole report, every finding
    (twice, 37 ms for a plate's 4,600 findings; seconds for a large report). The report is
    handed over beside the task instead."""
    reports: list[Report] = []

    async def main() -> None:
        reports.append(await walk)

    asyncio.run(main())
    return reports[0]
