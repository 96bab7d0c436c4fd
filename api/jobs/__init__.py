"""Jobs: what is kept about them (:mod:`~api.jobs.models`), where (:mod:`~api.jobs.repository`)
and how they run (:mod:`~api.jobs.runner`)."""

from api.jobs.models import ErrorType, Job, JobNode, JobProgress, JobStatus
from api.jobs.repository import JobRepository, SqliteJobRepository
from api.jobs.runner import AsyncioJobRunner, JobRunner

__all__ = [
    "AsyncioJobRunner",
    "ErrorType",
    "Job",
    "JobNode",
    "JobProgress",
    "JobRepository",
    "JobRunner",
    "JobStatus",
    "SqliteJobRepository",
]
