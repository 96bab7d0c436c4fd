"""A fault-injecting HTTP server for the standing fault suite (``tests/test_faults.py``).

:func:`fault_server` serves, on 127.0.0.1, one small dataset per fault (``<name>.zarr``) and
injects the fault where it says: server errors, ``Retry-After``, connection resets before and
after the first byte, truncated bodies, HTML and garbage, invalid UTF-8, a drip, redirect loops
and chains, a gzip bomb, huge and deep documents, a 100k-well plate, hostile paths and dtypes,
JSON that is not JSON, and a token that must be on every request.

:data:`FAULTS` says what each must give: a finding of a rule (on a node), a valid report
(the fault was transient, nothing may be lost), or "could not validate" (exit 2 / 422).
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.casekit import image_tree, ome_of
from tests.rule_cases import materialize
from validator.testing.dataserver import DataServer, Handler, drip, lying_length, redirect, respond
from validator.testing.plates import plate_document

MiB = 1024 * 1024
ARRAY = "0/zarr.json"
TOKEN = "s3cret"


@dataclass(frozen=True)
class Fault:
    """What a fault must give: ``rule`` on ``node`` (a finding), ``valid`` (a transient fault:
    the report is the clean one), or ``refused`` (could not validate)."""

    rule: str | None = None
    node: str = "0"
    words: str = ""
    valid: bool = False
    refused: bool = False
    query: str = ""  # appended to the dataset URL
    incomplete: bool = False  # a deadline stops the walk: an incomplete report, in time


FAULTS: dict[str, Fault] = {
    "server-error": Fault("io.document.unreadable", words="HTTP 500"),
    "retry-after": Fault(valid=True),
    "reset-before-body": Fault(valid=True),
    "reset-mid-body": Fault("io.document.unreadable", words="cut off"),
    "truncated": Fault("io.document.unreadable", words="cut off"),
    "html": Fault("io.document.invalid-json"),
    "garbage": Fault("io.document.invalid-json"),
    "invalid-utf8": Fault("io.document.invalid-json", words="not UTF-8"),
    "drip": Fault("io.document.unreadable", words="timed out"),
    "redirect-loop": Fault("io.document.unreadable", words="redirects"),
    "redirect-chain": Fault(valid=True),
    "gzip-bomb": Fault("io.document.too-large", words="limit"),
    "huge": Fault("io.document.too-large", words="limit"),
    "deep": Fault("io.document.too-deep", words="deeper"),
    # 100k wells are 100k requests: the suite gives it a 5 s deadline (see test_faults.py).
    "plate-100k": Fault(incomplete=True),
    "hostile-paths": Fault("hierarchy.path.escapes-root", node=""),
    "hostile-dtype": Fault("array.dtype.valid"),
    "long-dtype": Fault("array.dtype.valid"),
    "duplicate-keys": Fault("io.document.invalid-json", words="appears twice"),
    # The root unreadable: nothing to validate, and the message says why.
    # A malformed root is a defect of the dataset: a finding at the root, not a refusal.
    "duplicate-keys-root": Fault("io.document.invalid-json", node="",
                                 words="the key 'ome' appears twice"),
    "nan-literal": Fault("io.document.invalid-json", words="NaN literal at"),
    "token": Fault(valid=True, query=f"?token={TOKEN}"),
    "no-root": Fault(refused=True, words="404 Not Found"),
}


def gzip_bomb(size: int = 64 * MiB) -> bytes:
    """``size`` bytes of spaces, gzip-compressed (about a thousandth of the size)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b" " * MiB
    return b"".join([compressor.compress(block) for _ in range(size // MiB)]
                    + [compressor.flush()])


def _reset_first(server: DataServer, times: int) -> Handler:
    """Drop the connection before answering, ``times`` times; then serve the file."""
    remaining = [times]

    async def handler(request: web.Request) -> web.StreamResponse:
        if remaining[0] > 0 and request.transport is not None:
            remaining[0] -= 1
            request.transport.abort()
            return web.Response()
        return server.file_response(request, request.match_info["tail"])

    return handler


def _reset_mid_body(data: bytes) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": str(len(data))})
        await response.prepare(request)
        await response.write(data[: len(data) // 2])
        await asyncio.sleep(0.05)
        if request.transport is not None:
            request.transport.abort()
        return response

    return handler


def _once_429(server: DataServer) -> Handler:
    remaining = [1]

    async def handler(request: web.Request) -> web.StreamResponse:
        if remaining[0] > 0:
            remaining[0] -= 1
            return web.Response(status=429, headers={"Retry-After": "1"})
        return server.file_response(request, request.match_info["tail"])

    return handler


def _token_required(server: DataServer) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        if request.query.get("token") != TOKEN:
            return web.Response(status=403)
        return server.file_response(request, request.match_info["tail"])

    return handler


def _gzip(body: bytes) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(body=body, headers={"Content-Encoding": "gzip",
                                                "Content-Type": "application/json"})

    return handler


def _write(root: Path, name: str, tree: dict[str, Any]) -> None:
    materialize(tree, root / f"{name}.zarr")


def fault_server(root: Path) -> DataServer:
    """Write the datasets under ``root`` and start a server with the faults (stop it after)."""
    for name in FAULTS:
        if name not in ("plate-100k", "hostile-paths", "hostile-dtype", "long-dtype",
                        "no-root", "duplicate-keys-root"):
            _write(root, name, image_tree("0.5"))
    (root / "plate-100k.zarr").mkdir()
    (root / "plate-100k.zarr" / "zarr.json").write_bytes(plate_document("0.5", 100_000))
    hostile = image_tree("0.5")
    datasets = ome_of(hostile, "", "0.5")["multiscales"][0]["datasets"]
    for level, path in zip(datasets, ["../../etc", "%2e%2e/x"], strict=False):
        level["path"] = path
    _write(root, "hostile-paths", hostile)
    for name, dtype in (("hostile-dtype", "<u\u00b2"), ("long-dtype", "<f" + "9" * 5000)):
        tree = image_tree("0.4")
        for key, doc in tree.items():
            if key.endswith(".zarray"):
                doc["dtype"] = dtype
        _write(root, name, tree)
    (root / "no-root.zarr").mkdir()
    doc = json.dumps(image_tree("0.5")[ARRAY]).encode()
    huge = json.loads(doc)
    huge["attributes"] = {"padding": "x" * (3 * MiB)}
    (root / "huge.zarr" / ARRAY).write_text(json.dumps(huge))
    (root / "deep.zarr" / ARRAY).write_text("[" * 100_000)
    _write(root, "duplicate-keys-root", image_tree("0.5"))
    root_doc = (root / "duplicate-keys-root.zarr" / "zarr.json").read_text()
    # A broken first "ome" (no multiscales) that a last-wins parser would never check.
    (root / "duplicate-keys-root.zarr" / "zarr.json").write_text(
        root_doc.replace('"attributes": {', '"attributes": {"ome": {"version": "0.5"}, ', 1))
    (root / "duplicate-keys.zarr" / ARRAY).write_text(
        doc.decode().replace('"shape": ', '"shape": "first", "shape": ', 1))
    (root / "nan-literal.zarr" / ARRAY).write_text(doc.decode().replace(
        '"fill_value": 0', '"fill_value": NaN'))

    server = DataServer(root).start()
    routes: dict[str, Callable[..., Any] | Handler] = {
        f"server-error.zarr/{ARRAY}": respond(500),
        f"retry-after.zarr/{ARRAY}": _once_429(server),
        f"reset-before-body.zarr/{ARRAY}": _reset_first(server, 1),
        f"reset-mid-body.zarr/{ARRAY}": _reset_mid_body(doc),
        f"truncated.zarr/{ARRAY}": lying_length(doc, claimed=len(doc) + 500),
        f"html.zarr/{ARRAY}": respond(200, b"<!doctype html><html><body>Sign in</body></html>",
                                      {"Content-Type": "text/html"}),
        f"garbage.zarr/{ARRAY}": respond(200, bytes(range(256)) * 4),
        f"invalid-utf8.zarr/{ARRAY}": respond(200, b'{"zarr_format": 3, "x": "\xff\xfe"}'),
        f"drip.zarr/{ARRAY}": drip(doc, chunk=1, interval=0.5),
        f"redirect-loop.zarr/{ARRAY}": redirect(f"/redirect-loop.zarr/{ARRAY}"),
        f"redirect-chain.zarr/{ARRAY}": redirect("/hop-1"),
        "hop-1": redirect("/hop-2", 301),
        "hop-2": redirect(f"/ok-image.zarr/{ARRAY}", 307),
        f"gzip-bomb.zarr/{ARRAY}": _gzip(gzip_bomb()),
    }
    _write(root, "ok-image", image_tree("0.5"))
    for key in ("zarr.json", "0/zarr.json", "1/zarr.json"):
        routes[f"token.zarr/{key}"] = _token_required(server)
    server.routes.update(routes)
    return server
