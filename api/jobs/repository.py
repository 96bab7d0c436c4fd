"""Where jobs and reports are kept: the :class:`JobRepository` interface and its SQLite
implementation (the default: one file, no server).

A server database can take over by implementing :class:`JobRepository`; routes and runners
only use the interface.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

from api.jobs.models import ErrorType, Job, JobProgress, JobStatus

T = TypeVar("T")

UNFINISHED = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


class JobRepository(Protocol):
    """Persistent store of jobs, their progress and their reports."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def ping(self) -> None:
        """Raise when the store cannot be used."""
        ...

    async def create(self, job: Job) -> None: ...

    async def get(self, job_id: str, *, with_report: bool = False) -> Job | None: ...

    async def mark_running(self, job_id: str, at: float) -> None: ...

    async def save_progress(self, job_id: str, progress: JobProgress) -> None: ...

    async def finish(
        self,
        job_id: str,
        status: JobStatus,
        *,
        at: float,
        progress: JobProgress,
        error: str | None = None,
        error_type: ErrorType | None = None,
        report_json: str | None = None,
        valid: bool | None = None,
        truncated: bool | None = None,
    ) -> None: ...

    async def beat(self, owner: str, at: float) -> None:
        """Record that the process ``owner`` is alive at ``at``."""
        ...

    async def reap(
        self, owner: str, *, stale_before: float, is_dead: Callable[[str], bool], at: float
    ) -> list[str]:
        """Mark failed (interrupted) the unfinished jobs of every other owner that is dead:
        ``is_dead(owner)`` or no beat since ``stale_before``. Returns the ids marked."""
        ...

    async def purge(self, finished_before: float) -> int:
        """Delete jobs finished before ``finished_before``; returns how many."""
        ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    ngff_version TEXT,
    strict INTEGER NOT NULL,
    client TEXT NOT NULL,
    owner TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    documents INTEGER NOT NULL DEFAULT 0,
    known INTEGER NOT NULL DEFAULT 0,
    findings INTEGER NOT NULL DEFAULT 0,
    requests INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    error_type TEXT,
    valid INTEGER,
    truncated INTEGER,
    report TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, owner);
CREATE INDEX IF NOT EXISTS jobs_by_finish ON jobs (finished_at);
CREATE TABLE IF NOT EXISTS owners (
    id TEXT PRIMARY KEY,
    heartbeat REAL NOT NULL
);
"""

_COLUMNS = ("id, url, ngff_version, strict, client, owner, status, created_at, started_at, "
            "finished_at, documents, known, findings, requests, error, error_type, valid, "
            "truncated")

INTERRUPTED_MESSAGE = ("interrupted: the service process stopped while the job was {status}; "
                       "submit it again")


class SqliteJobRepository:
    """:class:`JobRepository` in an SQLite file (WAL mode), used from worker threads.

    One connection, serialised by a lock; every call runs in a thread so the event loop never
    waits on the disk. Several processes may share the file (SQLite locks it).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    # -- plumbing ------------------------------------------------------------------------------

    async def _run(self, func: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(self._locked, func, *args)

    def _locked(self, func: Callable[..., T], *args: Any) -> T:
        with self._lock:
            if self._conn is None:
                raise RuntimeError("the job repository is closed")
            return func(self._conn, *args)

    async def open(self) -> None:
        def connect() -> sqlite3.Connection:
            if self.path != ":memory:":
                Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None,
                                   timeout=30.0)
            try:
                conn.execute("PRAGMA busy_timeout = 30000")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.executescript(_SCHEMA)
            except BaseException:
                conn.close()
                raise
            return conn

        conn = await asyncio.to_thread(connect)
        with self._lock:
            self._conn = conn

    async def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            await asyncio.to_thread(conn.close)

    async def ping(self) -> None:
        await self._run(lambda c: c.execute("SELECT 1").fetchone())

    # -- jobs ----------------------------------------------------------------------------------

    async def create(self, job: Job) -> None:
        def insert(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO jobs (id, url, ngff_version, strict, client, owner, status, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (job.id, job.url, job.ngff_version, int(job.strict), job.client, job.owner,
                 job.status.value, job.created_at),
            )

        await self._run(insert)

    async def get(self, job_id: str, *, with_report: bool = False) -> Job | None:
        columns = _COLUMNS + (", report" if with_report else "")

        def select(conn: sqlite3.Connection) -> Sequence[Any] | None:
            row: Sequence[Any] | None = conn.execute(
                f"SELECT {columns} FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
            return row

        row = await self._run(select)
        return None if row is None else _job(row)

    async def mark_running(self, job_id: str, at: float) -> None:
        await self._run(lambda c: c.execute(
            "UPDATE jobs SET status = ?, started_at = ? WHERE id = ? AND status = ?",
            (JobStatus.RUNNING.value, at, job_id, JobStatus.QUEUED.value),
        ))

    async def save_progress(self, job_id: str, progress: JobProgress) -> None:
        await self._run(lambda c: c.execute(
            "UPDATE jobs SET documents = ?, known = ?, findings = ?, requests = ? "
            "WHERE id = ? AND status IN (?, ?)",
            (progress.documents, progress.known, progress.findings, progress.requests, job_id,
             *UNFINISHED),
        ))

    async def finish(
        self,
        job_id: str,
        status: JobStatus,
        *,
        at: float,
        progress: JobProgress,
        error: str | None = None,
        error_type: ErrorType | None = None,
        report_json: str | None = None,
        valid: bool | None = None,
        truncated: bool | None = None,
    ) -> None:
        await self._run(lambda c: c.execute(
            "UPDATE jobs SET status = ?, finished_at = ?, documents = ?, known = ?, "
            "findings = ?, requests = ?, error = ?, error_type = ?, report = ?, valid = ?, "
            "truncated = ? WHERE id = ?",
            (status.value, at, progress.documents, progress.known, progress.findings,
             progress.requests, error, None if error_type is None else error_type.value,
             report_json, _bool_in(valid), _bool_in(truncated), job_id),
        ))

    # -- owners --------------------------------------------------------------------------------

    async def beat(self, owner: str, at: float) -> None:
        await self._run(lambda c: c.execute(
            "INSERT INTO owners (id, heartbeat) VALUES (?, ?) "
            "ON CONFLICT (id) DO UPDATE SET heartbeat = excluded.heartbeat",
            (owner, at),
        ))

    async def reap(
        self, owner: str, *, stale_before: float, is_dead: Callable[[str], bool], at: float
    ) -> list[str]:
        def sweep(conn: sqlite3.Connection) -> list[str]:
            beats = dict(conn.execute("SELECT id, heartbeat FROM owners").fetchall())
            owners = [row[0] for row in conn.execute(
                "SELECT DISTINCT owner FROM jobs WHERE status IN (?, ?) AND owner != ?",
                (*UNFINISHED, owner),
            )]
            dead = [o for o in owners if o not in beats or beats[o] < stale_before or is_dead(o)]
            reaped: list[str] = []
            for other in dead:
                for job_id, status in conn.execute(
                    "SELECT id, status FROM jobs WHERE owner = ? AND status IN (?, ?)",
                    (other, *UNFINISHED),
                ).fetchall():
                    conn.execute(
                        "UPDATE jobs SET status = ?, finished_at = ?, error = ?, error_type = ? "
                        "WHERE id = ? AND status IN (?, ?)",
                        (JobStatus.FAILED.value, at, INTERRUPTED_MESSAGE.format(status=status),
                         ErrorType.INTERRUPTED.value, job_id, *UNFINISHED),
                    )
                    reaped.append(job_id)
                conn.execute("DELETE FROM owners WHERE id = ?", (other,))
            stale = [o for o, beat in beats.items() if beat < stale_before and o != owner]
            conn.executemany("DELETE FROM owners WHERE id = ?", [(o,) for o in stale])
            return reaped

        return await self._run(sweep)

    async def purge(self, finished_before: float) -> int:
        def delete(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ? "
                "AND status NOT IN (?, ?)",
                (finished_before, *UNFINISHED),
            )
            return int(cursor.rowcount)

        return await self._run(delete)


def _bool_in(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _bool_out(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _job(row: Sequence[Any]) -> Job:
    return Job(
        id=row[0],
        url=row[1],
        ngff_version=row[2],
        strict=bool(row[3]),
        client=row[4],
        owner=row[5],
        status=JobStatus(row[6]),
        created_at=row[7],
        started_at=row[8],
        finished_at=row[9],
        progress=JobProgress(documents=row[10], known=row[11], findings=row[12],
                             requests=row[13]),
        error=row[14],
        error_type=None if row[15] is None else ErrorType(row[15]),
        valid=_bool_out(row[16]),
        truncated=_bool_out(row[17]),
        report_json=row[18] if len(row) > 18 else None,
    )
