"""``python -m bench batch``: a collection of small datasets, in-process and on Dask.

200 metadata-only datasets (``validator.testing.collection``: images and 2x2-well plates,
NGFF 0.4 and 0.5, every fifth from the third broken) served at 20 ms per request; the CLI runs
``ome-zarr-validate batch --from urls.txt --output r.jsonl`` as a child process, in-process
and on a LocalCluster of 1 and 2 worker processes. For each: wall time (fork to exit, cluster
start-up included), datasets per second, requests (counted by the server), the most requests
in flight at the server, peak RSS of the whole process tree (sampled every 50 ms: a cluster's
workers are separate processes), CPU time of the tree, and how many verdicts match what the
collection was built to be. A run over a single dataset measures the fixed cost (interpreter,
cluster start-up), so that the rate per worker excludes it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import CACHE
from validator.batch.output import load_results
from validator.testing.collection import CollectionEntry, write_collection
from validator.testing.dataserver import DataServer

COUNT = 200
DELAY = 0.02
ENGINES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("in-process", ()),
    ("LocalCluster, 1 worker", ("--workers", "1")),
    ("LocalCluster, 2 workers", ("--workers", "2")),
)


@dataclass
class TreeRun:
    seconds: float
    status: int
    peak_rss_mb: float  # the most the process tree held at once (sum over its processes)
    processes: int  # the most processes in the tree at once
    cpu_seconds: float  # user + system of the child and the descendants it waited for


def run_tree(argv: list[str], env: dict[str, str]) -> TreeRun:
    """Run ``argv``; wall time, and peak RSS summed over the child and its descendants."""
    import psutil

    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    peak = [0.0, 0]
    done = threading.Event()

    def sample() -> None:
        root = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
                rss = 0
                for p in tree:
                    with contextlib.suppress(psutil.Error):
                        rss += p.memory_info().rss
                peak[0] = max(peak[0], rss / 2**20)
                peak[1] = max(peak[1], len(tree))
            except psutil.Error:
                return
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, raw, usage = os.wait4(proc.pid, 0)  # the workers a LocalCluster spawns are reaped
    seconds = time.perf_counter() - started  # by the child: their CPU time is in usage
    proc.returncode = status = os.waitstatus_to_exitcode(raw)
    done.set()
    sampler.join()
    return TreeRun(seconds, status, peak[0], int(peak[1]), usage.ru_utime + usage.ru_stime)


def collection(count: int) -> tuple[Path, list[CollectionEntry]]:
    root = CACHE / f"batch-{count}"
    partial = CACHE / f".batch-{count}.partial"
    if partial.exists():
        shutil.rmtree(partial)
    entries = write_collection(partial, count)
    if not root.exists():  # written once; the entries are deterministic
        partial.rename(root)
    else:
        shutil.rmtree(partial)
    return root, entries


def measure(count: int = COUNT, delay: float = DELAY) -> list[dict[str, Any]]:
    root, entries = collection(count)
    expected = {e.name: ("invalid" if e.broken else "valid") for e in entries}
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    rows: list[dict[str, Any]] = []
    with DataServer(root, delay=delay) as server, tempfile.TemporaryDirectory() as tmp:
        urls = [server.url_for(e.name) for e in entries]
        listing = Path(tmp) / "urls.txt"
        listing.write_text("\n".join(urls) + "\n")
        one = Path(tmp) / "one.txt"
        one.write_text(urls[0] + "\n")
        for label, extra in ENGINES:
            base = [sys.executable, "-m", "validator.cli", "batch", "--no-progress", *extra]
            fixed = run_tree([*base, "--from", str(one), "--output", str(Path(tmp) / "1.jsonl")],
                             env)
            server.reset_stats()
            out = Path(tmp) / "r.jsonl"
            run = run_tree([*base, "--from", str(listing), "--output", str(out)], env)
            stats = server.stats
            results = load_results(out)
            right = sum(expected.get(r.target.rsplit("/", 1)[-1]) == r.verdict for r in results)
            work = max(run.seconds - fixed.seconds, 1e-9)
            rows.append({
                "engine": label, "datasets": count, "seconds": round(run.seconds, 2),
                "fixed_seconds": round(fixed.seconds, 2),
                "datasets_per_s": round(count / run.seconds, 1),
                "datasets_per_s_after_startup": round(count / work, 1),
                "cpu_seconds": round(run.cpu_seconds, 2),
                "cpu_ms_per_dataset": round(
                    1000 * (run.cpu_seconds - fixed.cpu_seconds) / max(count - 1, 1), 1),
                "requests": stats.requests,
                "requests_per_dataset": round(stats.requests / count, 1),
                "max_in_flight": stats.max_in_flight, "peak_rss_mb": round(run.peak_rss_mb),
                "processes": run.processes, "right_verdicts": right, "exit": run.status,
            })
    return rows
