"""The library entry points: ``avalidate`` (async core) and ``validate`` (sync facade)."""

from __future__ import annotations

import asyncio
from typing import Any

from validator.errors import CouldNotValidate
from validator.model import Report
from validator.options import Options
from validator.stores import NetworkPolicy, Store, describe_target, open_store
from validator.walk import FindingCallback, ProgressCallback, Walk


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
    **overrides: Any,
) -> Report:
    """Validate the OME-Zarr hierarchy at ``target`` and return a report of every violation.

    ``target`` is a URL (http, https, s3, gs, file, memory, ...), a local path, an fsspec
    mapper or a zarr Group. Keyword ``overrides`` are :class:`Options` fields (``strict``,
    ``ngff_version``, ``concurrency``, ``storage_options``, ...). Raises
    :class:`CouldNotValidate` when the target cannot be checked at all.
    """
    opts = _options(options, overrides)
    own_store = store is None
    if store is None:
        store = open_store(target, opts, policy)
    walk = Walk(store, opts, describe_target(target), on_progress=on_progress,
                on_finding=on_finding)
    try:
        if opts.deadline is not None:
            try:
                async with asyncio.timeout(opts.deadline):
                    return await walk.run()
            except TimeoutError:
                report = walk.report
                report.truncated = True
                report.skipped.append(
                    f"walk stopped early: the deadline of {opts.deadline:g} s was reached"
                )
                report.stats.requests = store.stats.requests
                report.stats.bytes = store.stats.bytes
                report.sort()
                return report
        return await walk.run()
    finally:
        if own_store:
            await store.close()


def validate(target: Any, **kwargs: Any) -> Report:
    """Synchronous :func:`avalidate` (runs its own event loop)."""
    return asyncio.run(avalidate(target, **kwargs))
