"""The FastAPI application: ``uvicorn api.app:app`` (or ``--factory api.app:create_app``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import openapi, problems
from api.batches import BatchManager, SqliteBatchRepository
from api.jobs.repository import JobRepository, SqliteJobRepository
from api.jobs.runner import AsyncioJobRunner, JobRunner
from api.middleware import BodyLimit, SecurityHeaders
from api.ratelimit import RateLimiter
from api.routers import batches, docs, jobs, meta, validate, web
from api.settings import Settings
from validator import __version__
from validator import versions as ngff
from validator.netsafe import Resolve, SafeNetworkPolicy

# The versions come from the registry (one place); the rest is plain text ({id} is literal).
DESCRIPTION = f"""\
Validate OME-Zarr (OME-NGFF {ngff.listing()}) datasets, directories or single-file `.ozx`,
at public URLs and report every violation.
""" + """
`POST /v1/validate` waits for the report; `POST /v1/jobs` runs the validation in the
background; `DELETE /v1/jobs/{id}` cancels a running job or deletes a finished one with its
report and nodes. Reports are the JSON of `ome-zarr-validate --format json`, with the
validator's version, rule-set hash, start time and duration in `provenance`. Errors are RFC 9457
problem documents (`application/problem+json`).

Only public `http`, `https`, `s3` and `gs` URLs are fetched: private, loopback and link-local
addresses, other schemes and unusual ports are refused unless the operator allows them.
"""

RunnerFactory = Callable[[JobRepository, SafeNetworkPolicy, Settings], JobRunner]


def default_runner(repository: JobRepository, policy: SafeNetworkPolicy,
                   settings: Settings) -> JobRunner:
    return AsyncioJobRunner(
        repository, policy,
        max_running=settings.max_running_jobs,
        max_queued=settings.max_queued_jobs,
        max_per_client=settings.max_jobs_per_client,
        heartbeat_interval=settings.heartbeat_interval,
        retention=settings.job_retention_days * 86400.0,
        dask_scheduler=settings.dask_scheduler,
        host_in_flight=settings.host_in_flight,
    )


def make_policy(settings: Settings, resolve: Resolve | None = None) -> SafeNetworkPolicy:
    return SafeNetworkPolicy(
        allowed_hosts=settings.allowed_hosts,
        allowed_ports=settings.allowed_ports,
        resolve=resolve,
        s3_endpoint=settings.s3_endpoint_url,
        gcs_endpoint=settings.gcs_endpoint_url,
        reveal_dns=False,  # one message for "private" and "does not resolve"; detail logged
    )


def create_app(
    settings: Settings | None = None,
    *,
    resolve: Resolve | None = None,
    repository: JobRepository | None = None,
    runner: RunnerFactory = default_runner,
) -> FastAPI:
    """Build the app. ``settings`` default to the environment; ``resolve`` replaces the DNS
    lookup of the network policy (tests); ``repository`` and ``runner`` replace the SQLite
    store and the in-process runner."""
    settings = settings if settings is not None else Settings()
    policy = make_policy(settings, resolve)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = repository if repository is not None else SqliteJobRepository(settings.database)
        await store.open()
        job_runner = runner(store, policy, settings)
        batch_store = SqliteBatchRepository(settings.database)
        manager = BatchManager(batch_store, store, job_runner, settings)
        try:
            await job_runner.start()
            await batch_store.open()
            await manager.start()
            app.state.repository = store
            app.state.runner = job_runner
            app.state.batches = manager
            yield
        finally:
            app.state.batches = None
            await manager.shutdown()
            app.state.runner = None
            await job_runner.shutdown()
            app.state.repository = None
            await batch_store.close()
            await store.close()

    app = FastAPI(
        title="OME-Zarr validator",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by api.routers.docs, with local assets (no CDN)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.policy = policy
    app.state.rate_limiter = RateLimiter(settings.rate_limit, settings.rate_window)
    app.state.repository = None
    app.state.runner = None
    app.state.batches = None
    problems.install(app)
    openapi.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Content-Type"],
            expose_headers=["Location", "Content-Location", "Retry-After"],
            max_age=600,
        )
    # Outermost (added last): its headers are on every response, 413s included.
    app.add_middleware(SecurityHeaders)
    app.include_router(validate.router)
    app.include_router(jobs.router)
    app.include_router(batches.router)
    app.include_router(meta.router)
    app.include_router(web.router)
    app.include_router(docs.router)
    return app


app = create_app()
