"""Where batches are kept: which URLs, which job runs each, and each dataset's result.

SQLite, in the same file as the jobs (tables of their own), one connection serialised by a
lock, every call in a worker thread like :class:`~api.jobs.repository.SqliteJobRepository`.
A dataset's result is stored once, when its job finishes (the batch summary of
:mod:`validator.batch.result`), so reading a batch never re-reads reports.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from api.sqlite import SqliteDatabase

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    id TEXT PRIMARY KEY,
    client TEXT NOT NULL,
    owner TEXT NOT NULL,
    ngff_version TEXT,
    strict INTEGER NOT NULL,
    created_at REAL NOT NULL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS batches_unfinished ON batches (finished_at, client);
CREATE TABLE IF NOT EXISTS batch_items (
    batch_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    url TEXT NOT NULL,
    job_id TEXT,
    result TEXT,
    PRIMARY KEY (batch_id, idx)
);
"""


@dataclass(frozen=True, slots=True)
class Batch:
    id: str
    client: str
    owner: str
    ngff_version: str | None
    strict: bool
    created_at: float
    finished_at: float | None


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One dataset of a batch: its job once submitted, its result (JSON) once finished."""

    index: int
    url: str
    job_id: str | None
    result: str | None


class SqliteBatchRepository(SqliteDatabase):
    what = "batch"

    def prepare(self, conn: sqlite3.Connection) -> None:
        conn.executescript(_SCHEMA)

    async def create(self, batch: Batch, urls: Sequence[str]) -> None:
        def insert(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN")
            try:
                conn.execute(
                    "INSERT INTO batches (id, client, owner, ngff_version, strict, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (batch.id, batch.client, batch.owner, batch.ngff_version,
                     int(batch.strict), batch.created_at))
                conn.executemany(
                    "INSERT INTO batch_items (batch_id, idx, url) VALUES (?, ?, ?)",
                    [(batch.id, i, url) for i, url in enumerate(urls)])
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

        await self._run(insert)

    async def get(self, batch_id: str) -> tuple[Batch, list[BatchItem]] | None:
        def select(conn: sqlite3.Connection) -> tuple[Batch, list[BatchItem]] | None:
            row = conn.execute(
                "SELECT id, client, owner, ngff_version, strict, created_at, finished_at "
                "FROM batches WHERE id = ?", (batch_id,)).fetchone()
            if row is None:
                return None
            items = conn.execute(
                "SELECT idx, url, job_id, result FROM batch_items WHERE batch_id = ? "
                "ORDER BY idx", (batch_id,)).fetchall()
            return (Batch(row[0], row[1], row[2], row[3], bool(row[4]), row[5], row[6]),
                    [BatchItem(*item) for item in items])

        return await self._run(select)

    async def set_job(self, batch_id: str, index: int, job_id: str) -> None:
        await self._run(lambda c: c.execute(
            "UPDATE batch_items SET job_id = ? WHERE batch_id = ? AND idx = ?",
            (job_id, batch_id, index)))

    async def set_result(self, batch_id: str, index: int, result_json: str) -> None:
        await self._run(lambda c: c.execute(
            "UPDATE batch_items SET result = ? WHERE batch_id = ? AND idx = ?",
            (result_json, batch_id, index)))

    async def finish(self, batch_id: str, at: float) -> None:
        await self._run(lambda c: c.execute(
            "UPDATE batches SET finished_at = ? WHERE id = ?", (at, batch_id)))

    async def unfinished(self, client: str | None = None) -> list[Batch]:
        """Batches not finished (of one client, or all)."""
        def select(conn: sqlite3.Connection) -> list[Batch]:
            query = ("SELECT id, client, owner, ngff_version, strict, created_at, finished_at "
                     "FROM batches WHERE finished_at IS NULL")
            rows = (conn.execute(query + " AND client = ?", (client,)) if client is not None
                    else conn.execute(query)).fetchall()
            return [Batch(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6]) for r in rows]

        return await self._run(select)

    async def purge(self, finished_before: float) -> int:
        def delete(conn: sqlite3.Connection) -> int:
            ids = [r[0] for r in conn.execute(
                "SELECT id FROM batches WHERE finished_at < ?", (finished_before,))]
            for batch_id in ids:
                conn.execute("DELETE FROM batch_items WHERE batch_id = ?", (batch_id,))
                conn.execute("DELETE FROM batches WHERE id = ?", (batch_id,))
            return len(ids)

        return await self._run(delete)
