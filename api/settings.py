"""Service settings, read from the environment with the prefix ``OME_ZARR_VALIDATOR_``.

Every limit of the service is a setting with a default meant for a service on the public
internet. Lists (``ALLOWED_HOSTS``, ``ALLOWED_PORTS``) are comma-separated.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from validator.netsafe import DEFAULT_PORTS, parse_allow_rule
from validator.options import MiB

ENV_PREFIX = "OME_ZARR_VALIDATOR_"


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """Configuration of the service (see the settings table in the README)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    # -- storage ---------------------------------------------------------------------------
    database: str = Field(
        default="ome-zarr-validator.sqlite3",
        description="Path of the SQLite database holding jobs and reports.",
    )
    job_retention_days: float = Field(
        default=30.0,
        gt=0,
        description="Finished jobs (and their reports) are deleted after this long.",
    )
    heartbeat_interval: float = Field(
        default=10.0,
        gt=0,
        description="Seconds between liveness beats of a service process; jobs of a process "
        "silent for 3 beats are marked failed (interrupted).",
    )

    # -- waiting ---------------------------------------------------------------------------
    validate_wait: float = Field(
        default=30.0,
        ge=0,
        description="How long POST /v1/validate waits for the report before answering 202.",
    )

    # -- network policy --------------------------------------------------------------------
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Hosts, addresses or CIDRs (optionally :port) opened despite the SSRF "
        "policy, e.g. 127.0.0.1:9000,10.1.0.0/16,minio.internal.",
    )
    allowed_ports: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: sorted(DEFAULT_PORTS),
        description="Ports allowed on public hosts.",
    )
    s3_endpoint_url: str | None = Field(
        default=None, description="Endpoint for s3:// URLs (default: AWS). Vetted like any URL."
    )
    gcs_endpoint_url: str | None = Field(
        default=None, description="Endpoint for gs:// URLs (default: Google). Vetted like any URL."
    )

    # -- limits of one job -----------------------------------------------------------------
    max_document_bytes: int = Field(
        default=2 * MiB, ge=1, description="Largest metadata document read (decompressed bytes)."
    )
    max_consolidated_bytes: int = Field(
        default=16 * MiB,
        ge=1,
        description="Largest root zarr.json or .zmetadata (they may hold the consolidated "
        "metadata of a whole hierarchy).",
    )
    max_json_depth: int = Field(default=64, ge=2, description="Deepest JSON nesting accepted.")
    max_documents: int = Field(default=100_000, ge=1, description="Documents read per job at most.")
    max_bytes: int = Field(default=512 * MiB, ge=1, description="Bytes read per job at most.")
    max_findings: int = Field(
        default=10_000, ge=1,
        description="Findings kept in a job's report at most (memory); beyond, they are "
        "counted in counts, not kept (one of each severity always is).",
    )
    max_held_bytes: int = Field(
        default=256 * MiB, ge=1,
        description="Bytes of metadata documents a job may hold at once (memory): a document "
        "counts from its read until its node is checked (consolidated metadata: the whole "
        "job); beyond, the job stops with an incomplete report.",
    )
    request_timeout: float = Field(default=30.0, gt=0, description="Seconds per outgoing request.")
    request_retries: int = Field(
        default=2, ge=0, description="Retries of a failed outgoing request."
    )
    job_deadline: float = Field(
        default=600.0,
        gt=0,
        description="Seconds a job may run; then its report is incomplete (complete: false, "
        "truncated), with the findings so far.",
    )
    host_concurrency: int = Field(
        default=16,
        ge=1,
        description="Outgoing requests in flight per job (and so per target host).",
    )

    host_in_flight: int = Field(
        default=32,
        ge=1,
        description="Outgoing requests in flight per target host, all jobs together (a slow "
        "host holds its own slots, never another host's).",
    )

    # -- limits of the service -------------------------------------------------------------
    max_running_jobs: int = Field(
        default=4, ge=1, description="Jobs running at once, shared round-robin between clients "
        "(one slot kept for a client with nothing running); more wait queued."
    )
    max_queued_jobs: int = Field(
        default=100, ge=0, description="Jobs waiting to run at most; beyond that, 503."
    )
    max_jobs_per_client: int = Field(
        default=4, ge=1, description="Unfinished jobs per client address at most; beyond that, 429."
    )
    rate_limit: int = Field(
        default=120, ge=1, description="Requests to /v1 per client address per rate_window."
    )
    rate_window: float = Field(default=60.0, gt=0, description="Seconds of the rate limit window.")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Web origins allowed to call the API from a browser (CORS), e.g. "
        "https://portal.example.org; * for any.",
    )
    max_request_bytes: int = Field(default=64 * 1024, ge=1024, description="Largest request body.")

    # -- batches ---------------------------------------------------------------------------
    max_batch_urls: int = Field(
        default=1000, ge=1, description="URLs in one batch (POST /v1/batches) at most."
    )
    max_batches_per_client: int = Field(
        default=2, ge=1, description="Unfinished batches per client address at most; the "
        "datasets of a batch also count, one job each, against max_jobs_per_client."
    )
    dask_scheduler: str | None = Field(
        default=None, description="Address of a Dask distributed scheduler "
        "(tcp://host:8786): jobs then run on its workers (needs dask[distributed]; the "
        "workers need ome-zarr-validator). Unset: jobs run in the service process."
    )

    # -- connections (python -m api.serve) -------------------------------------------------
    header_timeout: float = Field(
        default=10.0, gt=0, le=3600,
        description="Seconds a connection has to send a complete request head; then it is "
        "closed (slowloris, half-open connections).",
    )
    keepalive_timeout: float = Field(
        default=5.0, gt=0, le=3600, description="Seconds an idle keep-alive connection is kept."
    )
    max_connections: int = Field(
        default=512, ge=1,
        description="Concurrent connections at most; more are closed at once. Keep it well "
        "below the descriptor limit (ulimit -n).",
    )
    forwarded_allow_ips: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses of the reverse proxies whose X-Forwarded-For is trusted (the "
        "client address, and so its rate limit). Empty: trusted from nobody. Set it behind a "
        "proxy, e.g. 10.0.0.5.",
    )

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _hosts(cls, value: Any) -> Any:
        value = _split(value)
        for entry in value or []:
            parse_allow_rule(str(entry))  # ValueError -> a clear settings error at start-up
        return value

    @field_validator("allowed_ports", "cors_origins", "forwarded_allow_ips", mode="before")
    @classmethod
    def _ports(cls, value: Any) -> Any:
        return _split(value)

    @field_validator("allowed_ports")
    @classmethod
    def _port_range(cls, value: list[int]) -> list[int]:
        for port in value:
            if not 0 < port < 65536:
                raise ValueError(f"bad port {port}")
        return value


def env_name(field: str) -> str:
    """The environment variable of a setting: ``env_name("database")`` ->
    ``OME_ZARR_VALIDATOR_DATABASE``."""
    return ENV_PREFIX + field.upper()
