"""A small HTTP server for a directory tree, for tests and benchmarks.

:class:`DataServer` serves the files under ``root`` read-only (GET and HEAD, single byte ranges,
read from the file alone) from an aiohttp server on ``127.0.0.1``, in a background thread with
its own event loop, so synchronous tests and other event loops can use it alike::

    with DataServer(root, delay=0.02, max_in_flight=64) as server:
        fetch(f"{server.url}/image.zarr/zarr.json")
        assert server.stats.requests == 1

It never lists directories (a directory is a 404) and never serves anything outside ``root``
(``..``, absolute paths and symlinks leading out are 404s; a path's symlinks are resolved on
its first request and remembered, files themselves are read afresh on every request). It
counts requests, 404s, body bytes sent, the most requests served at once, and every requested
path (:class:`ServerStats`).

Failure behaviours for tests: ``server.routes[path] = handler`` makes ``handler(request)`` (an
``async`` callable returning a :class:`aiohttp.web.StreamResponse`) answer requests for that path
(relative to root, without a leading ``/``) instead of the file. :func:`respond`,
:func:`redirect`, :func:`fail_times`, :func:`drip` and :func:`lying_length` build common ones.

From the command line (prints the URL, serves until interrupted, prints the stats as JSON to
stderr on exit)::

    python -m validator.testing.dataserver ROOT --delay 0.02 --max-in-flight 64 --port 0
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import stat
import sys
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from aiohttp import web

__all__ = [
    "DataServer",
    "Handler",
    "ServerStats",
    "drip",
    "fail_times",
    "lying_length",
    "main",
    "redirect",
    "respond",
]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_JSON_NAMES = frozenset({".zattrs", ".zarray", ".zgroup", ".zmetadata"})
_COMMON_HEADERS = {"Accept-Ranges": "bytes", "Access-Control-Allow-Origin": "*"}


@dataclass(frozen=True)
class ServerStats:
    """A snapshot of a :class:`DataServer`'s counters."""

    requests: int = 0
    """Requests received (including those still waiting for a slot)."""
    not_found: int = 0
    """Responses with status 404."""
    bytes: int = 0
    """Body bytes sent (file bodies, and bodies of custom handlers when known)."""
    max_in_flight: int = 0
    """The most requests being served at the same time."""
    paths: Counter[str] = field(default_factory=Counter)
    """Requested paths, relative to root, without a leading ``/``."""
    statuses: Counter[int] = field(default_factory=Counter)
    methods: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: Counters become plain dicts (status keys as strings)."""
        return {
            "requests": self.requests,
            "not_found": self.not_found,
            "bytes": self.bytes,
            "max_in_flight": self.max_in_flight,
            "paths": dict(self.paths),
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "methods": dict(self.methods),
        }


class _Counters:
    """Thread-safe mutable counters behind :class:`ServerStats`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.in_flight = 0
        self._reset()

    def _reset(self) -> None:
        self.requests = self.not_found = self.bytes = self.max_in_flight = 0
        self.paths: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.methods: Counter[str] = Counter()

    def reset(self) -> None:
        with self._lock:
            self._reset()

    def arrived(self, path: str, method: str) -> None:
        with self._lock:
            self.requests += 1
            self.paths[path] += 1
            self.methods[method] += 1

    def enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self, status: int, nbytes: int) -> None:
        with self._lock:
            self.in_flight -= 1
            self.statuses[status] += 1
            self.not_found += status == 404
            self.bytes += nbytes

    def snapshot(self) -> ServerStats:
        with self._lock:
            return ServerStats(
                requests=self.requests,
                not_found=self.not_found,
                bytes=self.bytes,
                max_in_flight=self.max_in_flight,
                paths=Counter(self.paths),
                statuses=Counter(self.statuses),
                methods=Counter(self.methods),
            )


class DataServer:
    """Serve ``root`` read-only over HTTP on 127.0.0.1 from a background thread.

    ``delay`` (seconds, changeable at any time) is slept before each response; requests overlap
    while they sleep. ``max_in_flight`` caps the requests served at once (the rest queue; setting
    it while running applies to requests arriving afterwards). ``port=0`` picks a free port.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        delay: float = 0.0,
        max_in_flight: int | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
    ) -> None:
        self.root = Path(root).resolve(strict=True)
        if not self.root.is_dir():
            raise NotADirectoryError(self.root)
        self._root_str = str(self.root)
        self._root_prefix = self._root_str.rstrip(os.sep) + os.sep
        self._realpaths: dict[str, str] = {}
        self.delay = delay
        self.host = host
        self.routes: dict[str, Handler] = {}
        self._requested_port = port
        self._port: int | None = None
        self._counters = _Counters()
        self._max_in_flight: int | None = None
        self._limiter: asyncio.Semaphore | None = None
        self.max_in_flight = max_in_flight
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    # -- configuration --------------------------------------------------------------------

    @property
    def max_in_flight(self) -> int | None:
        return self._max_in_flight

    @max_in_flight.setter
    def max_in_flight(self, value: int | None) -> None:
        if value is not None and value < 1:
            raise ValueError("max_in_flight must be >= 1 or None")
        self._max_in_flight = value
        # A fresh semaphore; requests already holding a slot release the old one.
        self._limiter = None if value is None else asyncio.Semaphore(value)

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        if self._port is None:
            raise RuntimeError("server not started")
        return f"http://{self.host}:{self._port}"

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("server not started")
        return self._port

    def url_for(self, path: str) -> str:
        """The URL of ``path`` (relative to root)."""
        return f"{self.url}/{path.lstrip('/')}"

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> DataServer:
        if self._thread is not None:
            raise RuntimeError("server already started")
        self.max_in_flight = self._max_in_flight  # a semaphore for the new loop
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        errors: list[BaseException] = []
        thread = threading.Thread(
            target=self._run, args=(loop, ready, errors), name="DataServer", daemon=True
        )
        thread.start()
        ready.wait()
        if errors:
            thread.join()
            raise errors[0]
        self._loop, self._thread = loop, thread
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        self._loop = self._thread = None
        self._port = None

    def __enter__(self) -> DataServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(
        self, loop: asyncio.AbstractEventLoop, ready: threading.Event, errors: list[BaseException]
    ) -> None:
        asyncio.set_event_loop(loop)
        try:
            try:
                loop.run_until_complete(self._setup())
            except BaseException as exc:
                errors.append(exc)
                return
            finally:
                ready.set()
            loop.run_forever()
            if self._runner is not None:
                loop.run_until_complete(self._runner.cleanup())
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()

    async def _setup(self) -> None:
        app = web.Application(handler_args={"max_field_size": 65536})
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port, backlog=1024)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    # -- stats ----------------------------------------------------------------------------

    @property
    def stats(self) -> ServerStats:
        return self._counters.snapshot()

    @property
    def in_flight(self) -> int:
        """Requests being served right now."""
        return self._counters.in_flight

    def reset_stats(self) -> None:
        self._counters.reset()

    # -- serving --------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        rel = request.match_info["tail"]
        self._counters.arrived(rel, request.method)
        limiter = self._limiter
        async with limiter if limiter is not None else contextlib.nullcontext():
            self._counters.enter()
            status, nbytes = 500, 0
            try:
                if self.delay > 0:
                    await asyncio.sleep(self.delay)
                handler = self.routes.get(rel) or self.routes.get("/" + rel)
                if handler is not None:
                    response = await handler(request)
                elif request.method not in ("GET", "HEAD"):
                    response = web.Response(status=405, headers={"Allow": "GET, HEAD"})
                else:
                    response = self.file_response(request, rel)
                status, nbytes = response.status, _body_size(request, response)
                return response
            finally:
                self._counters.leave(status, nbytes)

    def resolve(self, rel: str) -> Path | None:
        """The regular file under root that ``rel`` names, or None (missing, dir, outside)."""
        full = self._realpath(rel)
        return Path(full) if full is not None and os.path.isfile(full) else None

    def _realpath(self, rel: str) -> str | None:
        """``rel`` resolved (symlinks too) under root, or None if it leads outside root."""
        # realpath costs an lstat per path component: cache it (stat and read are not cached).
        full = self._realpaths.get(rel)
        if full is None:
            full = "" if "\x00" in rel else os.path.realpath(os.path.join(self._root_str, rel))
            if not full.startswith(self._root_prefix):
                full = ""
            if len(self._realpaths) >= 100_000:
                self._realpaths.clear()
            self._realpaths[rel] = full
        return full or None

    def file_response(self, request: web.Request, rel: str) -> web.Response:
        """The normal answer for ``rel``: the file (or a byte range of it), or a 404.

        A range is read from the file alone (a range request into a large archive reads what
        it asks for, not the file); a HEAD reads nothing."""
        full = self._realpath(rel)
        opened = None if full is None else _open_regular_file(full)
        if opened is None:
            return web.Response(status=404, text="not found", headers=_COMMON_HEADERS)
        assert full is not None
        fd, size = opened
        try:
            headers = {**_COMMON_HEADERS, "Content-Type": _content_type(full)}
            status, start, end = 200, 0, size
            range_header = request.headers.get("Range")
            if range_header is not None:
                span = _parse_range(range_header, size)
                if span is False:
                    headers["Content-Range"] = f"bytes */{size}"
                    return web.Response(status=416, headers=headers)
                if span is not None:
                    start, end = span
                    headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
                    status = 206
            if request.method == "HEAD":
                headers["Content-Length"] = str(end - start)
                return web.Response(status=status, headers=headers)
            data = os.pread(fd, end - start, start)
        except OSError:  # unreadable
            return web.Response(status=404, text="not found", headers=_COMMON_HEADERS)
        finally:
            os.close(fd)
        return web.Response(status=status, body=data, headers=headers)


def _open_regular_file(path: str) -> tuple[int, int] | None:
    """``(descriptor, size)`` of a regular file; ``None`` when missing, a directory,
    unreadable."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
    except OSError:
        os.close(fd)
        return None
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        return None
    return fd, info.st_size


def _content_type(path: str) -> str:
    name = path.rpartition(os.sep)[2]
    if name.endswith(".json") or name in _JSON_NAMES:
        return "application/json"
    return "application/octet-stream"


def _parse_range(header: str, size: int) -> tuple[int, int] | Literal[False] | None:
    """One ``bytes=`` range as (start, stop); None to ignore it; False if unsatisfiable."""
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None  # multiple ranges or other units: serve the whole file (allowed)
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    try:
        if first == "":  # suffix range: the last N bytes
            n = int(last)
            return (max(0, size - n), size) if n > 0 and size > 0 else False
        start = int(first)
        stop = size if last == "" else min(size, int(last) + 1)
    except ValueError:
        return None
    if start >= size or stop <= start:
        return False
    return start, stop


def _body_size(request: web.Request, response: web.StreamResponse) -> int:
    if request.method == "HEAD":
        return 0
    if isinstance(response, web.Response):
        body = response.body
        return len(body) if isinstance(body, bytes | bytearray) else 0
    try:
        return int(response.body_length)
    except (AssertionError, AttributeError, TypeError):
        return 0


# -- ready-made handlers for failure tests ----------------------------------------------------


def respond(status: int, body: bytes = b"", headers: Mapping[str, str] | None = None) -> Handler:
    """Always answer ``status`` (e.g. ``respond(429, headers={"Retry-After": "1"})``)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, body=body, headers=dict(headers or {}))

    return handler


def redirect(location: str, status: int = 302) -> Handler:
    """Redirect to ``location`` (absolute URL or a path on this server)."""
    return respond(status, headers={"Location": location})


def fail_times(server: DataServer, times: int, status: int = 503, **kwargs: Any) -> Handler:
    """Answer ``status`` for the first ``times`` requests, then serve the file normally."""
    remaining = [times]
    failure = respond(status, **kwargs)

    async def handler(request: web.Request) -> web.StreamResponse:
        if remaining[0] > 0:
            remaining[0] -= 1
            return await failure(request)
        return server.file_response(request, request.match_info["tail"])

    return handler


def drip(data: bytes, chunk: int = 1, interval: float = 0.05) -> Handler:
    """Send ``data`` slowly: ``chunk`` bytes every ``interval`` seconds."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": str(len(data))})
        await response.prepare(request)
        for i in range(0, len(data), chunk):
            await response.write(data[i : i + chunk])
            await asyncio.sleep(interval)
        await response.write_eof()
        return response

    return handler


def lying_length(data: bytes, claimed: int) -> Handler:
    """Announce ``Content-Length: claimed`` but send ``data`` and close the connection."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": str(claimed)})
        await response.prepare(request)
        await response.write(data)
        if request.transport is not None:
            request.transport.close()
        return response

    return handler


# -- command line -----------------------------------------------------------------------------


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m validator.testing.dataserver",
        description="Serve a directory read-only over HTTP on 127.0.0.1 (tests, benchmarks).",
    )
    parser.add_argument("root", type=Path, help="directory to serve")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each response")
    parser.add_argument("--max-in-flight", type=int, default=None, help="cap on concurrency")
    parser.add_argument("--port", type=int, default=0, help="port (0: a free one)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    server = DataServer(
        args.root, delay=args.delay, max_in_flight=args.max_in_flight, port=args.port
    ).start()
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    print(server.url, flush=True)
    try:
        while not stopped.wait(0.5):
            pass
    finally:
        server.stop()
        stats = server.stats.to_dict()
        print(json.dumps({k: v for k, v in stats.items() if k != "paths"}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
