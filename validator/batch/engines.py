"""Execution engines of a batch, behind one interface: ``engine.results(targets, job)``
yields a :class:`~validator.batch.result.DatasetResult` per target, as each finishes.

* :class:`InProcessEngine` (the default): the datasets are validated on the caller's event
  loop, at most ``max_datasets`` at a time, with one request limiter per host shared by all of
  them (:class:`~validator.batch.hosts.HostLimiters`): the per-host cap is the batch's, not a
  dataset's.
* :class:`DaskEngine`: each dataset is a task of a Dask distributed cluster -- a
  ``LocalCluster`` of worker processes made for the batch (``workers=N``) or an existing
  cluster (``scheduler="tcp://host:8786"``). The scheduler balances the work; the tasks of a
  lost worker run again elsewhere (they are pure and idempotent: :func:`~validator.batch.task.
  run_task`); closing the results early cancels the tasks. Each worker process keeps the
  per-host cap for the datasets it runs. ``dask[distributed]`` is imported only here, when
  asked for (``pip install ome-zarr-validator[dask]``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncGenerator, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from validator.batch.hosts import HostLimiters
from validator.batch.result import DatasetResult
from validator.batch.task import run_task, validate_one
from validator.errors import CouldNotValidate
from validator.options import Options
from validator.stores import NetworkPolicy

#: Datasets validated at once by the in-process engine (they share the per-host cap).
DEFAULT_DATASETS_IN_FLIGHT = 8
#: Datasets a Dask worker process validates at once (threads waiting on its event loop).
DEFAULT_THREADS_PER_WORKER = 4


@dataclass(frozen=True, slots=True)
class BatchJob:
    """What every dataset of a batch is validated with."""

    options: Options
    policy: NetworkPolicy | None = None
    #: Write each full JSON report into this directory (by the process that validates it).
    reports_dir: str | None = None


class Engine(Protocol):
    """Runs the datasets of a batch."""

    def results(self, targets: Iterable[str], job: BatchJob) -> AsyncGenerator[DatasetResult, None]:
        """One result per target, in the order they finish. Closing the iterator early
        cancels the work still to do."""
        ...


class InProcessEngine:
    """Validate on the running event loop, ``max_datasets`` at a time."""

    def __init__(self, max_datasets: int = DEFAULT_DATASETS_IN_FLIGHT) -> None:
        if max_datasets < 1:
            raise ValueError("max_datasets must be at least 1")
        self.max_datasets = max_datasets
        self.hosts: HostLimiters | None = None

    async def results(self, targets: Iterable[str],
                      job: BatchJob) -> AsyncGenerator[DatasetResult, None]:
        hosts = self.hosts = HostLimiters(job.options)
        todo = iter(targets)
        running: set[asyncio.Task[DatasetResult]] = set()

        def fill() -> None:
            # A window of tasks, not one per target: 10,000 targets cost 10,000 strings.
            while len(running) < self.max_datasets:
                target = next(todo, None)
                if target is None:
                    return
                running.add(asyncio.create_task(validate_one(
                    target, job.options, policy=job.policy, limiter=hosts.limiter(target),
                    reports_dir=job.reports_dir)))

        try:
            fill()
            while running:
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                running.difference_update(done)
                fill()
                for task in done:
                    yield task.result()
        finally:
            for task in running:
                task.cancel()
            if running:
                await asyncio.wait(running)


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise CouldNotValidate(
            "Dask engines need dask[distributed]: pip install 'ome-zarr-validator[dask]'"
        ) from None
    return distributed


def task_key(target: str, job: BatchJob) -> str:
    """The Dask key of a dataset's task: the same inputs give the same key (pure task)."""
    text = "\0".join((target, repr(job.options), type(job.policy).__name__,
                      job.reports_dir or ""))
    return "ozv-validate-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:24]


class DaskEngine:
    """Validate on a Dask distributed cluster: an existing one (``scheduler``) or a
    ``LocalCluster`` of ``workers`` processes made for the batch and closed after it."""

    def __init__(self, *, scheduler: str | None = None, workers: int | None = None,
                 threads_per_worker: int = DEFAULT_THREADS_PER_WORKER) -> None:
        if (scheduler is None) == (workers is None):
            raise ValueError("give either scheduler or workers")
        if workers is not None and workers < 1:
            raise ValueError("workers must be at least 1")
        if threads_per_worker < 1:
            raise ValueError("threads_per_worker must be at least 1")
        self.scheduler = scheduler
        self.workers = workers
        self.threads_per_worker = threads_per_worker

    async def results(self, targets: Iterable[str],
                      job: BatchJob) -> AsyncGenerator[DatasetResult, None]:
        distributed = _distributed()
        async with contextlib.AsyncExitStack() as stack:
            address: Any = self.scheduler
            if address is None:
                address = await stack.enter_async_context(distributed.LocalCluster(
                    n_workers=self.workers, threads_per_worker=self.threads_per_worker,
                    processes=True, asynchronous=True, silence_logs=logging.ERROR,
                    # The scheduler's HTTP routes on a free port, no dashboard: 8787 may be
                    # taken (another cluster), and a batch has no use for them.
                    dashboard_address=":0", scheduler_kwargs={"dashboard": False}))
            try:
                client = await stack.enter_async_context(
                    distributed.Client(address, asynchronous=True))
            except OSError as exc:
                raise CouldNotValidate(f"cannot reach the Dask scheduler {address}: "
                                       f"{exc}") from None
            by_key: dict[str, str] = {}
            futures = []
            for target in targets:
                key = task_key(target, job)
                if key in by_key:
                    continue  # the same dataset twice: one task, one result
                by_key[key] = target
                futures.append(client.submit(run_task, target, job.options, job.policy,
                                             job.reports_dir, key=key, pure=True))
            try:
                finished = distributed.as_completed(futures, with_results=True,
                                                    raise_errors=False)
                async for future, value in finished:
                    if future.status == "finished" and isinstance(value, dict):
                        yield DatasetResult.from_dict(value)
                    else:
                        # The task failed (its workers kept dying, or a bug): the dataset was
                        # not validated; say so rather than lose it. Dask gives an error as
                        # (type, exception, traceback), a cancellation as the exception.
                        error = value[1] if isinstance(value, tuple) else value
                        yield DatasetResult.failed(
                            by_key[future.key],
                            f"the Dask task failed: {type(error).__name__}: {error}")
                    future.release()
            finally:
                pending = [f for f in futures if not f.done()]
                if pending:
                    with contextlib.suppress(Exception):
                        await client.cancel(pending)


def make_engine(*, workers: int | None = None, scheduler: str | None = None,
                max_datasets: int = DEFAULT_DATASETS_IN_FLIGHT) -> Engine:
    """The engine the options ask for: Dask with ``workers`` or ``scheduler``, else in-process
    with ``max_datasets`` in flight (per Dask worker process, with Dask)."""
    if workers is not None and scheduler is not None:
        raise ValueError("give workers or scheduler, not both")
    if workers is not None or scheduler is not None:
        return DaskEngine(scheduler=scheduler, workers=workers,
                          threads_per_worker=max_datasets)
    return InProcessEngine(max_datasets)
