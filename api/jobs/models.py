"""What the service keeps about a job."""

from __future__ import annotations

import enum
import secrets
import time
from dataclasses import dataclass, field


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)


class ErrorType(enum.StrEnum):
    """Why a job did not give a report."""

    COULD_NOT_VALIDATE = "could-not-validate"  # the target cannot be checked (user's side)
    CANCELLED = "cancelled"  # DELETE /v1/jobs/{id}
    INTERRUPTED = "interrupted"  # the service process stopped or died while it ran
    INTERNAL = "internal"  # a bug: logged


@dataclass(slots=True)
class JobProgress:
    documents: int = 0
    known: int = 0
    findings: int = 0
    requests: int = 0


@dataclass(frozen=True, slots=True)
class JobNode:
    """A node a job's walk visited: its path ("A/1"), name ("1"), kind, number of children."""

    path: str
    name: str
    kind: str
    children: int


@dataclass(slots=True)
class Job:
    """A validation job. ``report_json`` is only loaded when asked for."""

    id: str
    url: str
    ngff_version: str | None
    strict: bool
    client: str
    owner: str
    status: JobStatus = JobStatus.QUEUED
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    progress: JobProgress = field(default_factory=JobProgress)
    error: str | None = None
    error_type: ErrorType | None = None
    valid: bool | None = None
    truncated: bool | None = None
    #: "valid", "invalid" or "incomplete" (Report.verdict), once done.
    verdict: str | None = None
    #: Everything was checked (Report.complete), once done.
    complete: bool | None = None
    report_json: str | None = None

    @staticmethod
    def new_id() -> str:
        """128 random bits: job ids are unguessable, so they can be handed out freely."""
        return secrets.token_hex(16)
