"""Helpers of the API tests (no tests here): the real app under uvicorn on 127.0.0.1 -- in a
thread (:class:`ServiceThread`) or in a subprocess (:class:`ServiceProcess`) -- a stub DNS
resolver, and a listening socket that counts the connections it accepts."""

from __future__ import annotations

import errno
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from api import serve
from api.app import create_app
from api.settings import Settings
from validator.netsafe import Resolve

ROOT = Path(__file__).resolve().parents[1]
#: An address that stands for "the public internet" in the stub DNS. Nothing is ever sent to
#: it: every test that resolves to it is refused before connecting (or never connects).
PUBLIC = "93.184.216.34"


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings for a test: a private SQLite file, small limits that keep tests fast."""
    values: dict[str, Any] = {
        "database": str(tmp_path / "jobs.sqlite3"),
        "validate_wait": 20.0,
        "request_timeout": 5.0,
        "request_retries": 0,
        "job_deadline": 60.0,
        "heartbeat_interval": 0.5,
    }
    values.update(overrides)
    return Settings(**values)


def stub_resolver(table: Mapping[str, Sequence[str]]) -> tuple[Resolve, list[str]]:
    """A DNS stand-in answering from ``table`` (unknown names: NXDOMAIN) and the list of the
    names it was asked for."""
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        if host in table:
            return list(table[host])
        raise OSError(-2, "Name or service not known")

    return resolve, asked


def _listening_socket(host: str = "127.0.0.1") -> socket.socket:
    # proto=IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on accepted sockets whose proto
    # says TCP; without it every response waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(128)
    return sock


class ServiceThread:
    """``create_app(settings, resolve=...)`` served by uvicorn in a thread of this process."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._sock = _listening_socket()
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        # The production configuration (python -m api.serve): header timeout, connection cap.
        config = serve.config(app, app.state.settings, log_level="warning",
                              timeout_graceful_shutdown=5)
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run,
                                        kwargs={"sockets": [self._sock]}, daemon=True)

    @classmethod
    def create(cls, settings: Settings, resolve: Resolve | None = None) -> ServiceThread:
        """The app with a stub DNS (by default one that knows no name): tests never ask a
        real DNS server anything."""
        if resolve is None:
            resolve, _ = stub_resolver({})
        return cls(create_app(settings, resolve=resolve))

    def start(self) -> ServiceThread:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the service did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(20)
        self._sock.close()

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30.0, trust_env=False, **kwargs)

    def __enter__(self) -> ServiceThread:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class ServiceProcess:
    """``python -m api.serve`` (the production command) in a subprocess, configured through
    the environment, on a listening socket handed over with ``--fd`` (no port race)."""

    def __init__(self, env: Mapping[str, str], log: Path) -> None:
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("OME_ZARR_VALIDATOR_")}
        self.env.update(env)
        self.env["PYTHONPATH"] = str(ROOT) + os.pathsep + self.env.get("PYTHONPATH", "")
        self.log = log
        self._sock = _listening_socket()
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ServiceProcess:
        fd = self._sock.fileno()
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "api.serve", "--fd", str(fd),
                 "--log-level", "warning", "--no-access-log"],
                env=self.env, cwd=ROOT, pass_fds=(fd,), stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        with self.client() as client:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"the service exited: {self.log.read_text()[-2000:]}")
                try:
                    if client.get("/readyz").status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the service did not become ready")
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: the process dies mid-whatever, like a crash or an OOM kill."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._sock.close()

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30.0, trust_env=False)


class CountingListener:
    """A TCP listener that counts the connections it accepts (and closes them at once)."""

    def __init__(self, family: socket.AddressFamily = socket.AF_INET,
                 host: str = "127.0.0.1") -> None:
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, 0))
        self._sock.listen(64)
        self._sock.settimeout(0.05)
        self.port = int(self._sock.getsockname()[1])
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()


def wait_for(client: httpx.Client, job_id: str, *, statuses: Sequence[str] = (
        "done", "failed", "cancelled"), timeout: float = 30.0) -> dict[str, Any]:
    """Poll ``GET /v1/jobs/{id}`` until the job's status is one of ``statuses``."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/v1/jobs/{job_id}")
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["status"] in statuses:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} is still {job['status']}: {job}")
        time.sleep(0.05)


def is_problem(response: httpx.Response, status: int | None = None) -> dict[str, Any]:
    """Assert ``response`` is an RFC 9457 problem (with ``status``) and return it."""
    assert response.headers["content-type"].startswith("application/problem+json"), (
        response.status_code, response.text)
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["type"], str) and body["type"]
    if status is not None:
        assert response.status_code == status, body
    return body


class EgressGuard:
    """Blocks (and records) every socket connection to a non-loopback address made by this
    process while active: a safety net that keeps tests off the network even if the policy
    under test had a bug."""

    def __init__(self) -> None:
        self.blocked: list[Any] = []
        self._saved: tuple[Any, Any] | None = None

    def _check(self, address: Any) -> None:
        if not isinstance(address, tuple) or not address:
            return  # AF_UNIX
        host = str(address[0]).split("%")[0]
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            self.blocked.append(address)
            raise OSError(errno.ENETUNREACH, f"test egress guard: {address!r} is not loopback")

    def __enter__(self) -> EgressGuard:
        real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
        self._saved = (real_connect, real_connect_ex)
        guard = self

        def connect(sock: socket.socket, address: Any) -> None:
            guard._check(address)
            real_connect(sock, address)

        def connect_ex(sock: socket.socket, address: Any) -> int:
            guard._check(address)
            return real_connect_ex(sock, address)

        socket.socket.connect = connect  # type: ignore[method-assign,assignment]
        socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._saved is not None
        socket.socket.connect, socket.socket.connect_ex = self._saved  # type: ignore[method-assign]
