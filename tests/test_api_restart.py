"""Restarts: the service (``uvicorn api.app:app`` in a subprocess, configured by environment)
is killed mid-job and started again on the same SQLite file. Unfinished jobs show a terminal
status (failed, interrupted), finished reports are still served."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.casekit import image_tree, plate_tree
from tests.rule_cases import materialize
from tests.test_api_support import ServiceProcess, wait_for
from validator.testing.dataserver import DataServer


@pytest.fixture
def data(tmp_path: Path) -> Iterator[DataServer]:
    materialize(image_tree("0.5"), tmp_path / "data" / "image.zarr")
    materialize(plate_tree("0.5", rows=4, columns=6), tmp_path / "data" / "plate.zarr")
    with DataServer(tmp_path / "data") as server:
        yield server


def _env(tmp_path: Path, data: DataServer, **extra: str) -> dict[str, str]:
    env = {
        "OME_ZARR_VALIDATOR_DATABASE": str(tmp_path / "state" / "jobs.sqlite3"),
        "OME_ZARR_VALIDATOR_ALLOWED_HOSTS": f"127.0.0.1:{data.port}",
        "OME_ZARR_VALIDATOR_MAX_RUNNING_JOBS": "1",
        "OME_ZARR_VALIDATOR_HOST_CONCURRENCY": "2",
    }
    env.update(extra)
    return env


def test_killed_mid_job_then_restarted(tmp_path: Path, data: DataServer) -> None:
    first = ServiceProcess(_env(tmp_path, data), tmp_path / "first.log").start()
    try:
        with first.client() as c:
            finished = c.post("/v1/validate", json={"url": data.url_for("image.zarr")})
            assert finished.status_code == 200, finished.text
            done_id = finished.headers["content-location"].rsplit("/", 1)[1]
            report = finished.json()

            data.delay = 0.3
            running_id = c.post("/v1/jobs", json={"url": data.url_for("plate.zarr")}).json()["id"]
            queued_id = c.post("/v1/jobs", json={"url": data.url_for("plate.zarr")}).json()["id"]
            running = wait_for(c, running_id, statuses=["running"])
            deadline = time.monotonic() + 10
            while running["progress"]["documents"] < 1 and time.monotonic() < deadline:
                time.sleep(0.05)
                running = c.get(f"/v1/jobs/{running_id}").json()
            assert running["status"] == "running" and running["progress"]["documents"] >= 1
            assert c.get(f"/v1/jobs/{queued_id}").json()["status"] == "queued"
        first.kill()
    finally:
        first.stop()
        data.delay = 0.0

    second = ServiceProcess(_env(tmp_path, data), tmp_path / "second.log").start()
    try:
        with second.client() as c:
            for job_id, was in ((running_id, "running"), (queued_id, "queued")):
                job = c.get(f"/v1/jobs/{job_id}").json()
                assert job["status"] == "failed", job
                assert job["error_type"] == "interrupted"
                assert f"while the job was {was}" in job["error"]
                assert job["finished_at"] is not None
            kept = c.get(f"/v1/jobs/{done_id}").json()
            assert kept["status"] == "done"
            assert kept["report"] == report
            assert c.get(f"/v1/jobs/{done_id}/report").json() == report
            text = c.get(f"/v1/jobs/{done_id}/report", params={"format": "text"})
            assert text.status_code == 200 and "VALID" in text.text
            # And it works as before.
            again = c.post("/v1/validate", json={"url": data.url_for("image.zarr")})
            assert again.status_code == 200
    finally:
        second.stop()


def test_graceful_stop_marks_running_jobs_interrupted(tmp_path: Path, data: DataServer) -> None:
    service = ServiceProcess(_env(tmp_path, data), tmp_path / "service.log").start()
    data.delay = 0.3
    try:
        with service.client() as c:
            job_id = c.post("/v1/jobs", json={"url": data.url_for("plate.zarr")}).json()["id"]
            wait_for(c, job_id, statuses=["running"])
        started = time.monotonic()
        service.stop()  # SIGTERM
        assert time.monotonic() - started < 10
        # uvicorn shuts down cleanly, then re-raises the signal it caught.
        assert service.proc is not None and service.proc.returncode in (0, -15)
    finally:
        service.stop()
        data.delay = 0.0
    # The stopping process itself recorded the outcome: nothing left "running" in the file.
    with sqlite3.connect(tmp_path / "state" / "jobs.sqlite3") as db:
        status, error_type = db.execute("SELECT status, error_type FROM jobs WHERE id = ?",
                                        (job_id,)).fetchone()
    assert (status, error_type) == ("failed", "interrupted")
