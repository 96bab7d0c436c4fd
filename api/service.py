"""What the validate and jobs routes share: vetting and submitting a job, and rendering one."""

from __future__ import annotations

import datetime
from typing import Any, cast
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from api import problems
from api.jobs.models import Job, JobProgress, JobStatus
from api.jobs.runner import ClientBusy, JobRunner, RunnerError, RunnerFull
from api.models import JobCreated, JobOut, ProgressOut, ValidateRequest, VerdictName
from api.problems import Problem
from api.settings import Settings
from validator.errors import FetchError, FetchRefused
from validator.netsafe import SafeNetworkPolicy
from validator.options import Options


def job_options(settings: Settings, body: ValidateRequest) -> Options:
    """The validator options of a job: the request's choices within the service's limits.

    Storage options come from the settings only: users cannot set endpoints or credentials.
    """
    storage: dict[str, Any] = {}
    scheme = urlsplit(body.url).scheme.lower()
    if scheme == "s3":
        storage = {"anon": True}
        if settings.s3_endpoint_url:
            storage["client_kwargs"] = {"endpoint_url": settings.s3_endpoint_url}
    elif scheme == "gs":
        storage = {"token": "anon"}
        if settings.gcs_endpoint_url:
            storage["endpoint_url"] = settings.gcs_endpoint_url
    return Options(
        ngff_version=body.ngff_version,
        strict=body.strict,
        concurrency=settings.host_concurrency,
        timeout=settings.request_timeout,
        retries=settings.request_retries,
        max_document_bytes=settings.max_document_bytes,
        max_consolidated_bytes=settings.max_consolidated_bytes,
        max_json_depth=settings.max_json_depth,
        max_documents=settings.max_documents,
        max_bytes=settings.max_bytes,
        max_findings=settings.max_findings,
        max_held_bytes=settings.max_held_bytes,
        deadline=settings.job_deadline,
        storage_options=storage,
    )


async def submit(
    body: ValidateRequest,
    *,
    settings: Settings,
    policy: SafeNetworkPolicy,
    runner: JobRunner,
    client: str,
) -> Job:
    """Vet the URL (no request is sent to a refused one) and queue a job for it."""
    try:
        await policy.vet(body.url)
    except FetchRefused as exc:
        raise Problem(422, problems.URL_REFUSED, "URL refused", str(exc)) from None
    except FetchError as exc:
        raise Problem(422, problems.COULD_NOT_VALIDATE, "Could not validate", str(exc)) from None
    job = Job(id=Job.new_id(), url=body.url, ngff_version=body.ngff_version,
              strict=body.strict, client=client, owner=runner.owner)
    try:
        await runner.submit(job, job_options(settings, body))
    except ClientBusy as exc:
        raise Problem(429, problems.TOO_MANY_JOBS, "Too many jobs", str(exc),
                      headers={"Retry-After": str(int(exc.retry_after))}) from None
    except (RunnerFull, RunnerError) as exc:
        raise Problem(503, problems.SERVICE_BUSY, "Service busy", str(exc),
                      headers={"Retry-After": str(int(exc.retry_after))}) from None
    return job


def status_url(request: Request, job_id: str) -> str:
    return str(request.url_for("get_job", job_id=job_id))


def accepted(request: Request, job: Job) -> JSONResponse:
    """``202 {"id", "status", "status_url"}`` with a Location header."""
    url = status_url(request, job.id)
    created = JobCreated(id=job.id, status=job.status.value, status_url=url)
    return JSONResponse(created.model_dump(), status_code=202, headers={"Location": url})


def _iso(stamp: float | None) -> str | None:
    if stamp is None:
        return None
    return datetime.datetime.fromtimestamp(stamp, datetime.UTC).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")


def job_response(request: Request, job: Job, live: tuple[JobStatus, JobProgress] | None,
                 *, include_report: bool) -> Response:
    """The job as JSON; the stored report text is spliced in as it is (no re-encoding)."""
    status, progress = job.status, job.progress
    if live is not None and not job.status.terminal:
        status, progress = live
    done = job.status is JobStatus.DONE
    out = JobOut(
        id=job.id,
        status=status.value,
        url=job.url,
        ngff_version=job.ngff_version,
        strict=job.strict,
        created_at=_iso(job.created_at) or "",
        started_at=_iso(job.started_at),
        finished_at=_iso(job.finished_at),
        progress=ProgressOut(documents=progress.documents, known=progress.known,
                             findings=progress.findings, requests=progress.requests),
        valid=job.valid,
        verdict=cast(VerdictName | None, job.verdict),  # Report.verdict's three words
        complete=job.complete,
        truncated=job.truncated,
        error=job.error,
        error_type=None if job.error_type is None else job.error_type.value,
        report_url=str(request.url_for("get_job_report", job_id=job.id)) if done else None,
    )
    text = out.model_dump_json(exclude={"report"})
    if include_report and done and job.report_json:
        text = text[:-1] + ',"report":' + job.report_json + "}"
    else:
        text = text[:-1] + ',"report":null}'
    return Response(text, media_type="application/json")
