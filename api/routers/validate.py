"""``POST /v1/validate``: validate a dataset and wait for the report (or get a job)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api import problems
from api.deps import ClientDep, PolicyDep, RepositoryDep, RunnerDep, SettingsDep, rate_limited
from api.jobs.models import ErrorType, JobStatus
from api.models import JobCreated, ProblemOut, ReportOut, ValidateRequest
from api.problems import Problem
from api.service import accepted, status_url, submit

router = APIRouter(prefix="/v1", tags=["validate"], dependencies=[Depends(rate_limited)])

PROBLEM: dict[str, Any] = {"model": ProblemOut, "content": {problems.MEDIA_TYPE: {}}}


@router.post(
    "/validate",
    name="validate",
    summary="Validate a dataset and return the report",
    response_model=ReportOut,
    responses={
        202: {"model": JobCreated, "description": "Still running: poll status_url."},
        409: {**PROBLEM, "description": "The job was cancelled."},
        422: {**PROBLEM, "description": "Invalid request, refused URL, or the target cannot "
                                        "be validated (unreachable, not OME-Zarr)."},
        429: {**PROBLEM, "description": "Too many requests or jobs from this client."},
        503: {**PROBLEM, "description": "The service is at capacity."},
        500: {**PROBLEM, "description": "The job failed inside the service (logged)."},
    },
)
async def validate(
    body: ValidateRequest,
    request: Request,
    settings: SettingsDep,
    policy: PolicyDep,
    runner: RunnerDep,
    repository: RepositoryDep,
    client: ClientDep,
    wait: Annotated[float | None, Query(ge=0, description="Seconds to wait for the report "
                                        "(at most the service's limit) before answering 202.")
                    ] = None,
) -> Response:
    """Waits up to ``wait`` seconds (default and maximum: the service's ``VALIDATE_WAIT``) for
    the report, the same JSON as ``ome-zarr-validate --format json``; when the validation
    takes longer, answers ``202`` with the id and status URL of the job, which goes on."""
    job = await submit(body, settings=settings, policy=policy, runner=runner, client=client)
    timeout = settings.validate_wait if wait is None else min(wait, settings.validate_wait)
    if not await runner.wait(job.id, timeout):
        return accepted(request, job)
    record = await repository.get(job.id, with_report=True)
    if record is None or not record.status.terminal:
        return accepted(request, job)
    if record.status is JobStatus.DONE and record.report_json is not None:
        return Response(record.report_json, media_type="application/json",
                        headers={"Content-Location": status_url(request, job.id)})
    if record.status is JobStatus.CANCELLED:
        raise Problem(409, problems.JOB_CANCELLED, "Job cancelled", record.error, job=job.id)
    if record.error_type is ErrorType.COULD_NOT_VALIDATE:
        raise Problem(422, problems.COULD_NOT_VALIDATE, "Could not validate", record.error,
                      job=job.id)
    if record.error_type is ErrorType.INTERRUPTED:
        raise Problem(503, problems.SERVICE_BUSY, "Service stopping", record.error, job=job.id)
    raise Problem(500, problems.INTERNAL_ERROR, "Internal error", record.error, job=job.id)
