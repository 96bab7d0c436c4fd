"""The library entry points of batches: :func:`aiter_validate_many` and :func:`validate_many`."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import AsyncIterator, Iterable
from typing import Any

from validator.batch.engines import DEFAULT_DATASETS_IN_FLIGHT, BatchJob, Engine, make_engine
from validator.batch.result import DatasetResult
from validator.errors import CouldNotValidate
from validator.options import Options
from validator.stores import NetworkPolicy


async def aiter_validate_many(
    targets: Iterable[str],
    *,
    options: Options | None = None,
    policy: NetworkPolicy | None = None,
    reports_dir: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    max_datasets: int = DEFAULT_DATASETS_IN_FLIGHT,
    engine: Engine | None = None,
    **overrides: Any,
) -> AsyncIterator[DatasetResult]:
    """Validate every target; yield a :class:`DatasetResult` for each as it finishes.

    In-process by default (``max_datasets`` at once, the per-host request cap shared by all);
    ``workers=N`` runs a Dask ``LocalCluster`` of N processes, ``scheduler="tcp://..."`` an
    existing Dask cluster. Options as for :func:`~validator.engine.avalidate`. A target that
    cannot be validated gives a ``could-not-validate`` result; nothing is raised for it.
    Closing the iterator early cancels what is left::

        async for result in aiter_validate_many(urls, workers=4):
            print(result.target, result.verdict)
    """
    if options is not None and overrides:
        raise TypeError("pass either options=Options(...) or keyword options, not both")
    try:
        opts = options if options is not None else Options(**overrides)
    except ValueError as exc:
        raise CouldNotValidate(str(exc)) from None
    chosen = engine or make_engine(workers=workers, scheduler=scheduler,
                                   max_datasets=max_datasets)
    results = chosen.results(targets, BatchJob(opts, policy, reports_dir))
    try:
        async for result in results:
            yield result
    finally:
        await results.aclose()


def validate_many(targets: Iterable[str], **kwargs: Any) -> list[DatasetResult]:
    """Synchronous :func:`aiter_validate_many`: every result, in the order they finished."""

    async def collect() -> list[DatasetResult]:
        return [result async for result in aiter_validate_many(targets, **kwargs)]

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(collect())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, collect()).result()
