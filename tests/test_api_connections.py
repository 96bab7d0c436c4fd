"""Connection hygiene of ``python -m api.serve`` (issue 14, reproduction 4: 2,000 half-open
requests all stayed open after 40 s, and under a 1024-descriptor limit /healthz timed out).

The service runs with the production configuration (:func:`api.serve.config`) and a short
header timeout; half-open requests are raw sockets that send part of a request head."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.serve import config
from api.settings import Settings
from tests.test_api_support import ServiceThread, settings_for


@pytest.fixture
def service(tmp_path: Path) -> Iterator[ServiceThread]:
    with ServiceThread.create(settings_for(tmp_path, header_timeout=1.0, max_connections=40)
                              ) as svc:
        yield svc


def _half_open(port: int, n: int) -> list[socket.socket]:
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # no blank line: the head never ends
        socks.append(s)
    return socks


def _closed(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1024) == b""
    except ConnectionError:
        return True


def _wait_closed(socks: list[socket.socket], seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while True:
        closed = sum(_closed(s) for s in socks)
        if closed == len(socks) or time.monotonic() > deadline:
            return closed
        time.sleep(0.05)


def test_half_open_requests_are_closed_and_health_answers(service: ServiceThread) -> None:
    socks = _half_open(service.port, 200)
    try:
        # Beyond the cap of 40, connections are closed at once; the rest at the header timeout.
        assert _wait_closed(socks, 10.0) == len(socks)
        response = httpx.get(f"{service.url}/healthz", timeout=5)
        assert response.status_code == 200
    finally:
        for s in socks:
            s.close()


def test_a_slow_head_is_cut_but_a_prompt_one_is_served(service: ServiceThread) -> None:
    slow = socket.create_connection(("127.0.0.1", service.port))
    try:
        for part in (b"GET /healthz HTTP/1.1\r\n", b"Host: x\r\n"):
            slow.sendall(part)  # a byte now and then keeps nothing open
            time.sleep(0.6)
        assert _wait_closed([slow], 5.0) == 1
    finally:
        slow.close()
    with socket.create_connection(("127.0.0.1", service.port)) as fast:
        fast.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert fast.recv(1024).startswith(b"HTTP/1.1 200")


def test_no_proxy_is_trusted_by_default() -> None:
    """uvicorn trusts X-Forwarded-For from 127.0.0.1 unless told otherwise: the per-client
    limits could then be dodged by anything on the loopback."""
    cfg = config("api.app:app", Settings())
    assert cfg.proxy_headers is False
    assert cfg.forwarded_allow_ips in ("", [])
    behind = config("api.app:app", Settings(forwarded_allow_ips="10.0.0.5"))
    assert behind.proxy_headers is True and behind.forwarded_allow_ips == "10.0.0.5"


def test_forwarded_for_does_not_change_the_client(tmp_path: Path) -> None:
    with ServiceThread.create(settings_for(tmp_path, rate_limit=2, rate_window=3600)) as svc, \
            svc.client() as client:
        statuses = [client.get("/v1/versions",
                               headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
                    for i in range(4)]
    assert statuses[:2] == [200, 200] and statuses[2:] == [429, 429], statuses
