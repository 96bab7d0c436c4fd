"""``/v1/jobs``: validation jobs in the background -- submit, follow, cancel, get reports."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from api import problems
from api.deps import ClientDep, PolicyDep, RepositoryDep, RunnerDep, SettingsDep, rate_limited
from api.jobs.models import Job, JobStatus
from api.jobs.repository import JobRepository
from api.models import (
    JobCreated,
    JobOut,
    JobRequest,
    NodeDetailOut,
    NodeOut,
    NodesOut,
    ProblemOut,
)
from api.problems import Problem
from api.service import accepted, job_response, submit
from validator.model import Report
from validator.reporters import REPORTERS

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], dependencies=[Depends(rate_limited)])

PROBLEM: dict[str, Any] = {"model": ProblemOut, "content": {problems.MEDIA_TYPE: {}}}
MAX_OFFSET = 2**31 - 1
#: Bytes of a stored report read from the database at a time while it is sent.
REPORT_PART = 256 * 1024
JobId = Annotated[str, Path(description="The job id from POST /v1/jobs.", max_length=64)]


async def _job(repository: JobRepository, job_id: str, *, with_report: bool = False) -> Job:
    job = await repository.get(job_id, with_report=with_report)
    if job is None:
        raise Problem(404, problems.JOB_NOT_FOUND, "No such job",
                      f"there is no job {job_id!r} (finished jobs are kept for a while only)")
    return job


@router.post(
    "",
    name="create_job",
    summary="Start a validation job",
    status_code=202,
    response_model=JobCreated,
    responses={422: PROBLEM, 429: PROBLEM, 503: PROBLEM},
)
async def create_job(
    body: JobRequest,
    request: Request,
    settings: SettingsDep,
    policy: PolicyDep,
    runner: RunnerDep,
    client: ClientDep,
) -> JSONResponse:
    """Queues the validation and answers at once with the job's id and status URL."""
    job = await submit(body, settings=settings, policy=policy, runner=runner, client=client)
    return accepted(request, job)


@router.get(
    "/{job_id}",
    name="get_job",
    summary="A job's status, live progress, and report when done",
    response_model=JobOut,
    responses={404: PROBLEM},
)
async def get_job(
    job_id: JobId,
    request: Request,
    repository: RepositoryDep,
    runner: RunnerDep,
    include_report: Annotated[bool, Query(description="Embed the report when done.")] = True,
) -> Response:
    job = await _job(repository, job_id, with_report=include_report)
    return job_response(request, job, runner.live(job_id), include_report=include_report)


@router.delete(
    "/{job_id}",
    name="cancel_job",
    summary="Cancel a queued or running job; delete a finished one",
    response_model=JobOut,
    responses={
        200: {"description": "The job was queued or running: it is cancelled (its status is "
                             "returned; the job and its nodes are kept, without a report)."},
        204: {"description": "The job had finished (done, failed or cancelled): the job, its "
                             "report and its recorded nodes are deleted. Its id and shared "
                             "link answer 404 from now on."},
        404: PROBLEM,
        409: PROBLEM,
    },
)
async def cancel_job(
    job_id: JobId, request: Request, repository: RepositoryDep, runner: RunnerDep
) -> Response:
    """A queued or running job is cancelled (``200`` with its status). A finished job is
    deleted with its report and its nodes (``204``): the way to withdraw a report that was
    shared, or to free the space before the retention period ends."""
    job = await _job(repository, job_id)
    if job.status.terminal:
        if await repository.delete(job_id):
            return Response(status_code=204)
        raise Problem(409, problems.JOB_FINISHED, "Job not deleted",
                      "the job changed while it was being deleted; try again")
    if not await runner.cancel(job_id):
        job = await _job(repository, job_id)
        if not job.status.terminal:
            raise Problem(409, problems.JOB_FINISHED, "Job not cancellable here",
                          "the job runs in another service process")
    job = await _job(repository, job_id)
    return job_response(request, job, runner.live(job_id), include_report=False)


@router.get(
    "/{job_id}/nodes",
    name="get_job_nodes",
    summary="The nodes a job visited, a page of one node's children at a time",
    response_model=NodesOut,
    responses={404: PROBLEM, 422: PROBLEM},
)
async def get_job_nodes(
    job_id: JobId,
    repository: RepositoryDep,
    parent: Annotated[str, Query(description="The parent's path ('' = the root).",
                                 max_length=4096)] = "",
    # Bounded: SQLite integers are 64-bit; 2**63 was a 500 (issue 14, reproduction 6).
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Children to skip.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="Children to return.")] = 200,
) -> NodesOut:
    """Also while the job runs: the nodes recorded so far. Sorted naturally (A/2 before
    A/10); each with its number of children, to page through them in turn."""
    await _job(repository, job_id)
    parent = parent.strip("/")
    total, nodes = await repository.list_nodes(job_id, parent, offset=offset, limit=limit)
    return NodesOut(parent=parent, total=total, nodes=[
        NodeOut(path=n.path, name=n.name, kind=n.kind, children=n.children) for n in nodes])


@router.get(
    "/{job_id}/node",
    name="get_job_node",
    summary="What a job's walk read at one node: metadata documents, array properties",
    response_model=NodeDetailOut,
    responses={404: PROBLEM, 422: PROBLEM},
)
async def get_job_node(
    job_id: JobId,
    repository: RepositoryDep,
    path: Annotated[str, Query(description="The node's path ('' = the root).",
                               max_length=4096)] = "",
) -> Response:
    """The metadata documents the walk read at the node (as parsed) and, for an array, its
    shape, data type, chunk and shard shapes, codecs and dimension names. Kept when the walk
    visits the node (also while the job runs); nothing is fetched again to answer."""
    await _job(repository, job_id)
    found = await repository.get_node_detail(job_id, path)
    if found is None:
        raise Problem(404, problems.NODE_NOT_FOUND, "No such node",
                      f"the job recorded nothing at {path.strip('/') or 'the root'!r}")
    return Response(found[1], media_type="application/json")


@router.get(
    "/{job_id}/report",
    name="get_job_report",
    summary="A finished job's report, in any report format",
    responses={
        200: {"description": "The report.", "content": {
            cls.media_type: {} for cls in REPORTERS.values()}},
        404: PROBLEM,
        409: PROBLEM,
        422: PROBLEM,
    },
)
async def get_job_report(
    job_id: JobId,
    repository: RepositoryDep,
    format: Annotated[str, Query(description="A report format: " + ", ".join(
        sorted(REPORTERS)), json_schema_extra={"enum": sorted(REPORTERS)})] = "json",
) -> Response:
    reporter = REPORTERS.get(format)
    if reporter is None:
        raise Problem(422, problems.UNKNOWN_FORMAT, "Unknown format",
                      f"no report format {format!r}; use one of {', '.join(sorted(REPORTERS))}",
                      formats=sorted(REPORTERS))
    if format == "json":  # the stored text: sent as it is, a part at a time from the disk
        job = await _job(repository, job_id)
        size = await repository.report_size(job_id) if job.status is JobStatus.DONE else None
        if size is None:
            raise _no_report(job)
        return StreamingResponse(_stored_report(repository, job_id, size),
                                 media_type=reporter.media_type,
                                 headers={"Content-Length": str(size)})
    job = await _job(repository, job_id, with_report=True)
    if job.status is not JobStatus.DONE or job.report_json is None:
        raise _no_report(job)
    # Parsing a large report takes a while: not on the event loop. Then it is written a piece
    # at a time (JSON, SARIF), each piece made in a worker thread as the client takes it; the
    # stored text is let go first.
    report_json, job.report_json = job.report_json, None
    report = await asyncio.to_thread(_parse, report_json)
    del report_json
    return StreamingResponse(_encoded(reporter().chunks(report)),
                             media_type=reporter.media_type)


def _parse(report_json: str) -> Report:
    return Report.from_dict(json.loads(report_json))


def _no_report(job: Job) -> Problem:
    detail = f"the job is {job.status.value}" + (f": {job.error}" if job.error else "")
    return Problem(409, problems.JOB_NOT_FINISHED, "No report", detail,
                   job_status=job.status.value)


class ReportGone(RuntimeError):
    """The report was deleted while it was being sent: the response is cut short (its
    Content-Length is not reached), never ended as if it were whole."""


async def _stored_report(repository: JobRepository, job_id: str, size: int
                         ) -> AsyncIterator[bytes]:
    offset = 0
    while offset < size:
        part = await repository.read_report(job_id, offset, REPORT_PART)
        if not part:
            raise ReportGone(f"the report of job {job_id} was deleted while it was sent")
        offset += len(part)
        yield part


def _encoded(chunks: Iterator[str]) -> Iterator[bytes]:
    for chunk in chunks:
        yield chunk.encode()
