"""Where jobs and reports are kept: the :class:`JobRepository` interface and its SQLite
implementation (the default: one file, no server).

A server database can take over by implementing :class:`JobRepository`; routes and runners
only use the interface.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from api.jobs.models import ErrorType, Job, JobNode, JobProgress, JobStatus
from api.sqlite import SqliteDatabase

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

    async def report_size(self, job_id: str) -> int | None:
        """The size in bytes (UTF-8) of a finished job's stored report, or ``None`` when it
        has none."""
        ...

    async def read_report(self, job_id: str, offset: int, size: int) -> bytes | None:
        """At most ``size`` bytes of a job's stored report (UTF-8) from byte ``offset`` (fewer
        at its end, ``b""`` past it): a report is sent a part at a time, never loaded whole.
        ``None`` when the job has no report (any more: it may be deleted meanwhile)."""
        ...

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
        verdict: str | None = None,
        complete: bool | None = None,
    ) -> None: ...

    async def add_nodes(self, job_id: str, nodes: Sequence[tuple[str, str]]) -> None:
        """Record nodes ``(path, kind)`` a job's walk visited (the root, "", is not kept).

        A node recorded already keeps its kind; a node whose parent is not recorded gets its
        missing ancestors, as groups, so that every node can be reached from the root."""
        ...

    async def list_nodes(
        self, job_id: str, parent: str, *, offset: int, limit: int
    ) -> tuple[int, list[JobNode]]:
        """``(total, page)``: the recorded children of ``parent`` ("" = root), in natural
        order ("A/2" before "A/10"), ``limit`` of them from ``offset``."""
        ...

    async def add_node_details(self, job_id: str, details: Sequence[tuple[str, str, str]]
                               ) -> None:
        """Record what a job's walk read at nodes: ``(path, kind, detail JSON)``, the root
        ("") included. A node recorded already keeps its first detail."""
        ...

    async def get_node_detail(self, job_id: str, path: str) -> tuple[str, str] | None:
        """``(kind, detail JSON)`` of a node of a job, or ``None``."""
        ...

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

    async def delete(self, job_id: str) -> bool:
        """Delete a finished job, its report and its nodes; ``False`` when there is no such
        finished job (an unfinished one is left alone)."""
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
    report TEXT,
    verdict TEXT,
    complete INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, owner);
CREATE INDEX IF NOT EXISTS jobs_by_finish ON jobs (finished_at);
CREATE TABLE IF NOT EXISTS job_nodes (
    job_id TEXT NOT NULL,
    parent TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    implied INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, parent, name)
);
CREATE INDEX IF NOT EXISTS job_nodes_children ON job_nodes (job_id, parent, sort_key, name);
CREATE TABLE IF NOT EXISTS job_node_details (
    job_id TEXT NOT NULL,
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (job_id, path)
);
CREATE TABLE IF NOT EXISTS owners (
    id TEXT PRIMARY KEY,
    heartbeat REAL NOT NULL
);
"""

_COLUMNS = ("id, url, ngff_version, strict, client, owner, status, created_at, started_at, "
            "finished_at, documents, known, findings, requests, error, error_type, valid, "
            "truncated, verdict, complete")

#: Columns added after the first release: a database made before them gets them on open.
_ADDED_COLUMNS = (("verdict", "TEXT"), ("complete", "INTEGER"))

_ADD_NODE = (
    "INSERT INTO job_nodes (job_id, parent, name, kind, sort_key, implied) "
    "VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (job_id, parent, name) DO UPDATE SET "
    "kind = excluded.kind, implied = 0 WHERE job_nodes.implied = 1"
)
_ADD_ANCESTOR = (
    "INSERT OR IGNORE INTO job_nodes (job_id, parent, name, kind, sort_key, implied) "
    "VALUES (?, ?, ?, 'group', ?, 1)"
)
_LIST_NODES = (
    "SELECT n.parent, n.name, n.kind, (SELECT COUNT(*) FROM job_nodes c "
    "WHERE c.job_id = n.job_id AND c.parent = (CASE WHEN n.parent = '' THEN n.name "
    "ELSE n.parent || '/' || n.name END)) "
    "FROM job_nodes n WHERE n.job_id = ? AND n.parent = ? "
    "ORDER BY n.sort_key, n.name LIMIT ? OFFSET ?"
)
_DIGITS = re.compile(r"\d+")

INTERRUPTED_MESSAGE = ("interrupted: the service process stopped while the job was {status}; "
                       "submit it again")


class SqliteJobRepository(SqliteDatabase):
    """:class:`JobRepository` in an SQLite file (WAL mode), used from worker threads.

    One connection, serialised by a lock; every call runs in a thread so the event loop never
    waits on the disk. Several processes may share the file (SQLite locks it).
    """

    what = "job"

    def prepare(self, conn: sqlite3.Connection) -> None:
        conn.executescript(_SCHEMA)
        _add_columns(conn)

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

    async def report_size(self, job_id: str) -> int | None:
        def size(conn: sqlite3.Connection) -> int | None:
            blob = _report_blob(conn, job_id)
            if blob is None:
                return None
            with blob:
                return len(blob)

        return await self._run(size)

    async def read_report(self, job_id: str, offset: int, size: int) -> bytes | None:
        def read(conn: sqlite3.Connection) -> bytes | None:
            blob = _report_blob(conn, job_id)
            if blob is None:
                return None
            with blob:
                blob.seek(min(offset, len(blob)))
                return blob.read(size)

        return await self._run(read)

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
        verdict: str | None = None,
        complete: bool | None = None,
    ) -> None:
        await self._run(lambda c: c.execute(
            "UPDATE jobs SET status = ?, finished_at = ?, documents = ?, known = ?, "
            "findings = ?, requests = ?, error = ?, error_type = ?, report = ?, valid = ?, "
            "truncated = ?, verdict = ?, complete = ? WHERE id = ?",
            (status.value, at, progress.documents, progress.known, progress.findings,
             progress.requests, error, None if error_type is None else error_type.value,
             report_json, _bool_in(valid), _bool_in(truncated), verdict, _bool_in(complete),
             job_id),
        ))

    # -- nodes -------------------------------------------------------------------------------

    async def add_nodes(self, job_id: str, nodes: Sequence[tuple[str, str]]) -> None:
        if not nodes:
            return
        rows = [(job_id, *_split(path), kind) for path, kind in nodes if path.strip("/")]
        ancestors = {a for path, _ in nodes for a in _ancestors(path)}

        def insert(conn: sqlite3.Connection) -> None:
            with _transaction(conn):
                conn.executemany(_ADD_NODE, [(*row, natural_key(row[2])) for row in rows])
                conn.executemany(_ADD_ANCESTOR, [(job_id, *_split(a), natural_key(_split(a)[1]))
                                                 for a in sorted(ancestors)])

        await self._run(insert)

    async def list_nodes(
        self, job_id: str, parent: str, *, offset: int, limit: int
    ) -> tuple[int, list[JobNode]]:
        parent = parent.strip("/")

        def select(conn: sqlite3.Connection) -> tuple[int, list[JobNode]]:
            (total,) = conn.execute(
                "SELECT COUNT(*) FROM job_nodes WHERE job_id = ? AND parent = ?",
                (job_id, parent)).fetchone()
            rows = conn.execute(_LIST_NODES, (job_id, parent, limit, offset)).fetchall()
            return int(total), [JobNode(_join(p, name), name, kind, int(children))
                                for p, name, kind, children in rows]

        return await self._run(select)

    async def add_node_details(self, job_id: str, details: Sequence[tuple[str, str, str]]
                               ) -> None:
        if not details:
            return
        rows = [(job_id, path.strip("/"), kind, detail) for path, kind, detail in details]

        def insert(conn: sqlite3.Connection) -> None:
            with _transaction(conn):
                conn.executemany("INSERT OR IGNORE INTO job_node_details (job_id, path, kind, "
                                 "detail) VALUES (?, ?, ?, ?)", rows)

        await self._run(insert)

    async def get_node_detail(self, job_id: str, path: str) -> tuple[str, str] | None:
        def select(conn: sqlite3.Connection) -> tuple[str, str] | None:
            row = conn.execute("SELECT kind, detail FROM job_node_details WHERE job_id = ? "
                               "AND path = ?", (job_id, path.strip("/"))).fetchone()
            return None if row is None else (str(row[0]), str(row[1]))

        return await self._run(select)

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
        where = "finished_at IS NOT NULL AND finished_at < ? AND status NOT IN (?, ?)"
        args = (finished_before, *UNFINISHED)

        def delete(conn: sqlite3.Connection) -> int:
            with _transaction(conn):
                for table in ("job_nodes", "job_node_details"):
                    conn.execute(f"DELETE FROM {table} WHERE job_id IN "
                                 f"(SELECT id FROM jobs WHERE {where})", args)
                cursor = conn.execute(f"DELETE FROM jobs WHERE {where}", args)
            return int(cursor.rowcount)

        return await self._run(delete)

    async def delete(self, job_id: str) -> bool:
        def remove(conn: sqlite3.Connection) -> bool:
            with _transaction(conn):
                cursor = conn.execute("DELETE FROM jobs WHERE id = ? AND status NOT IN (?, ?)",
                                      (job_id, *UNFINISHED))
                if cursor.rowcount:
                    conn.execute("DELETE FROM job_nodes WHERE job_id = ?", (job_id,))
                    conn.execute("DELETE FROM job_node_details WHERE job_id = ?", (job_id,))
            return bool(cursor.rowcount)

        return await self._run(remove)


def _report_blob(conn: sqlite3.Connection, job_id: str) -> sqlite3.Blob | None:
    """The stored report of a job as an incremental read handle (SQLite reads TEXT as its
    UTF-8 bytes), found by the job's id at every call: a rowid alone could be reused by
    another job once this one is deleted."""
    row = conn.execute("SELECT rowid FROM jobs WHERE id = ? AND report IS NOT NULL",
                       (job_id,)).fetchone()
    if row is None:
        return None
    return conn.blobopen("jobs", "report", int(row[0]), readonly=True)


def _add_columns(conn: sqlite3.Connection) -> None:
    """Add the columns a database made by an earlier version lacks (ALTER TABLE ... ADD
    COLUMN: existing rows get NULL, read as "not recorded"). Another process may add them at
    the same moment: a duplicate column is what it wanted."""
    present = {row[1] for row in conn.execute("PRAGMA table_info(jobs)")}
    for name, kind in _ADDED_COLUMNS:
        if name in present:
            continue
        try:
            conn.execute(f"ALTER TABLE jobs ADD COLUMN {name} {kind}")
        except sqlite3.OperationalError as exc:
            if "duplicate column" not in str(exc):
                raise


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def natural_key(name: str) -> str:
    """A key that sorts names naturally: runs of digits compare as numbers ("2" < "10")."""
    return _DIGITS.sub(lambda m: f"{len(m.group().lstrip('0')):04d}{m.group().lstrip('0')}",
                       name.casefold())


def _split(path: str) -> tuple[str, str]:
    """``(parent, name)`` of a node path."""
    parent, _, name = path.strip("/").rpartition("/")
    return parent, name


def _join(parent: str, name: str) -> str:
    return f"{parent}/{name}" if parent else name


def _ancestors(path: str) -> Iterable[str]:
    parts = path.strip("/").split("/")
    return ("/".join(parts[:i]) for i in range(1, len(parts)))


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
        verdict=row[18],
        complete=_bool_out(row[19]),
        report_json=row[20] if len(row) > 20 else None,
    )
