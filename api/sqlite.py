"""One SQLite connection used from worker threads: the plumbing the repositories share.

One connection (WAL mode), serialised by a lock; every call runs in a thread, so the event
loop never waits on the disk. Several processes may share the file (SQLite locks it). A
repository subclasses :class:`SqliteDatabase` and sets up its tables in :meth:`prepare`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class SqliteDatabase:
    #: What the repository holds, for the error raised once it is closed ("job", "batch").
    what = "database"

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def prepare(self, conn: sqlite3.Connection) -> None:
        """Create or update the tables (in the connecting thread, before first use)."""

    async def _run(self, func: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(self._locked, func, *args)

    def _locked(self, func: Callable[..., T], *args: Any) -> T:
        with self._lock:
            if self._conn is None:
                raise RuntimeError(f"the {self.what} repository is closed")
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
                self.prepare(conn)
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
