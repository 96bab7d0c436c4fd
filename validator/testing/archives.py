"""Zip a directory hierarchy into a single-file OME-Zarr (``.ozx``), for tests and benchmarks.

:func:`zip_hierarchy` writes with stdlib :mod:`zipfile`, entries stored, in one of three
orders: ``"metadata-first"`` (RFC-9's recommendation: the root ``zarr.json``, the other
``zarr.json`` files breadth-first, then everything else), ``"interleaved"`` (each directory's
files together, as ``zip -r`` writes: every ``zarr.json`` beside its chunks) or a list of
names. :func:`add_zip64_end` adds the ZIP64 end record and locator that :mod:`zipfile` writes
only when an archive needs them (RFC-9 recommends them always).
"""

from __future__ import annotations

import json
import os
import struct
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

__all__ = ["add_zip64_end", "metadata_first", "zip_hierarchy"]

DATE = (2026, 1, 1, 0, 0, 0)


def metadata_first(names: Sequence[str]) -> list[str]:
    """RFC-9's order: root ``zarr.json``, other ``zarr.json`` breadth-first, then the rest."""
    return sorted(names, key=lambda n: (not n.endswith("zarr.json"), n.count("/"), n))


def _files(root: Path) -> list[str]:
    out: list[str] = []
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        rel = os.path.relpath(directory, root).replace(os.sep, "/")
        out.extend(f if rel == "." else f"{rel}/{f}" for f in sorted(files))
    return out


def zip_hierarchy(root: Path, path: Path, *,
                  order: Literal["metadata-first", "interleaved"] | Sequence[str] =
                  "metadata-first",
                  zip64: bool = True, comment: Any = None, version: str | None = "0.5",
                  json_first: bool | None = None, shard_bytes: int = 0) -> Path:
    """Zip the files below ``root`` into ``path``. ``comment``: a JSON value (default: the
    RFC-9 comment for ``version``, with ``jsonFirst`` when the order is metadata-first).
    ``shard_bytes``: give every Zarr v3 array one shard entry (``<array>/c/0/0...``) of that
    many bytes, as data of a real archive (metadata-only hierarchies have none)."""
    names = _files(root)
    data = {name: (root / name).read_bytes() for name in names}
    if shard_bytes:
        for name in list(names):
            if name.endswith("zarr.json") and b'"array"' in data[name]:
                doc = json.loads(data[name])
                if doc.get("node_type") == "array":
                    key = name.removesuffix("zarr.json") + "c/" + "/".join(
                        "0" * len(doc.get("shape", [0])))
                    data[key] = bytes(range(256)) * (shard_bytes // 256) + bytes(
                        shard_bytes % 256)
                    names.insert(names.index(name) + 1, key)
    if order == "metadata-first":
        names = metadata_first(names)
    elif order != "interleaved":
        names = list(order)
    if comment is None and version is not None:
        comment = {"ome": {"version": version}}
        if json_first if json_first is not None else order == "metadata-first":
            comment["ome"]["zipFile"] = {"centralDirectory": {"jsonFirst": True}}
    with zipfile.ZipFile(path, "w") as archive:
        for name in names:
            archive.writestr(zipfile.ZipInfo(name, date_time=DATE), data[name])
        archive.comment = b"" if comment is None else json.dumps(comment).encode()
    if zip64:
        path.write_bytes(add_zip64_end(path.read_bytes()))
    return path


def add_zip64_end(data: bytes) -> bytes:
    """Insert a ZIP64 end of central directory record and locator before the end record
    (which keeps its values), as writers that always use ZIP64 do."""
    at = data.rfind(b"PK\x05\x06")
    total, cd_size, cd_offset = struct.unpack("<H2L", data[at + 10 : at + 20])
    record = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, total, total, cd_size,
                         cd_offset)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, at, 1)
    return data[:at] + record + locator + data[at:]
