"""Batches through the service, for real: uvicorn on 127.0.0.1, the real data server, SQLite;
and the page's "several URLs" mode in headless Chromium."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.test_api_support import (
    PUBLIC,
    ServiceProcess,
    ServiceThread,
    settings_for,
    stub_resolver,
)
from tests.test_web import browser, browser_page  # noqa: F401 (fixtures)
from validator import validate
from validator.batch import validate_many
from validator.testing import DataServer
from validator.testing.collection import CollectionEntry, write_collection


@pytest.fixture
def served(serve_directory: Callable[..., DataServer],
           tmp_path: Path) -> tuple[DataServer, list[CollectionEntry]]:
    entries = write_collection(tmp_path / "data", 8)
    return serve_directory(tmp_path / "data"), entries


def wait_done(client: httpx.Client, status_url: str,
              in_progress: list[int] | None = None) -> dict[str, Any]:
    """Poll until the batch is done; ``in_progress`` collects how many of its datasets had
    a job that was not finished, at each poll."""
    deadline = time.monotonic() + 120
    while True:
        batch: dict[str, Any] = client.get(status_url).json()
        if in_progress is not None:
            in_progress.append(sum(d["status"] in ("queued", "running")
                                   for d in batch["datasets"]))
        if batch["status"] == "done":
            return batch
        assert time.monotonic() < deadline, batch
        time.sleep(0.05)


def test_a_batch_through_the_service_gives_the_verdicts_of_the_cli(
    served: tuple[DataServer, list[CollectionEntry]], tmp_path: Path,
) -> None:
    server, entries = served
    urls = [server.url_for(e.name) for e in entries]
    missing = server.url_for("none.ome.zarr")
    settings = settings_for(tmp_path, allowed_hosts=[f"127.0.0.1:{server.port}"],
                            max_jobs_per_client=2, rate_limit=100_000)
    server.delay = 0.05  # slow enough to see datasets in progress
    with ServiceThread.create(settings) as service, service.client() as client:
        response = client.post("/v1/batches", json={"urls": [*urls, missing, urls[0]]})
        assert response.status_code == 202, response.text
        created = response.json()
        assert created["total"] == len(urls) + 1  # the repeated URL once
        assert response.headers["location"] == created["status_url"]
        in_progress: list[int] = []
        batch = wait_done(client, created["status_url"], in_progress)
        # The datasets count against the client's job allowance: two at a time, no more.
        assert max(in_progress) == 2, in_progress
        datasets = {d["url"]: d for d in batch["datasets"]}
        server.delay = 0
        library = {r.target: r for r in validate_many([*urls, missing])}
        for url in urls:
            got = datasets[url]
            assert got["status"] == "done"
            assert got["verdict"] == library[url].verdict == validate(url).verdict
            assert got["counts"] == library[url].counts
            report = client.get(got["report_url"])
            assert report.json()["verdict"] == got["verdict"]
            assert client.get(got["job_url"]).json()["url"] == url
        assert datasets[missing]["verdict"] == "could-not-validate"
        assert datasets[missing]["error"] and datasets[missing]["report_url"] is None
        expected = {"valid": sum(not e.broken for e in entries),
                    "invalid": sum(e.broken for e in entries), "incomplete": 0,
                    "could-not-validate": 1}
        assert batch["verdicts"] == expected and batch["done"] == batch["total"]
        lines = client.get(batch["results_url"], params={"format": "jsonl"})
        assert lines.headers["content-type"].startswith("application/x-ndjson")
        results = [json.loads(line) for line in lines.text.splitlines()]
        assert {r["target"]: r["verdict"] for r in results} == {
            u: d["verdict"] for u, d in datasets.items()}
        table = client.get(batch["results_url"], params={"format": "csv"})
        rows = list(csv.DictReader(io.StringIO(table.text)))
        assert {r["target"]: r["verdict"] for r in rows} == {
            u: d["verdict"] for u, d in datasets.items()}
        assert client.get("/v1/batches/nope").status_code == 404


def test_every_url_of_a_batch_is_vetted_and_limits_hold(tmp_path: Path) -> None:
    resolve, _ = stub_resolver({"public.example": [PUBLIC], "inside.example": ["10.0.0.7"]})
    settings = settings_for(tmp_path, max_batch_urls=3, max_batches_per_client=1)
    with ServiceThread.create(settings, resolve) as service, service.client() as client:
        refused = client.post("/v1/batches", json={"urls": [
            "https://public.example/a.zarr", "http://127.0.0.1:1/b.zarr",
            "https://inside.example/c.zarr"]})
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        assert [r["url"] for r in refused.json()["refused"]] == [
            "http://127.0.0.1:1/b.zarr", "https://inside.example/c.zarr"]
        too_many = client.post("/v1/batches", json={"urls": [
            f"https://public.example/{i}.zarr" for i in range(4)]})
        assert too_many.status_code == 422 and "at most" in too_many.json()["detail"]
        assert client.post("/v1/batches", json={"urls": []}).status_code == 422


@pytest.mark.browser
def test_the_page_lists_each_verdict_of_several_urls(
    browser_page: Any, served: tuple[DataServer, list[CollectionEntry]],  # noqa: F811
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    server, entries = served
    urls = [server.url_for(e.name) for e in entries[:4]]
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    settings = settings_for(tmp_path, allowed_hosts=["127.0.0.1"], rate_limit=100_000)
    with ServiceThread.create(settings) as service:
        page.goto(service.url + "/")
        page.get_by_role("link", name="Several URLs").click()
        page.get_by_label("URLs of the datasets, one per line").fill("\n".join(["# mine", *urls]))
        page.get_by_role("button", name="Validate all").click()
        expect(page.locator("#batch-title")).to_have_text("Batch done")
        for entry, url in zip(entries[:4], urls, strict=True):
            line = page.locator(f'#batch-table tr[data-url="{url}"]')
            expect(line.locator(".badge")).to_have_text("invalid" if entry.broken else "valid")
        assert "batch=" in page.url
        first = page.locator(f'#batch-table tr[data-url="{urls[0]}"]')
        first.get_by_role("link", name="report").click()
        expect(page.locator("#verdict")).to_contain_text("Valid")
    assert errors == []


def test_a_batch_of_a_killed_service_keeps_its_results_and_ends(
    served: tuple[DataServer, list[CollectionEntry]],
    serve_directory: Callable[..., DataServer], tmp_path: Path,
) -> None:
    slow, entries = served
    slow.delay = 1.0  # the second dataset is still running when the service dies
    fast = serve_directory(tmp_path / "data")
    urls = [fast.url_for(entries[0].name), *(slow.url_for(e.name) for e in entries[1:4])]
    env = {"OME_ZARR_VALIDATOR_DATABASE": str(tmp_path / "state" / "jobs.sqlite3"),
           "OME_ZARR_VALIDATOR_ALLOWED_HOSTS": "127.0.0.1",
           "OME_ZARR_VALIDATOR_MAX_JOBS_PER_CLIENT": "1"}
    first = ServiceProcess(env, tmp_path / "first.log").start()
    try:
        with first.client() as client:
            status_url = client.post("/v1/batches", json={"urls": urls}).json()["status_url"]
            path = status_url.split(first.url, 1)[1]
            deadline = time.monotonic() + 60
            while (before := client.get(path).json())["done"] < 1:
                assert time.monotonic() < deadline
                time.sleep(0.02)
        first.kill()
    finally:
        first.stop()
    assert before["status"] == "running" and before["done"] == 1, before
    second = ServiceProcess(env, tmp_path / "second.log").start()
    try:
        with second.client() as client:
            after = client.get(path).json()
    finally:
        second.stop()
    assert after["status"] == "done" and after["done"] == len(urls)
    kept, *lost = after["datasets"]
    assert kept["verdict"] == before["datasets"][0]["verdict"] == "valid"
    for dataset in lost:
        assert dataset["verdict"] == "could-not-validate" and "interrupted" in dataset["error"]
