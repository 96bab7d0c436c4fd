"""Node details: what the walk read at each node (its metadata documents, an array's
properties), handed to ``on_node_detail`` at no extra request, kept per job by the service and
served by ``GET /v1/jobs/{id}/node``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.jobs.models import Job, JobProgress, JobStatus
from api.jobs.repository import SqliteJobRepository
from api.jobs.runner import MAX_NODE_DETAIL_CHARS, node_detail_json
from tests.casekit import plate_tree
from tests.rule_cases import materialize
from tests.test_api_support import ServiceThread, is_problem, settings_for, wait_for
from validator import NodeKind, avalidate
from validator.nodeinfo import NodeDetail, array_detail
from validator.testing.dataserver import DataServer


@pytest.fixture(scope="module")
def plates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("details-data")
    return {v: materialize(plate_tree(v), root / f"plate-{v}.ome.zarr") for v in ("0.4", "0.5")}


@pytest.mark.parametrize("version", ["0.4", "0.5"])
async def test_every_node_comes_with_the_documents_read_there(
    plates: dict[str, Path], version: str
) -> None:
    details: dict[str, NodeDetail] = {}
    plain = await avalidate(str(plates[version]))
    report = await avalidate(str(plates[version]),
                             on_node_detail=lambda d: details.setdefault(d.path, d))
    assert report.stats.requests == plain.stats.requests  # nothing fetched for the details
    assert len(details) == sum(report.nodes.values()) + 2  # + the two row groups
    root, row, well, array = details[""], details["A"], details["A/1"], details["B/2/1/0"]
    assert root.kind is NodeKind.PLATE and well.kind is NodeKind.WELL
    assert row.kind is NodeKind.GROUP and array.kind is NodeKind.ARRAY
    if version == "0.5":
        assert set(root.documents) == {"zarr.json"}
        assert root.documents["zarr.json"]["attributes"]["ome"]["plate"]["name"] == "plate"
        assert set(row.documents) == {"zarr.json"} and set(array.documents) == {"zarr.json"}
    else:
        assert set(root.documents) == {".zgroup", ".zattrs"}
        assert root.documents[".zattrs"]["plate"]["name"] == "plate"
        assert set(row.documents) == {".zgroup"} and set(array.documents) == {".zarray"}
    assert array.array is not None and root.array is None
    (document,) = array.documents.values()
    assert array.array.shape == document["shape"]
    assert array.array.zarr_format == (3 if version == "0.5" else 2)
    json.dumps([d.to_dict() for d in details.values()])  # JSON all the way


def test_array_detail_reads_sharding_and_v2_codecs() -> None:
    sharded = array_detail(3, {
        "shape": [10, 2048, 2048], "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [1, 1024, 1024]}},
        "codecs": [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [1, 256, 256],
            "codecs": [{"name": "bytes"}, {"name": "zstd", "configuration": {"level": 3}}],
            "index_codecs": [{"name": "bytes"}, {"name": "crc32c"}]}}],
        "dimension_names": ["z", "y", "x"], "fill_value": 0,
    })
    assert sharded.shards == [1, 1024, 1024] and sharded.chunks == [1, 256, 256]
    assert sharded.codecs == ["sharding_indexed", "bytes", "zstd"]
    assert sharded.dimension_names == ["z", "y", "x"] and sharded.data_type == "uint16"
    v2 = array_detail(2, {"shape": [4, 4], "chunks": [2, 2], "dtype": "<f4", "fill_value": "NaN",
                          "filters": [{"id": "delta", "dtype": "<f4"}],
                          "compressor": {"id": "blosc", "cname": "lz4"}})
    assert v2.codecs == ["delta", "blosc"] and v2.shards is None and v2.data_type == "<f4"
    broken = array_detail(3, {"shape": "big", "chunk_grid": 7, "codecs": {"name": "x"}})
    assert broken.shape is None and broken.chunks is None and broken.codecs == []


def test_the_kept_detail_is_json_and_bounded() -> None:
    nan = NodeDetail("a", NodeKind.ARRAY, {".zarray": {"fill_value": float("nan")}})
    assert json.loads(node_detail_json(nan))["documents"][".zarray"]["fill_value"] == "NaN"
    huge = NodeDetail("", NodeKind.PLATE, {"zarr.json": {"x": "y" * MAX_NODE_DETAIL_CHARS}})
    kept = json.loads(node_detail_json(huge))
    assert kept["documents"] == {} and "larger than the service keeps" in kept["omitted"]


@pytest.fixture(scope="module")
def served(plates: dict[str, Path]) -> Iterator[DataServer]:
    with DataServer(plates["0.5"].parent) as server:
        yield server


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    settings = settings_for(tmp_path_factory.mktemp("details-service"),
                            allowed_hosts=["127.0.0.1"], rate_limit=100_000)
    with ServiceThread.create(settings) as service, service.client() as http:
        yield http


def test_a_jobs_node_details_are_served_without_fetching(client: httpx.Client,
                                                         served: DataServer) -> None:
    created = client.post("/v1/jobs", json={"url": f"{served.url}/plate-0.5.ome.zarr"})
    job_id = created.json()["id"]
    assert wait_for(client, job_id)["status"] == "done"
    requests = served.stats.requests
    root: dict[str, Any] = client.get(f"/v1/jobs/{job_id}/node").json()
    assert root["kind"] == "plate" and root["array"] is None
    assert root["documents"]["zarr.json"]["attributes"]["ome"]["plate"]["rows"][0] == {
        "name": "A"}
    array = client.get(f"/v1/jobs/{job_id}/node", params={"path": "/B/2/1/0/"}).json()
    assert array["kind"] == "array" and array["path"] == "B/2/1/0"
    assert array["array"]["shape"] == array["documents"]["zarr.json"]["shape"]
    assert array["array"]["zarr_format"] == 3
    assert served.stats.requests == requests  # answered from what the job kept
    missing = client.get(f"/v1/jobs/{job_id}/node", params={"path": "Z/9"})
    assert is_problem(missing, 404)["type"] == "/problems/node-not-found"
    assert client.delete(f"/v1/jobs/{job_id}").status_code == 204
    gone = client.get(f"/v1/jobs/{job_id}/node", params={"path": "B/2/1/0"})
    assert is_problem(gone, 404)["type"] == "/problems/job-not-found"


async def test_purge_and_delete_drop_the_details(tmp_path: Path) -> None:
    repo = SqliteJobRepository(tmp_path / "jobs.sqlite3")
    await repo.open()
    try:
        jobs = [Job(id=Job.new_id(), url="https://example.org/x.zarr", ngff_version=None,
                    strict=False, client="me", owner="o") for _ in range(3)]
        for job in jobs:
            await repo.create(job)
            await repo.add_node_details(job.id, [("", "plate", '{"kind": "plate"}'),
                                                 ("A/1", "well", '{"kind": "well"}')])
        assert await repo.get_node_detail(jobs[0].id, "/A/1/") == ("well", '{"kind": "well"}')
        old, gone, running = jobs
        await repo.finish(old.id, JobStatus.DONE, at=100.0, progress=JobProgress())
        await repo.finish(gone.id, JobStatus.DONE, at=900.0, progress=JobProgress())
        assert await repo.purge(500.0) == 1
        assert await repo.get_node_detail(old.id, "") is None
        assert not await repo.delete(running.id)  # unfinished: left alone
        assert await repo.get_node_detail(running.id, "") is not None
        assert await repo.delete(gone.id)
        assert await repo.get(gone.id) is None and await repo.get_node_detail(gone.id, "") is None
        assert not await repo.delete(gone.id)
    finally:
        await repo.close()
