"""FastAPI dependencies: settings, the job repository and runner, the network policy, the
client's identity and the rate limit. Tests override them with ``app.dependency_overrides``
or build the app with ``create_app(settings)``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api import problems
from api.jobs.repository import JobRepository
from api.jobs.runner import JobRunner
from api.problems import Problem
from api.ratelimit import RateLimiter
from api.settings import Settings
from validator.netsafe import SafeNetworkPolicy


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_repository(request: Request) -> JobRepository:
    repository: JobRepository | None = getattr(request.app.state, "repository", None)
    if repository is None:
        raise Problem(503, problems.NOT_READY, "Not ready", "the service is starting")
    return repository


def get_runner(request: Request) -> JobRunner:
    runner: JobRunner | None = getattr(request.app.state, "runner", None)
    if runner is None:
        raise Problem(503, problems.NOT_READY, "Not ready", "the service is starting")
    return runner


def get_policy(request: Request) -> SafeNetworkPolicy:
    policy: SafeNetworkPolicy = request.app.state.policy
    return policy


def get_rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


def client_address(request: Request) -> str:
    """Who is asking: the peer address (behind a proxy, run uvicorn with --proxy-headers and
    --forwarded-allow-ips so that this is the original client)."""
    return request.client.host if request.client is not None else "unknown"


SettingsDep = Annotated[Settings, Depends(get_settings)]
RepositoryDep = Annotated[JobRepository, Depends(get_repository)]
RunnerDep = Annotated[JobRunner, Depends(get_runner)]
PolicyDep = Annotated[SafeNetworkPolicy, Depends(get_policy)]
LimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]
ClientDep = Annotated[str, Depends(client_address)]


def rate_limited(limiter: LimiterDep, client: ClientDep) -> None:
    """Answer 429 (with Retry-After) when the client is over its request rate."""
    wait = limiter.check(client)
    if wait is not None:
        raise Problem(
            429, problems.RATE_LIMITED, "Too many requests",
            f"more than {limiter.limit} requests in {limiter.window:g} s; retry later",
            headers={"Retry-After": limiter.retry_after(wait)},
        )
