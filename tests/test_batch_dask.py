"""Batches on a real Dask distributed cluster (worker processes), over the real HTTP server.

Few and small: each LocalCluster costs seconds of start-up on a shared machine.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from distributed import Client, LocalCluster

from tests.test_api_support import ServiceThread, settings_for
from validator import validate
from validator.batch import aiter_validate_many, validate_many
from validator.batch.output import load_results
from validator.testing import DataServer
from validator.testing.collection import write_collection

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(n_workers=2, threads_per_worker=2, processes=True,
                      dashboard_address=":0", scheduler_kwargs={"dashboard": False}) as local:
        yield local


def test_cli_on_a_local_cluster_gives_each_verdict_of_a_single_run(
    serve_directory: Callable[..., DataServer], tmp_path: Path,
) -> None:
    entries = write_collection(tmp_path / "data", 8)
    server = serve_directory(tmp_path / "data")
    urls = [server.url_for(e.name) for e in entries]
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls) + "\n")
    out, reports = tmp_path / "r.jsonl", tmp_path / "reports"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "validator.cli", "batch", "--from", str(listing), "--workers",
         "2", "--output", str(out), "--reports", str(reports), "--no-progress"],
        capture_output=True, text=True, timeout=300, check=False, env=env)
    assert result.returncode == 1, result.stderr  # the collection has broken datasets
    results = {r.target: r for r in load_results(out)}
    assert sorted(results) == sorted(urls)
    for entry, url in zip(entries, urls, strict=True):
        single = validate(url)
        got = results[url]
        assert got.verdict == ("invalid" if entry.broken else "valid") == single.verdict
        assert got.counts == single.counts()
        assert Path(got.report or "").is_file()  # written by the worker process


def test_the_service_runs_a_batch_on_the_cluster(
    cluster: LocalCluster, serve_directory: Callable[..., DataServer], tmp_path: Path,
) -> None:
    entries = write_collection(tmp_path / "data", 6)
    server = serve_directory(tmp_path / "data")
    urls = [server.url_for(e.name) for e in entries]
    settings = settings_for(tmp_path, allowed_hosts=[f"127.0.0.1:{server.port}"],
                            dask_scheduler=cluster.scheduler_address)
    with Client(cluster) as client:
        before = sum(client.run(_tasks_run).values())
    with ServiceThread.create(settings) as service, service.client() as http:
        created = http.post("/v1/batches", json={"urls": urls}).json()
        deadline = time.monotonic() + 120
        while (batch := http.get(created["status_url"]).json())["status"] != "done":
            assert time.monotonic() < deadline
            time.sleep(0.1)
    verdicts = {d["url"]: d["verdict"] for d in batch["datasets"]}
    assert verdicts == {url: validate(url).verdict for url in urls}
    assert verdicts == {server.url_for(e.name): "invalid" if e.broken else "valid"
                        for e in entries}
    with Client(cluster) as client:  # the validations ran on the workers
        assert sum(client.run(_tasks_run).values()) - before >= len(urls)


def _tasks_run(dask_worker: Any) -> int:
    executed: int = dask_worker.state.executed_count
    return executed


async def test_closing_the_results_cancels_the_tasks(
    cluster: LocalCluster, serve_directory: Callable[..., DataServer], tmp_path: Path,
) -> None:
    entries = write_collection(tmp_path / "data", 40, broken_every=0)
    server = serve_directory(tmp_path / "data", delay=0.05)
    results = aiter_validate_many([server.url_for(e.name) for e in entries],
                                  scheduler=cluster.scheduler_address)
    await anext(results)
    await results.aclose()
    deadline = time.monotonic() + 30
    while any(str(key).startswith("ozv-validate") for key in cluster.scheduler.tasks):
        assert time.monotonic() < deadline, "the tasks were not released"
        await asyncio.sleep(0.05)
    started = {path.split("/", 1)[0] for path in server.stats.paths}
    assert len(started) < len(entries)  # the rest never ran


def _break_tasks(broken: bool) -> None:
    """On a worker: make every dataset's task raise (a bug), or undo it."""
    import validator.batch.task as task

    if broken:
        task._saved = task.validate_one  # type: ignore[attr-defined]

        async def crash(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("a bug in a task")

        task.validate_one = crash  # type: ignore[assignment]
    else:
        task.validate_one = task._saved  # type: ignore[attr-defined]


def test_a_failing_task_is_a_result_not_a_crash(
    cluster: LocalCluster, serve_directory: Callable[..., DataServer], tmp_path: Path,
) -> None:
    entries = write_collection(tmp_path / "data", 3)
    server = serve_directory(tmp_path / "data")
    urls = [server.url_for(e.name) for e in entries]
    with Client(cluster) as client:
        client.run(_break_tasks, True)
        try:
            results = validate_many(urls, scheduler=cluster.scheduler_address)
        finally:
            client.run(_break_tasks, False)
    assert sorted(r.target for r in results) == sorted(urls)
    for result in results:
        assert result.verdict == "could-not-validate"
        assert result.error == "the Dask task failed: RuntimeError: a bug in a task"


def test_a_worker_killed_mid_batch_loses_no_dataset(
    cluster: LocalCluster, serve_directory: Callable[..., DataServer], tmp_path: Path,
) -> None:
    entries = write_collection(tmp_path / "data", 24)
    server = serve_directory(tmp_path / "data", delay=0.05)
    urls = [server.url_for(e.name) for e in entries]
    with Client(cluster) as client:
        pids = list(client.run(os.getpid).values())
    killed: list[int] = []

    def kill_one_worker() -> None:
        deadline = time.monotonic() + 120
        while server.stats.requests < 40 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(pids[0], signal.SIGKILL)
        killed.append(pids[0])

    killer = threading.Thread(target=kill_one_worker, daemon=True)
    killer.start()
    results = validate_many(urls, scheduler=cluster.scheduler_address)
    killer.join(10)
    assert killed  # the worker died while the batch ran
    assert sorted(r.target for r in results) == sorted(urls)  # each dataset, exactly once
    for entry, url in zip(entries, urls, strict=True):
        got = next(r for r in results if r.target == url)
        assert got.verdict == ("invalid" if entry.broken else "valid"), got
    # The datasets the dead worker was validating were validated again, elsewhere.
    roots = Counter(path.split("/", 1)[0] for path in server.stats.paths
                    if path.endswith(("/zarr.json", "/.zattrs")) and path.count("/") == 1)
    assert max(roots.values()) > 1
