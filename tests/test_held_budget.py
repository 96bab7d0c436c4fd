"""The memory budget of a walk: bytes of metadata documents held at once
(``Options.max_held_bytes``, the service's ``MAX_HELD_BYTES``). Exceeded, the walk stops into
an incomplete report; documents let go (a well checked) no longer count, so the budget is on
what is held at once, not on what was read (that is ``max_bytes``)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.casekit import plate_tree
from tests.rule_cases import materialize
from tests.test_api_support import ServiceThread, settings_for, wait_for
from validator.model import Report
from validator.options import Options
from validator.stores import open_store
from validator.testing.dataserver import DataServer
from validator.walk import Walk

REASON = "memory budget"


@pytest.fixture(scope="module")
def plate_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DataServer]:
    root = tmp_path_factory.mktemp("held")
    materialize(plate_tree("0.5", rows=4, columns=6), root / "plate.zarr")
    with DataServer(root) as server:
        yield server


def _walk(url: str, **options: object) -> tuple[Report, Walk]:
    opts = Options(concurrency=1, adaptive=False, retries=0, **options)  # type: ignore[arg-type]

    async def run() -> tuple[Report, Walk]:
        store = open_store(url, opts, None)
        walk = Walk(store, opts, url)
        try:
            return await walk.run(), walk
        finally:
            await store.close()

    return asyncio.run(run())


def test_documents_count_while_held_and_not_after(plate_server: DataServer) -> None:
    url = plate_server.url_for("plate.zarr")
    report, walk = _walk(url)
    assert report.complete and report.valid
    peak, read = walk.reader.held_peak, report.stats.bytes
    # One well at a time: what is held at once is the plate and one well's documents, a
    # fraction of the 24 wells' documents read.
    assert 0 < peak < read / 4, (peak, read)
    gc.collect()
    assert walk.reader.held == 0  # every document let go was counted out

    # A budget of the peak (and below what was read) is met: the walk is complete.
    within, _ = _walk(url, max_held_bytes=peak)
    assert within.complete and within.valid
    assert within.to_dict()["counts"] == report.to_dict()["counts"]


def test_an_exceeded_budget_stops_the_walk_into_an_incomplete_report(
        plate_server: DataServer) -> None:
    url = plate_server.url_for("plate.zarr")
    full, walk = _walk(url)
    budget = walk.reader.held_peak - 1
    over, stopped = _walk(url, max_held_bytes=budget)
    assert stopped.reader.held_peak > budget  # stopped by the document that exceeded it
    assert over.truncated and not over.complete
    assert over.verdict == "incomplete" and not over.valid
    assert any(REASON in reason for reason in over.incomplete_reasons), over.incomplete_reasons
    assert over.stats.documents < full.stats.documents
    # The smallest budget stops at the root's first document, still as a report.
    tiny, _ = _walk(url, max_held_bytes=1)
    assert tiny.verdict == "incomplete" and tiny.truncated


def test_budget_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_held_bytes"):
        Options(max_held_bytes=0)


def test_service_setting_makes_a_job_incomplete(plate_server: DataServer,
                                                tmp_path: Path) -> None:
    settings = settings_for(tmp_path, allowed_hosts=[f"127.0.0.1:{plate_server.port}"],
                            max_held_bytes=2000)
    with ServiceThread.create(settings) as service, service.client() as client:
        created = client.post("/v1/jobs", json={"url": plate_server.url_for("plate.zarr")})
        assert created.status_code == 202, created.text
        job = wait_for(client, created.json()["id"])
        assert job["status"] == "done"
        assert job["verdict"] == "incomplete" and job["complete"] is False
        assert job["truncated"] is True
        reasons = job["report"]["incomplete_reasons"]
        assert any(REASON in reason and "2000 bytes" in reason for reason in reasons), reasons
