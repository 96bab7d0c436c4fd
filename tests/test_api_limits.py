"""Limits, through the real service: hostile documents and servers give a finding or a truncated
report (never a hang, never a 500), and the service keeps answering meanwhile."""

from __future__ import annotations

import asyncio
import json
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from tests.casekit import image_tree, plate_tree
from tests.rule_cases import materialize
from tests.test_api_support import EgressGuard, ServiceThread, is_problem, settings_for, wait_for
from validator.options import MiB
from validator.testing.dataserver import DataServer, drip, lying_length

ARRAY = "0/zarr.json"


def _array_doc() -> bytes:
    return json.dumps(image_tree("0.5")[ARRAY]).encode()


def _stream(chunks: Callable[[], Iterator[bytes]], headers: dict[str, str] | None = None
            ) -> Callable[[web.Request], Any]:
    """A handler streaming ``chunks()`` without a Content-Length (chunked encoding)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers=headers or {})
        await response.prepare(request)
        try:
            for chunk in chunks():
                await response.write(chunk)
        except (ConnectionError, RuntimeError):
            return response  # the client stopped reading: as it should
        await response.write_eof()
        return response

    return handler


def _gzip_bomb(size: int = 64 * MiB) -> bytes:
    """``size`` bytes of spaces, gzip-compressed (about a thousandth of the size)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b" " * MiB
    parts = [compressor.compress(block) for _ in range(size // MiB)]
    parts.append(compressor.flush())
    return b"".join(parts)


def _huge_plate(wells: int) -> Iterator[bytes]:
    """A plate's zarr.json declaring ``wells`` wells, generated as it is sent."""
    yield b'{"zarr_format": 3, "node_type": "group", "attributes": {"ome": {"version": "0.5", '
    yield b'"plate": {"columns": [{"name": "1"}], "rows": [{"name": "A"}], "wells": ['
    batch = 10_000
    for start in range(0, wells, batch):
        yield b",".join(b'{"path": "A/%d", "rowIndex": 0, "columnIndex": 0}' % i
                        for i in range(start, min(start + batch, wells)))
        if start + batch < wells:
            yield b","
    yield b"]}}}}"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DataServer]:
    root = tmp_path_factory.mktemp("hostile")
    doc = _array_doc()
    for name in ("ok", "oversize", "chunked", "claims-more", "claims-less", "gzip-bomb",
                 "deep", "drip", "slow"):
        materialize(image_tree("0.5"), root / f"{name}.zarr")
    big = json.loads(doc)
    big["attributes"] = {"padding": "x" * (3 * MiB)}
    (root / "oversize.zarr" / ARRAY).write_text(json.dumps(big))
    (root / "deep.zarr" / ARRAY).write_text("[" * 100_000)
    materialize(plate_tree("0.5", rows=8, columns=12), root / "plate.zarr")
    materialize(plate_tree("0.5"), root / "small-plate.zarr")
    server = DataServer(root).start()
    server.routes["chunked.zarr/" + ARRAY] = _stream(lambda: iter([b" " * MiB] * 4 + [doc]))
    server.routes["claims-more.zarr/" + ARRAY] = lying_length(doc, claimed=10 * MiB)
    server.routes["claims-less.zarr/" + ARRAY] = lying_length(doc + b" " * (3 * MiB), 100)
    bomb = _gzip_bomb()
    server.routes["gzip-bomb.zarr/" + ARRAY] = _stream(
        lambda: iter([bomb]), {"Content-Encoding": "gzip", "Content-Type": "application/json"})
    server.routes["drip.zarr/" + ARRAY] = drip(doc, chunk=1, interval=1.0)
    server.routes["million-wells.zarr/zarr.json"] = _stream(lambda: _huge_plate(1_000_000))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def guard() -> Iterator[EgressGuard]:
    with EgressGuard() as g:
        yield g


@pytest.fixture
def start(tmp_path: Path, hostile: DataServer, guard: EgressGuard
          ) -> Iterator[Callable[..., ServiceThread]]:
    started: list[ServiceThread] = []

    def start_service(**overrides: Any) -> ServiceThread:
        values: dict[str, Any] = {"allowed_hosts": [f"127.0.0.1:{hostile.port}"],
                                  "request_timeout": 1.0, "request_retries": 0}
        values.update(overrides)
        svc = ServiceThread.create(settings_for(tmp_path / f"svc{len(started)}", **values))
        started.append(svc.start())
        return svc

    yield start_service
    for svc in started:
        svc.stop()
    assert guard.blocked == []


@pytest.fixture
def client(start: Callable[..., ServiceThread]) -> Iterator[httpx.Client]:
    with start().client() as c:
        yield c


@pytest.mark.parametrize(("name", "rule", "words"), [
    ("oversize", "io.document.too-large", "limit"),
    ("chunked", "io.document.too-large", "limit"),  # no Content-Length at all
    ("claims-more", "io.document.too-large", "limit"),  # Content-Length: 10 MiB, a small body
    ("claims-less", "io.document.invalid-json", ""),  # Content-Length: 100, then 3 MiB
    ("gzip-bomb", "io.document.too-large", "limit"),  # 64 MiB once decompressed
    ("deep", "io.document.too-deep", "deeper"),  # "[" nested 100,000 deep
    ("drip", "io.document.unreadable", "timed out"),  # one byte per second
])
def test_hostile_document_is_a_finding(name: str, rule: str, words: str,
                                       client: httpx.Client, hostile: DataServer) -> None:
    started = time.monotonic()
    response = client.post("/v1/validate", json={"url": hostile.url_for(f"{name}.zarr")})
    assert response.status_code == 200, response.text
    report = response.json()
    findings = [f for f in report["findings"] if f["node"] == "0" and f["rule"] == rule]
    assert findings, report["findings"]
    assert words in findings[0]["message"]
    assert not report["valid"]
    assert report["stats"]["bytes"] <= 3 * 2 * MiB  # reading stopped at the cap
    assert time.monotonic() - started < 10


def test_a_plate_declaring_a_million_wells(client: httpx.Client, hostile: DataServer) -> None:
    """Its metadata alone is ~45 MB: reading stops at the 2 MiB cap, at once, and the report
    says so -- a finding on the root and a truncated report, not a refusal."""
    started = time.monotonic()
    response = client.post("/v1/validate",
                           json={"url": hostile.url_for("million-wells.zarr")})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["truncated"] is True and report["valid"] is False
    assert [(f["rule"], f["node"]) for f in report["findings"]] == [
        ("io.document.too-large", "")]
    assert "larger than the limit" in report["findings"][0]["message"]
    assert time.monotonic() - started < 10


def test_document_budget_never_gives_a_500(start: Callable[..., ServiceThread],
                                           hostile: DataServer) -> None:
    with start(max_documents=40).client() as c:
        response = c.post("/v1/validate", json={"url": hostile.url_for("plate.zarr")})
        assert response.status_code in (200, 422), response.text
        if response.status_code == 422:
            assert "40 documents" in is_problem(response)["detail"]


def test_document_budget_gives_a_truncated_report(start: Callable[..., ServiceThread],
                                                  hostile: DataServer) -> None:
    with start(max_documents=40).client() as c:
        response = c.post("/v1/validate", json={"url": hostile.url_for("plate.zarr")})
        assert response.status_code == 200, response.text
        report = response.json()
        assert report["truncated"] is True
        assert any("40 documents" in line for line in report["skipped"])
        assert report["stats"]["documents"] <= 40
        # A budget leaves the report incomplete: never valid, whatever was found so far.
        assert report["complete"] is False and report["valid"] is False
        assert any("40 documents" in r for r in report["incomplete_reasons"])


def test_deadline_truncates_and_the_service_keeps_answering(
    start: Callable[..., ServiceThread], hostile: DataServer,
) -> None:
    svc = start(job_deadline=2.0, request_timeout=30.0)
    with svc.client() as c:
        created = c.post("/v1/jobs", json={"url": hostile.url_for("drip.zarr")})
        assert created.status_code == 202
        job_id = created.json()["id"]
        wait_for(c, job_id, statuses=["running"])
        # While the job waits on a server sending one byte a second, the service answers.
        for _ in range(5):
            before = time.monotonic()
            assert c.get("/healthz").status_code == 200
            assert time.monotonic() - before < 0.5
        before = time.monotonic()
        other = c.post("/v1/validate", json={"url": hostile.url_for("ok.zarr")})
        assert other.status_code == 200 and other.json()["valid"], other.text
        assert time.monotonic() - before < 2.0
        job = wait_for(c, job_id, timeout=15)
        assert c.get(f"/v1/jobs/{job_id}").json()["status"] == "done"
        assert job["truncated"] is True
        assert (job["complete"], job["valid"], job["verdict"]) == (False, False, "incomplete")
        report = job["report"]
        assert report["truncated"] is True
        assert any("deadline" in line for line in report["skipped"]), report["skipped"]
        assert report["complete"] is False and report["verdict"] == "incomplete"
        assert any("deadline" in r for r in report["incomplete_reasons"])


def test_requests_in_flight_per_host_are_capped(start: Callable[..., ServiceThread],
                                                hostile: DataServer) -> None:
    hostile.delay = 0.02
    hostile.reset_stats()
    try:
        with start(host_concurrency=3).client() as c:
            response = c.post("/v1/validate",
                              json={"url": hostile.url_for("small-plate.zarr")})
            assert response.status_code == 200, response.text
        assert 2 <= hostile.stats.max_in_flight <= 3
    finally:
        hostile.delay = 0.0


async def test_many_jobs_at_once_stay_responsive(start: Callable[..., ServiceThread],
                                                 hostile: DataServer) -> None:
    svc = start(max_running_jobs=4, max_jobs_per_client=50, max_queued_jobs=50)
    async with httpx.AsyncClient(base_url=svc.url, timeout=30, trust_env=False) as c:
        url = hostile.url_for("small-plate.zarr")
        jobs = await asyncio.gather(*(c.post("/v1/jobs", json={"url": url}) for _ in range(12)))
        assert all(r.status_code == 202 for r in jobs)
        before = time.monotonic()
        assert (await c.get("/healthz")).status_code == 200
        assert time.monotonic() - before < 0.5
        for r in jobs:
            for _ in range(400):
                job = (await c.get(f"/v1/jobs/{r.json()['id']}",
                                   params={"include_report": "false"})).json()
                if job["status"] == "done":
                    break
                await asyncio.sleep(0.05)
            assert job["status"] == "done" and job["valid"] is True, job
