"""The pieces under the routes: the SQLite job repository (owners, reaping, purging), process
identities, and the rate limiter."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from api.jobs.models import ErrorType, Job, JobProgress, JobStatus
from api.jobs.repository import SqliteJobRepository
from api.jobs.runner import make_owner, owner_is_dead
from api.ratelimit import RateLimiter


def _job(owner: str, status: JobStatus = JobStatus.QUEUED) -> Job:
    return Job(id=Job.new_id(), url="https://example.org/x.zarr", ngff_version=None,
               strict=False, client="1.2.3.4", owner=owner, status=status)


async def test_repository_round_trip(tmp_path: Path) -> None:
    repo = SqliteJobRepository(tmp_path / "deep" / "dir" / "jobs.sqlite3")
    await repo.open()
    try:
        await repo.ping()
        job = _job("me")
        await repo.create(job)
        assert (await repo.get(job.id)) == job
        await repo.mark_running(job.id, 10.0)
        await repo.save_progress(job.id, JobProgress(3, 7, 1, 4))
        running = await repo.get(job.id)
        assert running is not None and running.status is JobStatus.RUNNING
        assert running.started_at == 10.0 and running.progress == JobProgress(3, 7, 1, 4)
        await repo.finish(job.id, JobStatus.DONE, at=11.0, progress=JobProgress(5, 5, 2, 6),
                          report_json='{"valid": false}', valid=False, truncated=True)
        done = await repo.get(job.id, with_report=True)
        assert done is not None and done.status is JobStatus.DONE
        assert (done.valid, done.truncated, done.report_json) == (False, True, '{"valid": false}')
        assert (await repo.get(job.id)).report_json is None  # type: ignore[union-attr]
        # Progress of a finished job is not overwritten by a late save.
        await repo.save_progress(job.id, JobProgress(0, 0, 0, 0))
        assert (await repo.get(job.id)).progress == JobProgress(5, 5, 2, 6)  # type: ignore[union-attr]
        assert await repo.get("nope") is None
    finally:
        await repo.close()
    with pytest.raises(RuntimeError, match="closed"):
        await repo.ping()


async def test_verdict_columns_are_added_to_an_older_database(tmp_path: Path) -> None:
    """A database made before the three outcomes (no verdict/complete columns) is migrated on
    open; its old rows read as "not recorded", new ones keep the outcome."""
    import sqlite3

    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE jobs (id TEXT PRIMARY KEY, url TEXT NOT NULL, ngff_version TEXT, "
        "strict INTEGER NOT NULL, client TEXT NOT NULL, owner TEXT NOT NULL, status TEXT NOT "
        "NULL, created_at REAL NOT NULL, started_at REAL, finished_at REAL, documents INTEGER "
        "NOT NULL DEFAULT 0, known INTEGER NOT NULL DEFAULT 0, findings INTEGER NOT NULL "
        "DEFAULT 0, requests INTEGER NOT NULL DEFAULT 0, error TEXT, error_type TEXT, valid "
        "INTEGER, truncated INTEGER, report TEXT);"
        "INSERT INTO jobs (id, url, strict, client, owner, status, created_at, valid, "
        "truncated) VALUES ('old', 'https://example.org/x.zarr', 0, 'c', 'o', 'done', 1.0, 1, 0);")
    conn.commit()
    conn.close()
    for _ in range(2):  # a second open finds the columns there
        repo = SqliteJobRepository(path)
        await repo.open()
        try:
            old = await repo.get("old")
            assert old is not None and old.valid is True
            assert (old.verdict, old.complete) == (None, None)
            job = _job("me")
            await repo.create(job)
            await repo.finish(job.id, JobStatus.DONE, at=2.0, progress=JobProgress(),
                              report_json="{}", valid=False, truncated=True,
                              verdict="incomplete", complete=False)
            done = await repo.get(job.id)
            assert done is not None
            assert (done.valid, done.verdict, done.complete) == (False, "incomplete", False)
        finally:
            await repo.close()


async def test_reaping_marks_only_dead_owners_jobs(tmp_path: Path) -> None:
    repo = SqliteJobRepository(tmp_path / "jobs.sqlite3")
    await repo.open()
    try:
        now = 1000.0
        jobs = {
            "me": _job("me", JobStatus.RUNNING),
            "fresh": _job("fresh-elsewhere", JobStatus.RUNNING),
            "stale": _job("stale-elsewhere", JobStatus.RUNNING),
            "silent": _job("never-beat", JobStatus.QUEUED),
            "dead": _job("dead-here", JobStatus.RUNNING),
            "finished": _job("stale-elsewhere", JobStatus.QUEUED),
        }
        for job in jobs.values():
            await repo.create(job)
        await repo.finish(jobs["finished"].id, JobStatus.DONE, at=now, progress=JobProgress())
        await repo.beat("me", now)
        await repo.beat("fresh-elsewhere", now - 5)
        await repo.beat("stale-elsewhere", now - 100)
        await repo.beat("dead-here", now - 1)
        reaped = await repo.reap("me", stale_before=now - 30, at=now,
                                 is_dead=lambda owner: owner == "dead-here")
        assert sorted(reaped) == sorted(jobs[k].id for k in ("stale", "silent", "dead"))
        for key, job in jobs.items():
            record = await repo.get(job.id)
            assert record is not None
            if key in ("stale", "silent", "dead"):
                assert record.status is JobStatus.FAILED
                assert record.error_type is ErrorType.INTERRUPTED
                assert "interrupted" in (record.error or "")
                assert record.finished_at == now
            elif key == "finished":
                assert record.status is JobStatus.DONE
            else:
                assert record.status is JobStatus.RUNNING
        assert await repo.reap("me", stale_before=now - 30, at=now, is_dead=lambda o: False) == []
    finally:
        await repo.close()


async def test_purge_deletes_old_finished_jobs_only(tmp_path: Path) -> None:
    repo = SqliteJobRepository(tmp_path / "jobs.sqlite3")
    await repo.open()
    try:
        old, recent, running = _job("me"), _job("me"), _job("me", JobStatus.RUNNING)
        for job in (old, recent, running):
            await repo.create(job)
        await repo.finish(old.id, JobStatus.DONE, at=100.0, progress=JobProgress())
        await repo.finish(recent.id, JobStatus.FAILED, at=900.0, progress=JobProgress())
        assert await repo.purge(500.0) == 1
        assert await repo.get(old.id) is None
        assert await repo.get(recent.id) is not None and await repo.get(running.id) is not None
    finally:
        await repo.close()


def test_owner_identity() -> None:
    mine = make_owner()
    assert mine != make_owner()  # a nonce per runner
    assert owner_is_dead(mine)  # the same pid with another nonce: an earlier life
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    host, namespace, _pid, nonce = mine.rsplit("|", 3)
    assert owner_is_dead(f"{host}|{namespace}|{child.pid}|{nonce}")
    assert not owner_is_dead(f"{host}|{namespace}|{os.getppid()}|{nonce}")  # alive
    assert not owner_is_dead(f"elsewhere|{namespace}|{child.pid}|{nonce}")  # another host
    assert not owner_is_dead(f"{host}|pid:[1]|{child.pid}|{nonce}")  # another pid namespace
    assert not owner_is_dead("garbage")


def test_rate_limiter_bursts_then_refills() -> None:
    now = [0.0]
    limiter = RateLimiter(3, 60.0, clock=lambda: now[0])
    assert [limiter.check("a") for _ in range(3)] == [None, None, None]
    wait = limiter.check("a")
    assert wait is not None and 19.9 < wait <= 20.0
    assert limiter.retry_after(wait) == "20"
    assert limiter.retry_after(0.01) == "1"
    assert limiter.check("b") is None  # per client
    now[0] = 20.0
    assert limiter.check("a") is None
    assert limiter.check("a") is not None
    with pytest.raises(ValueError):
        RateLimiter(0, 1.0)


def test_rate_limiter_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    import api.ratelimit

    monkeypatch.setattr(api.ratelimit, "MAX_BUCKETS", 100)
    clock = [0.0]
    limiter = RateLimiter(5, 1.0, clock=lambda: clock[0])
    for i in range(1000):
        limiter.check(f"client-{i}")
    assert len(limiter._buckets) <= 100
    started = time.monotonic()
    for i in range(1000):
        clock[0] += 0.001
        limiter.check(f"busy-{i}")
    assert len(limiter._buckets) <= 100
    assert time.monotonic() - started < 5
