"""How jobs run: the :class:`JobRunner` interface and the in-process :class:`AsyncioJobRunner`.

The in-process runner runs every job as an asyncio task on an event loop of its own, in one
background thread, so that the validation work (JSON parsing, schema checks) never holds up
the event loop that answers HTTP requests. At most ``max_running`` jobs run at once, slots
shared fairly between clients (:mod:`api.jobs.fairness`); up to ``max_queued`` more wait. With
``host_in_flight``, all jobs together have at most that many requests in flight per host
(:mod:`validator.hostlimit`). Live progress is kept in memory and saved to the repository about
once a second. A distributed runner (a task queue with workers) can take over by implementing
:class:`JobRunner`; the routes only use the interface.

Each process has an *owner* id (host, pid namespace, pid, random nonce) recorded on the jobs it
runs and beats in the repository. When a process dies, its unfinished jobs are marked failed
("interrupted") by the next process that starts or by a live one within three heartbeats --
never lost, never left "running".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from api.jobs.fairness import FairSlots
from api.jobs.models import ErrorType, Job, JobProgress, JobStatus
from api.jobs.repository import JobRepository
from validator.engine import avalidate
from validator.errors import CouldNotValidate, FetchError, budget_message
from validator.hostlimit import HostLimits
from validator.jsonstream import iter_json
from validator.nodeinfo import NodeDetail
from validator.options import Options
from validator.stores import NetworkPolicy
from validator.walk import Progress

if TYPE_CHECKING:
    from api.jobs.dask import DaskValidator

log = logging.getLogger("api.jobs")


class RunnerError(Exception):
    """A job could not be accepted."""

    def __init__(self, message: str, retry_after: float = 5.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RunnerFull(RunnerError):
    """The service has as many jobs as it may hold."""


class ClientBusy(RunnerError):
    """This client has as many unfinished jobs as it may have."""


class RunnerUnavailable(RunnerError):
    """The runner is not running (starting or stopping)."""


class JobRunner(Protocol):
    """Runs jobs; persists their state through a :class:`JobRepository`."""

    owner: str

    @property
    def alive(self) -> bool: ...

    async def start(self) -> None: ...

    async def shutdown(self, timeout: float = 10.0) -> None: ...

    async def submit(self, job: Job, options: Options) -> None:
        """Record ``job`` (status queued) and run it; raise :class:`RunnerError` when it
        cannot be taken."""
        ...

    async def cancel(self, job_id: str) -> bool:
        """Cancel a queued or running job of this runner; ``False`` if it has no such job."""
        ...

    async def wait(self, job_id: str, timeout: float) -> bool:
        """Wait until the job is finished (and persisted); ``False`` on timeout."""
        ...

    def live(self, job_id: str) -> tuple[JobStatus, JobProgress] | None:
        """The status and progress of a job of this runner as of now, if it is unfinished."""
        ...


#: Characters of a node's detail kept at most: its documents are left out beyond (a plate's
#: root zarr.json listing thousands of wells is far below; a giant OME-XML-like blob is not).
MAX_NODE_DETAIL_CHARS = 512 * 1024


def node_detail_json(detail: NodeDetail) -> str:
    """The JSON kept for a node (``GET /v1/jobs/{id}/node``): its documents left out, and
    why, when they are larger than :data:`MAX_NODE_DETAIL_CHARS`."""
    data = detail.to_dict()
    try:
        text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    except ValueError:  # NaN or Infinity as read (Python's parser takes them): not JSON
        data = _finite(data)
        text = json.dumps(data, separators=(",", ":"))
    if len(text) <= MAX_NODE_DETAIL_CHARS:
        return text
    data["documents"] = {}
    data["omitted"] = (f"the metadata documents of this node ({len(text):,} characters) are "
                       f"larger than the service keeps per node "
                       f"({MAX_NODE_DETAIL_CHARS:,}); fetch them from the dataset")
    return json.dumps(data, separators=(",", ":"))


def _finite(value: Any) -> Any:
    """``value`` with NaN and the infinities written as the strings JSON readers expect."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


# -- process identity --------------------------------------------------------------------------


def _identity() -> tuple[str, str, int]:
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    return socket.gethostname(), namespace, os.getpid()


def make_owner() -> str:
    host, namespace, pid = _identity()
    return f"{host}|{namespace}|{pid}|{secrets.token_hex(4)}"


def owner_is_dead(owner: str) -> bool:
    """True when ``owner`` was a process on this host (same pid namespace) that is gone."""
    parts = owner.rsplit("|", 3)
    if len(parts) != 4:
        return False
    host, namespace, pid_text, _nonce = parts
    my_host, my_namespace, my_pid = _identity()
    if host != my_host or namespace != my_namespace or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == my_pid:
        return True  # an earlier life of this pid (a restarted container's PID 1)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


# -- the in-process runner ---------------------------------------------------------------------


@dataclass(eq=False)
class _Handle:
    job_id: str
    client: str
    url: str
    options: Options
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    status: JobStatus = JobStatus.QUEUED
    progress: JobProgress = field(default_factory=JobProgress)
    cancel_reason: str | None = None
    task: asyncio.Task[None] | None = None
    saved_at: float = 0.0
    saving: asyncio.Task[None] | None = None
    #: Nodes visited since the last save: written with the progress, then dropped.
    nodes: list[tuple[str, str]] = field(default_factory=list)
    #: What was read at those nodes: (path, kind, detail JSON), saved with them.
    details: list[tuple[str, str, str]] = field(default_factory=list)


class AsyncioJobRunner:
    """:class:`JobRunner` running jobs as asyncio tasks on a background thread's event loop."""

    def __init__(
        self,
        repository: JobRepository,
        policy: NetworkPolicy | None,
        *,
        max_running: int = 4,
        max_queued: int = 100,
        max_per_client: int = 4,
        heartbeat_interval: float = 10.0,
        retention: float = 30 * 86400.0,
        progress_interval: float = 1.0,
        node_batch: int = 2000,
        dask_scheduler: str | None = None,
        host_in_flight: int | None = None,
    ) -> None:
        self.repository = repository
        self.policy = policy
        self.max_running = max_running
        self.max_queued = max_queued
        self.max_per_client = max_per_client
        self.heartbeat_interval = heartbeat_interval
        self.retention = retention
        self.progress_interval = progress_interval
        self.node_batch = node_batch
        # Validations on a Dask cluster instead of this process (see api.jobs.dask).
        self.dask: DaskValidator | None = None
        if dask_scheduler:
            from api.jobs.dask import DaskValidator

            self.dask = DaskValidator(dask_scheduler)
        #: Requests in flight per host, summed over every running job (None: no shared cap).
        self.host_in_flight = host_in_flight
        self._host_limits: HostLimits | None = None
        self.owner = make_owner()
        self._handles: dict[str, _Handle] = {}
        self._api_loop: asyncio.AbstractEventLoop | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._slots: FairSlots | None = None
        self._maintenance: asyncio.Task[None] | None = None
        self._closing = False

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return (not self._closing and self._thread is not None and self._thread.is_alive()
                and self._loop is not None and self._loop.is_running())

    async def start(self) -> None:
        self._api_loop = asyncio.get_running_loop()
        await self._housekeeping()  # mark jobs of dead processes before taking new ones
        ready = threading.Event()
        self._thread = threading.Thread(target=self._thread_main, args=(ready,),
                                        name="job-runner", daemon=True)
        self._thread.start()
        await asyncio.to_thread(ready.wait, 10.0)
        self._maintenance = asyncio.create_task(self._maintain())

    def _thread_main(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        self._slots = FairSlots(self.max_running)
        if self.host_in_flight is not None:
            self._host_limits = HostLimits(self.host_in_flight)
        loop.call_soon(ready.set)
        try:
            loop.run_forever()
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            if self.dask is not None:
                loop.run_until_complete(self.dask.close())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()

    async def shutdown(self, timeout: float = 10.0) -> None:
        """Stop: unfinished jobs are marked failed (interrupted), then the thread ends."""
        self._closing = True
        if self._maintenance is not None:
            self._maintenance.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._maintenance
        handles = list(self._handles.values())
        loop = self._loop
        if loop is not None and handles:
            for handle in handles:
                handle.cancel_reason = handle.cancel_reason or "shutdown"
                loop.call_soon_threadsafe(self._cancel_in_loop, handle)
            waiters = [asyncio.create_task(h.finished.wait()) for h in handles]
            _, pending = await asyncio.wait(waiters, timeout=timeout)
            for waiter in pending:
                waiter.cancel()
        if loop is not None and self._thread is not None:
            with contextlib.suppress(RuntimeError):  # the loop may be closed already
                loop.call_soon_threadsafe(loop.stop)
            await asyncio.to_thread(self._thread.join, timeout)

    # -- maintenance ---------------------------------------------------------------------------

    async def _housekeeping(self) -> None:
        at = time.time()
        await self.repository.beat(self.owner, at)
        reaped = await self.repository.reap(
            self.owner, stale_before=at - 3 * self.heartbeat_interval, is_dead=owner_is_dead,
            at=at,
        )
        if reaped:
            log.warning("marked %d job(s) of stopped service processes as interrupted",
                        len(reaped))
        await self.repository.purge(at - self.retention)

    async def _maintain(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            try:
                await self._housekeeping()
            except Exception:
                log.exception("job housekeeping failed")

    # -- jobs ----------------------------------------------------------------------------------

    async def submit(self, job: Job, options: Options) -> None:
        if not self.alive or self._loop is None:
            raise RunnerUnavailable("the job runner is not running; try again shortly")
        if len(self._handles) >= self.max_running + self.max_queued:
            raise RunnerFull(f"the service is running and queueing as many jobs as it may "
                             f"({len(self._handles)}); try again later", retry_after=30.0)
        mine = sum(1 for h in self._handles.values() if h.client == job.client)
        if mine >= self.max_per_client:
            raise ClientBusy(f"you have {mine} unfinished jobs, the most allowed; wait for one "
                             "to finish or cancel one", retry_after=10.0)
        job.owner = self.owner
        handle = _Handle(job.id, job.client, job.url, options)
        self._handles[job.id] = handle  # counted before the first await: limits are exact
        try:
            await self.repository.create(job)
        except BaseException:
            del self._handles[job.id]
            raise
        self._loop.call_soon_threadsafe(self._start_in_loop, handle)

    async def cancel(self, job_id: str) -> bool:
        handle = self._handles.get(job_id)
        if handle is None or self._loop is None:
            return False
        handle.cancel_reason = handle.cancel_reason or "user"
        self._loop.call_soon_threadsafe(self._cancel_in_loop, handle)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10.0):
                await handle.finished.wait()
        return True

    async def wait(self, job_id: str, timeout: float) -> bool:
        handle = self._handles.get(job_id)
        if handle is None:
            return True
        try:
            async with asyncio.timeout(timeout):
                await handle.finished.wait()
        except TimeoutError:
            return False
        return True

    def live(self, job_id: str) -> tuple[JobStatus, JobProgress] | None:
        handle = self._handles.get(job_id)
        if handle is None or handle.status.terminal:
            return None  # finished (or being saved): the repository has the final word
        return handle.status, handle.progress

    # -- in the runner's loop ------------------------------------------------------------------

    def _start_in_loop(self, handle: _Handle) -> None:
        assert self._loop is not None
        handle.task = self._loop.create_task(self._run(handle), name=f"job-{handle.job_id}")
        if handle.cancel_reason is not None:
            handle.task.cancel()

    @staticmethod
    def _cancel_in_loop(handle: _Handle) -> None:
        if handle.task is not None:
            handle.task.cancel()

    async def _run(self, handle: _Handle) -> None:
        status = JobStatus.FAILED
        error_type: ErrorType | None = ErrorType.INTERNAL
        error: str | None = None
        report_json: str | None = None
        valid: bool | None = None
        truncated: bool | None = None
        verdict: str | None = None
        complete: bool | None = None
        try:
            assert self._slots is not None
            # Slots go round-robin to clients, one kept for a client with nothing running.
            async with self._slots.slot(handle.client):
                handle.status = JobStatus.RUNNING
                await self.repository.mark_running(handle.job_id, time.time())
                if self.dask is not None:
                    report = await self.dask.validate(handle.url, handle.options, self.policy)
                else:
                    report = await avalidate(
                        handle.url, options=handle.options, policy=self.policy,
                        on_progress=lambda p: self._on_progress(handle, p),
                        on_node_detail=lambda d: self._on_node(handle, d),
                        host_limits=self._host_limits)
            # The text json.dumps(report.to_dict()) gives, without the dict of every finding.
            report_json = "".join(iter_json(report.to_lazy_dict()))
            valid, truncated = report.valid, report.truncated
            verdict, complete = report.verdict, report.complete
            handle.progress = JobProgress(
                documents=report.stats.documents,
                known=max(handle.progress.known, report.stats.documents),
                findings=len(report.findings),
                requests=report.stats.requests,
            )
            status, error_type = JobStatus.DONE, None
        except (CouldNotValidate, FetchError) as exc:
            error, error_type = str(exc), ErrorType.COULD_NOT_VALIDATE
        except asyncio.CancelledError:
            if handle.cancel_reason == "user":
                status, error_type = JobStatus.CANCELLED, ErrorType.CANCELLED
                error = "cancelled on request"
            else:
                error_type = ErrorType.INTERRUPTED
                error = "interrupted: the service stopped while the job ran; submit it again"
        except ExceptionGroup as group:
            # A budget that ran out inside concurrent work (validator.walk.gather_bounded) can
            # escape avalidate wrapped in an ExceptionGroup, without the partial report. It is
            # the dataset's size, not a bug of ours: say so rather than "internal error".
            budget = budget_message(group)
            if budget is None:
                log.exception("job %s (%s) failed", handle.job_id, handle.url)
                error = f"internal error ({type(group).__name__}); it has been logged"
            else:
                error_type = ErrorType.COULD_NOT_VALIDATE
                error = f"the dataset is larger than this service checks: {budget}"
        except Exception as exc:
            log.exception("job %s (%s) failed", handle.job_id, handle.url)
            error = f"internal error ({type(exc).__name__}); it has been logged"
        finally:
            handle.status = status
            if handle.saving is not None:
                with contextlib.suppress(BaseException):
                    await handle.saving
            with contextlib.suppress(asyncio.CancelledError):
                await self._save_nodes(handle)  # the rest: there before the job is done
            try:
                await self.repository.finish(
                    handle.job_id, status, at=time.time(), progress=handle.progress,
                    error=error, error_type=error_type, report_json=report_json, valid=valid,
                    truncated=truncated, verdict=verdict, complete=complete,
                )
            except Exception:
                log.exception("could not save the outcome of job %s", handle.job_id)
            self._signal_finished(handle)

    def _on_progress(self, handle: _Handle, progress: Progress) -> None:
        handle.progress = JobProgress(progress.documents, progress.known, progress.findings,
                                      progress.requests)
        self._maybe_save(handle, due=time.monotonic() - handle.saved_at >= self.progress_interval)

    def _on_node(self, handle: _Handle, detail: NodeDetail) -> None:
        handle.nodes.append((detail.path, detail.kind.value))
        handle.details.append((detail.path, detail.kind.value, node_detail_json(detail)))
        self._maybe_save(handle, due=len(handle.nodes) >= self.node_batch)

    def _maybe_save(self, handle: _Handle, *, due: bool) -> None:
        """Save progress and the nodes seen so far when ``due``, unless a save is under way."""
        if not due:
            return
        now = time.monotonic()
        if handle.saving is not None and not handle.saving.done():
            return
        handle.saved_at = now
        handle.saving = asyncio.get_running_loop().create_task(self._save_progress(handle))

    async def _save_progress(self, handle: _Handle) -> None:
        try:
            await self.repository.save_progress(handle.job_id, handle.progress)
        except Exception:
            log.exception("could not save the progress of job %s", handle.job_id)
        await self._save_nodes(handle)

    async def _save_nodes(self, handle: _Handle) -> None:
        nodes, handle.nodes = handle.nodes, []
        details, handle.details = handle.details, []
        try:
            await self.repository.add_nodes(handle.job_id, nodes)
            await self.repository.add_node_details(handle.job_id, details)
        except Exception:
            log.exception("could not save the nodes of job %s", handle.job_id)

    def _signal_finished(self, handle: _Handle) -> None:
        def done() -> None:
            self._handles.pop(handle.job_id, None)
            handle.finished.set()

        if self._api_loop is not None:
            with contextlib.suppress(RuntimeError):  # the API loop is gone: nobody waits
                self._api_loop.call_soon_threadsafe(done)
