"""Fair scheduling (issue 14, reproduction 5): one client cannot take every running slot, and a
host that hangs holds only its own request slots.

Two clients are two source addresses on the loopback (127.0.0.1 and 127.0.0.2): the service
tells clients apart by peer address."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from api.jobs.fairness import FairSlots
from tests.casekit import image_tree
from tests.rule_cases import materialize
from tests.test_api_support import ServiceThread, settings_for, wait_for
from validator.testing.dataserver import DataServer

# -- the scheduler alone ------------------------------------------------------------------------


async def test_slots_go_round_robin_and_keep_one_for_newcomers() -> None:
    slots = FairSlots(4)
    order: list[str] = []
    release = asyncio.Event()

    async def job(client: str) -> None:
        async with slots.slot(client):
            order.append(client)
            await release.wait()

    tasks = [asyncio.create_task(job("a")) for _ in range(6)]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert order == ["a", "a", "a"]  # the fourth slot is kept while others might come...
    tasks.append(asyncio.create_task(job("b")))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert order == ["a", "a", "a", "b"]  # ...and a newcomer gets it at once
    tasks += [asyncio.create_task(job("c")), asyncio.create_task(job("b"))]
    await asyncio.sleep(0)
    assert order == ["a", "a", "a", "b"]  # every slot is held
    release.set()
    await asyncio.gather(*tasks)
    # As slots free: c first (nothing running), then in turn, not all of a's first.
    assert order[4] == "c", order
    assert order.count("a") == 6 and order.count("b") == 2 and order.count("c") == 1


async def test_a_single_client_alone_uses_all_slots_but_one() -> None:
    slots = FairSlots(4)
    running = 0
    most = 0

    async def job() -> None:
        nonlocal running, most
        async with slots.slot("a"):
            running += 1
            most = max(most, running)
            await asyncio.sleep(0.01)
            running -= 1

    await asyncio.gather(*(job() for _ in range(9)))
    assert most == 3
    assert slots.free == 4


async def test_a_cancelled_waiter_gives_its_turn_away() -> None:
    slots = FairSlots(1)
    async with slots.slot("a"):
        waiter = asyncio.create_task(slots.slot("b").__aenter__())
        await asyncio.sleep(0)
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
    async with slots.slot("c"):
        assert slots.free == 0
    assert slots.free == 1


# -- through the service ------------------------------------------------------------------------


def _hang(seconds: float) -> Any:
    async def handler(request: web.Request) -> web.StreamResponse:
        deadline = time.monotonic() + seconds
        # Until the client gives up (aiohttp does not cancel handlers of closed connections).
        while time.monotonic() < deadline and request.transport is not None and (
                not request.transport.is_closing()):
            await asyncio.sleep(0.05)
        return web.Response(status=404)

    return handler


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[DataServer, DataServer]]:
    root = tmp_path / "data"
    materialize(image_tree("0.5"), root / "small.zarr")
    materialize(image_tree("0.5"), root / "hanging.zarr")
    with DataServer(root) as slow, DataServer(root) as quick:
        slow.routes["hanging.zarr/0/zarr.json"] = _hang(60)
        slow.routes["hanging.zarr/1/zarr.json"] = _hang(60)
        yield slow, quick


def test_another_clients_small_job_is_not_held_behind_hanging_jobs(
        tmp_path: Path, servers: tuple[DataServer, DataServer]) -> None:
    slow, quick = servers
    settings = settings_for(
        tmp_path, allowed_hosts=[f"127.0.0.1:{slow.port}", f"127.0.0.1:{quick.port}"],
        max_running_jobs=4, max_jobs_per_client=4, request_timeout=30.0, host_in_flight=2,
        job_deadline=120.0)
    with ServiceThread.create(settings) as svc:
        other = httpx.Client(base_url=svc.url, timeout=30, trust_env=False,
                             transport=httpx.HTTPTransport(local_address="127.0.0.2"))
        with svc.client() as greedy, other:
            hanging = [greedy.post("/v1/jobs", json={"url": slow.url_for("hanging.zarr")})
                       for _ in range(4)]
            assert all(r.status_code == 202 for r in hanging), [r.text for r in hanging]
            ids = [r.json()["id"] for r in hanging]
            deadline = time.monotonic() + 20
            while slow.in_flight < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            submitted = time.monotonic()
            small = other.post("/v1/jobs", json={"url": quick.url_for("small.zarr")})
            assert small.status_code == 202, small.text
            job = wait_for(other, small.json()["id"], timeout=20)
            waited = time.monotonic() - submitted
            assert job["status"] == "done" and job["valid"], job
            # The greedy client's jobs still hang, and never had more than the host's share of
            # requests in flight at the slow host, all jobs together.
            states = [greedy.get(f"/v1/jobs/{i}").json()["status"] for i in ids]
            assert "done" not in states, states
            assert slow.stats.max_in_flight <= 2
            for i in ids:
                greedy.delete(f"/v1/jobs/{i}")
    assert waited < 20
