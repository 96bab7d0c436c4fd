"""``/v1/batches``: validate many datasets -- submit a list of URLs, follow the batch, get
one result per dataset (JSON lines or CSV), each with a link to its job's full report."""

from __future__ import annotations

import asyncio
import io
import json
from collections import Counter
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api import problems
from api.batches.manager import BatchManager, TooManyBatches
from api.batches.repository import Batch, BatchItem
from api.deps import ClientDep, PolicyDep, RunnerDep, SettingsDep, rate_limited
from api.models import NgffVersion, ProblemOut, Url
from api.problems import Problem
from validator.batch.output import write_csv
from validator.batch.result import VERDICTS, DatasetResult
from validator.errors import FetchError, FetchRefused

router = APIRouter(prefix="/v1/batches", tags=["batches"], dependencies=[Depends(rate_limited)])

PROBLEM: dict[str, Any] = {"model": ProblemOut, "content": {problems.MEDIA_TYPE: {}}}
BatchId = Annotated[str, Path(description="The batch id from POST /v1/batches.", max_length=64)]
BATCH_NOT_FOUND = "/problems/batch-not-found"
TOO_MANY_BATCHES = "/problems/too-many-batches"


class BatchRequest(BaseModel):
    """The datasets to validate, and how. Storage options cannot be set here."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"urls": ["https://example.org/a.ome.zarr",
                                                  "https://example.org/b.ome.zarr"]}]},
    )

    urls: list[Url] = Field(min_length=1, description="http(s), s3 or gs URLs of datasets; a "
                            "URL given twice is validated once.")
    ngff_version: NgffVersion | None = Field(
        default=None, description="Validate as this version instead of the declared one.")
    strict: bool = Field(default=False, description="Treat warnings (SHOULD) as errors.")


class BatchCreated(BaseModel):
    id: str
    total: int
    status_url: str


class DatasetOut(BaseModel):
    url: str
    status: Literal["pending", "queued", "running", "done"]
    verdict: Literal["valid", "invalid", "incomplete", "could-not-validate"] | None
    counts: dict[str, int] | None
    top_rules: list[dict[str, Any]] | None
    error: str | None
    job_id: str | None
    job_url: str | None = Field(description="The job: status, progress, report.")
    report_url: str | None = Field(description="The full report (any format), once done.")


class BatchOut(BaseModel):
    id: str
    status: Literal["running", "done"]
    ngff_version: str | None
    strict: bool
    created_at: float
    finished_at: float | None
    total: int
    done: int
    verdicts: dict[str, int] = Field(description="Datasets done, by verdict.")
    results_url: str
    datasets: list[DatasetOut]


def get_manager(request: Request) -> BatchManager:
    manager: BatchManager | None = getattr(request.app.state, "batches", None)
    if manager is None:
        raise Problem(503, problems.NOT_READY, "Not ready", "the service is starting")
    return manager


ManagerDep = Annotated[BatchManager, Depends(get_manager)]


async def _batch(manager: BatchManager, batch_id: str) -> tuple[Batch, list[BatchItem]]:
    found = await manager.batches.get(batch_id)
    if found is None:
        raise Problem(404, BATCH_NOT_FOUND, "No such batch", f"there is no batch {batch_id!r}")
    return found


@router.post(
    "",
    name="create_batch",
    summary="Validate many datasets",
    status_code=202,
    response_model=BatchCreated,
    responses={422: PROBLEM, 429: PROBLEM, 503: PROBLEM},
)
async def create_batch(body: BatchRequest, request: Request, settings: SettingsDep,
                       policy: PolicyDep, manager: ManagerDep, client: ClientDep) -> JSONResponse:
    """Every URL is vetted first (the same network policy as a single job; nothing is sent
    to a refused one, and one refused URL refuses the batch). Each dataset then runs as a job
    of the client's: they count against the client's job allowance, one each."""
    urls = list(dict.fromkeys(body.urls))
    if len(urls) > settings.max_batch_urls:
        raise Problem(422, problems.INVALID_REQUEST, "Batch too large",
                      f"{len(urls)} URLs; a batch holds {settings.max_batch_urls} at most")
    refused: list[dict[str, str]] = []

    async def vet(url: str) -> None:
        try:
            await policy.vet(url)
        except (FetchRefused, FetchError) as exc:
            refused.append({"url": url, "reason": str(exc)})

    await asyncio.gather(*(vet(url) for url in urls))
    if refused:
        refused.sort(key=lambda r: urls.index(r["url"]))
        raise Problem(422, problems.URL_REFUSED, "URL refused",
                      f"{len(refused)} of the {len(urls)} URLs cannot be fetched; the first: "
                      f"{refused[0]['url']}: {refused[0]['reason']}", refused=refused)
    try:
        batch = await manager.submit(urls, ngff_version=body.ngff_version, strict=body.strict,
                                     client=client)
    except TooManyBatches as exc:
        raise Problem(429, TOO_MANY_BATCHES, "Too many batches", str(exc),
                      headers={"Retry-After": "30"}) from None
    url = str(request.url_for("get_batch", batch_id=batch.id))
    created = BatchCreated(id=batch.id, total=len(urls), status_url=url)
    return JSONResponse(created.model_dump(), status_code=202, headers={"Location": url})


def _dataset(request: Request, runner: RunnerDep, item: BatchItem) -> DatasetOut:
    result = DatasetResult.from_dict(json.loads(item.result)) if item.result else None
    status: Any = "pending"
    if result is not None:
        status = "done"
    elif item.job_id is not None:
        live = runner.live(item.job_id)
        status = "running" if live is not None and live[0].value == "running" else "queued"
    job_url = report_url = None
    if item.job_id is not None:
        job_url = str(request.url_for("get_job", job_id=item.job_id))
        if result is not None and result.verdict != "could-not-validate":
            report_url = str(request.url_for("get_job_report", job_id=item.job_id))
    return DatasetOut(
        url=item.url, status=status, verdict=None if result is None else result.verdict,  # type: ignore[arg-type]
        counts=None if result is None else result.counts,
        top_rules=None if result is None else [{"rule": r, "count": c}
                                                for r, c in result.top_rules],
        error=None if result is None else result.error, job_id=item.job_id, job_url=job_url,
        report_url=report_url)


@router.get("/{batch_id}", name="get_batch", summary="A batch's progress and results",
            response_model=BatchOut, responses={404: PROBLEM})
async def get_batch(batch_id: BatchId, request: Request, manager: ManagerDep,
                    runner: RunnerDep) -> BatchOut:
    batch, items = await _batch(manager, batch_id)
    datasets = [_dataset(request, runner, item) for item in items]
    verdicts = Counter(str(d.verdict) for d in datasets if d.verdict is not None)
    return BatchOut(
        id=batch.id, status="done" if batch.finished_at is not None else "running",
        ngff_version=batch.ngff_version, strict=batch.strict, created_at=batch.created_at,
        finished_at=batch.finished_at, total=len(items), done=sum(verdicts.values()),
        verdicts={v: verdicts.get(v, 0) for v in VERDICTS},
        results_url=str(request.url_for("get_batch_results", batch_id=batch.id)),
        datasets=datasets)


@router.get(
    "/{batch_id}/results",
    name="get_batch_results",
    summary="One result per finished dataset: JSON lines or CSV",
    responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}, 404: PROBLEM},
)
async def get_batch_results(
    batch_id: BatchId, request: Request, manager: ManagerDep,
    format: Annotated[Literal["jsonl", "csv"], Query(description="jsonl or csv")] = "jsonl",
) -> Response:
    """The lines of ``ome-zarr-validate batch --output`` (or the rows of its ``--summary``)
    for the datasets finished so far; ``report`` is the URL of each full report."""
    _, items = await _batch(manager, batch_id)
    results: list[DatasetResult] = []
    for item in items:
        if item.result is None:
            continue
        result = DatasetResult.from_dict(json.loads(item.result))
        if item.job_id is not None and result.verdict != "could-not-validate":
            result.report = str(request.url_for("get_job_report", job_id=item.job_id))
        results.append(result)
    if format == "csv":
        out = io.StringIO()
        write_csv(out, results)
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8")
    text = "".join(result.to_json() + "\n" for result in results)
    return Response(text, media_type="application/x-ndjson")
