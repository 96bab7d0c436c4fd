"""The hierarchy a job visited: node events from the walk, stored by the job runner, paged by
``GET /v1/jobs/{id}/nodes``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.jobs.repository import SqliteJobRepository, natural_key
from tests.casekit import plate_tree
from tests.rule_cases import materialize
from tests.test_api_support import ServiceThread, is_problem, settings_for, wait_for
from validator import Finding, NodeKind, Progress, Report, aiter_validate, avalidate
from validator.testing.dataserver import DataServer


@pytest.fixture(scope="module")
def plate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("nodes-data")
    materialize(plate_tree("0.5"), root / "plate.ome.zarr")
    return root / "plate.ome.zarr"


@pytest.fixture(scope="module")
def served(plate: Path) -> Iterator[DataServer]:
    with DataServer(plate.parent) as server:
        yield server


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    settings = settings_for(tmp_path_factory.mktemp("nodes-service"),
                            allowed_hosts=["127.0.0.1"], rate_limit=100_000)
    with ServiceThread.create(settings) as service, service.client() as http:
        yield http


def children(client: httpx.Client, job_id: str, parent: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/v1/jobs/{job_id}/nodes", params={"parent": parent, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def listing(body: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(n["path"], n["kind"], n["children"]) for n in body["nodes"]]


async def test_the_walk_tells_every_node_once(plate: Path) -> None:
    seen: list[tuple[str, NodeKind]] = []
    report = await avalidate(str(plate), on_node=lambda path, kind: seen.append((path, kind)))
    assert report.valid
    paths = [path for path, _ in seen]
    assert len(paths) == len(set(paths))  # once each
    kinds = dict(seen)
    assert kinds[""] is NodeKind.PLATE
    assert kinds["A"] is kinds["B"] is NodeKind.GROUP  # row groups: told, not counted
    assert kinds["A/1"] is NodeKind.WELL and kinds["B/2/1"] is NodeKind.IMAGE
    assert kinds["B/2/1/0"] is NodeKind.ARRAY
    counted = Counter(kind for path, kind in seen if path not in ("A", "B"))
    assert dict(counted) == dict(report.nodes)
    assert report.nodes == {"plate": 1, "well": 4, "image": 8, "array": 16}


async def test_aiter_validate_passes_on_node_and_yields_the_same_events(plate: Path) -> None:
    seen: list[str] = []
    events = [e async for e in aiter_validate(str(plate), on_node=lambda p, k: seen.append(p))]
    assert all(isinstance(e, Progress | Finding | Report) for e in events)
    assert isinstance(events[-1], Report) and len(seen) == 31  # 29 counted + 2 row groups


def test_nodes_of_a_finished_job(client: httpx.Client, served: DataServer) -> None:
    created = client.post("/v1/jobs", json={"url": f"{served.url}/plate.ome.zarr"})
    job_id = created.json()["id"]
    assert wait_for(client, job_id)["status"] == "done"
    root = children(client, job_id, "")
    assert root["parent"] == "" and root["total"] == 2
    assert listing(root) == [("A", "group", 2), ("B", "group", 2)]
    assert root["nodes"][0]["name"] == "A"
    assert listing(children(client, job_id, "A")) == [("A/1", "well", 2), ("A/2", "well", 2)]
    well = children(client, job_id, "B/2/")
    assert well["parent"] == "B/2"
    assert listing(well) == [("B/2/0", "image", 2), ("B/2/1", "image", 2)]
    field = children(client, job_id, "B/2/1")
    assert listing(field) == [("B/2/1/0", "array", 0), ("B/2/1/1", "array", 0)]
    assert children(client, job_id, "B/2/1/1") == {"parent": "B/2/1/1", "total": 0, "nodes": []}
    # Paging.
    first = children(client, job_id, "A/1", limit=1)
    second = children(client, job_id, "A/1", limit=1, offset=1)
    assert first["total"] == second["total"] == 2
    assert [listing(first), listing(second)] == [[("A/1/0", "image", 2)],
                                                 [("A/1/1", "image", 2)]]
    assert children(client, job_id, "A/1", offset=5)["nodes"] == []
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}):
        response = client.get(f"/v1/jobs/{job_id}/nodes", params=bad)
        assert response.status_code == 422 and is_problem(response)


def test_nodes_of_an_unknown_job_is_a_404_problem(client: httpx.Client) -> None:
    response = client.get("/v1/jobs/nope/nodes")
    assert response.status_code == 404 and is_problem(response)
    assert response.json()["type"].endswith("/problems/job-not-found")


def test_natural_order() -> None:
    names = ["10", "2", "A10", "a2", "B", "1", "0"]
    assert sorted(names, key=natural_key) == ["0", "1", "2", "10", "a2", "A10", "B"]


async def test_repository_nodes_ancestors_kinds_and_purge(tmp_path: Path) -> None:
    from tests.test_api_jobs import _job

    repo = SqliteJobRepository(tmp_path / "jobs.sqlite3")
    await repo.open()
    try:
        job = _job("me")
        await repo.create(job)
        # A well before its row group (as the walk may tell them), the root (not kept).
        await repo.add_nodes(job.id, [("", "plate"), ("C/10", "well"), ("C/9/0", "image")])
        total, nodes = await repo.list_nodes(job.id, "", offset=0, limit=10)
        assert total == 1 and (nodes[0].path, nodes[0].kind, nodes[0].children) == (
            "C", "group", 2)
        await repo.add_nodes(job.id, [("C/9", "well"), ("C/10", "image")])  # first kind stays
        _, wells = await repo.list_nodes(job.id, "C", offset=0, limit=10)
        assert [(n.path, n.kind) for n in wells] == [("C/9", "well"), ("C/10", "well")]
        await repo.finish(job.id, job.status.DONE, at=1.0, progress=job.progress)
        assert await repo.purge(2.0) == 1
        assert await repo.list_nodes(job.id, "", offset=0, limit=10) == (0, [])
    finally:
        await repo.close()
