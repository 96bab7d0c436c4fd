"""How a batch runs in the service: each URL becomes a job of the ordinary job runner.

A batch's *feeder* (an asyncio task of the API's loop) submits its datasets to the
:class:`~api.jobs.runner.JobRunner` one job each, as the client's job allowance lets it: the
datasets of a batch count, one job each, against ``max_jobs_per_client``, so a batch of 500
URLs never runs more of them at once than the client may run jobs (and a client's own jobs and
batches share that allowance). When a job finishes its result (the batch summary of
:mod:`validator.batch.result`) is stored with the batch. The runner may run the jobs on a Dask
cluster (``OME_ZARR_VALIDATOR_DASK_SCHEDULER``); the batch does not need to know.

A batch whose service process stopped keeps the results it has; its unfinished datasets are
recorded as not validated ("interrupted") when the next process starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import Sequence

from api.batches.repository import Batch, SqliteBatchRepository
from api.jobs.models import Job, JobStatus
from api.jobs.repository import JobRepository
from api.jobs.runner import ClientBusy, JobRunner, RunnerError, owner_is_dead
from api.models import ValidateRequest
from api.service import job_options
from api.settings import Settings
from validator.batch.result import DatasetResult

log = logging.getLogger("api.batches")

#: Seconds between tries when the runner cannot take a dataset's job yet.
RETRY_INTERVAL = 0.5
INTERRUPTED = "interrupted: the service stopped before this dataset was validated; submit again"


class TooManyBatches(Exception):
    """The client has as many unfinished batches as it may have."""


async def dataset_result(jobs: JobRepository, job_id: str, url: str) -> DatasetResult:
    """The batch summary of a finished job: from its report, or why there is none."""
    job = await jobs.get(job_id, with_report=True)
    if job is None:
        return DatasetResult.failed(url, "the job is gone (finished jobs are kept for a while)")
    if job.status is JobStatus.DONE and job.report_json is not None:
        text = job.report_json
        result = await asyncio.to_thread(lambda: DatasetResult.from_report_dict(json.loads(text)))
        result.target = url
        return result
    return DatasetResult.failed(url, job.error or f"the job is {job.status.value}")


class BatchManager:
    def __init__(self, batches: SqliteBatchRepository, jobs: JobRepository, runner: JobRunner,
                 settings: Settings) -> None:
        self.batches = batches
        self.jobs = jobs
        self.runner = runner
        self.settings = settings
        self._feeders: dict[str, tuple[str, asyncio.Task[None]]] = {}  # id -> (client, task)

    async def start(self) -> None:
        """Close the batches of service processes that stopped: their unfinished datasets
        are recorded as interrupted (their jobs were marked so by the job runner)."""
        for batch in await self.batches.unfinished():
            if batch.owner == self.runner.owner or not owner_is_dead(batch.owner):
                continue
            found = await self.batches.get(batch.id)
            if found is None:
                continue
            for item in found[1]:
                if item.result is None:
                    await self.batches.set_result(
                        batch.id, item.index, DatasetResult.failed(item.url, INTERRUPTED).to_json())
            await self.batches.finish(batch.id, time.time())

    async def shutdown(self) -> None:
        feeders = [task for _, task in self._feeders.values()]
        for task in feeders:
            task.cancel()
        for task in feeders:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def running(self, batch_id: str) -> bool:
        return batch_id in self._feeders

    async def submit(self, urls: Sequence[str], *, ngff_version: str | None, strict: bool,
                     client: str) -> Batch:
        """Record a batch of vetted URLs and start feeding its datasets to the runner."""
        mine = sum(1 for owner, _ in self._feeders.values() if owner == client)
        if mine >= self.settings.max_batches_per_client:
            raise TooManyBatches(f"you have {mine} unfinished batches, the most allowed; wait "
                                 "for one to finish")
        batch = Batch(id=secrets.token_hex(16), client=client, owner=self.runner.owner,
                      ngff_version=ngff_version, strict=strict, created_at=time.time(),
                      finished_at=None)
        await self.batches.create(batch, urls)
        task = asyncio.create_task(self._feed(batch, list(urls)), name=f"batch-{batch.id}")
        self._feeders[batch.id] = (client, task)
        task.add_done_callback(lambda _: self._feeders.pop(batch.id, None))
        return batch

    async def _feed(self, batch: Batch, urls: list[str]) -> None:
        watchers: set[asyncio.Task[None]] = set()
        try:
            for index, url in enumerate(urls):
                # At most the client's job allowance in flight; the runner enforces it too.
                while len(watchers) >= self.settings.max_jobs_per_client:
                    _, watchers = await asyncio.wait(watchers,
                                                     return_when=asyncio.FIRST_COMPLETED)
                job_id = await self._submit(batch, url)
                await self.batches.set_job(batch.id, index, job_id)
                watchers.add(asyncio.create_task(self._watch(batch.id, index, url, job_id)))
            if watchers:
                await asyncio.wait(watchers)
            await self.batches.finish(batch.id, time.time())
        except asyncio.CancelledError:
            for watcher in watchers:
                watcher.cancel()
            raise
        except Exception:
            log.exception("batch %s failed", batch.id)
            raise

    async def _submit(self, batch: Batch, url: str) -> str:
        body = ValidateRequest(url=url, ngff_version=batch.ngff_version,
                               strict=batch.strict)
        options = job_options(self.settings, body)
        while True:
            job = Job(id=Job.new_id(), url=url, ngff_version=batch.ngff_version,
                      strict=batch.strict, client=batch.client, owner=self.runner.owner)
            try:
                await self.runner.submit(job, options)
                return job.id
            except ClientBusy:
                await asyncio.sleep(RETRY_INTERVAL)  # the client's other jobs hold its slots
            except RunnerError as exc:
                await asyncio.sleep(min(exc.retry_after, 5.0))

    async def _watch(self, batch_id: str, index: int, url: str, job_id: str) -> None:
        while not await self.runner.wait(job_id, 3600.0):
            pass
        result = await dataset_result(self.jobs, job_id, url)
        await self.batches.set_result(batch_id, index, result.to_json())
