"""Write ZIP archives for tests, broken ones too: stdlib :mod:`zipfile` writes them, and a few
byte patches make them lie the way broken or hostile archives do.

:func:`build_zip` takes a spec (the ``zip`` object of a rule case, see tests/rule_cases.py)::

    {"name": "image.ozx",                      # the file name (default dataset.ozx)
     "entries": [["zarr.json", {...}], ["0/c/0/0", "raw bytes as text"]],   # file order
     "compressed": ["0/zarr.json"],            # deflated entries (default: all stored)
     "comment": {"ome": {"version": "0.5"}},   # JSON value, a raw string, or null
     "zip64": true,                            # add a ZIP64 end record and locator
     "cd_order": ["0/zarr.json", ...],         # central directory order (default: file order)
     "eocd": {"disk": 1},                      # overwrite fields of the end record
     "point_at": [["b", "a"]],                 # entry b's header offset := entry a's
     "declare": {"0/zarr.json": {"file_size": 10}}}   # lie about an entry's sizes
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path
from typing import Any

from validator.testing.archives import add_zip64_end

__all__ = ["add_zip64_end", "build_zip", "patch_entry", "patch_eocd",
           "reorder_central_directory", "write_zip"]

EOCD = b"PK\x05\x06"
CD_ENTRY = b"PK\x01\x02"
EOCD_FIELDS = ("disk", "cd_disk", "disk_entries", "total_entries", "cd_size", "cd_offset")
DATE = (2026, 1, 1, 0, 0, 0)


def entry_bytes(value: Any) -> bytes:
    return value.encode() if isinstance(value, str) else json.dumps(value).encode()


def comment_bytes(value: Any) -> bytes:
    if value is None:
        return b""
    return value.encode() if isinstance(value, str) else json.dumps(value).encode()


def build_zip(spec: dict[str, Any]) -> bytes:
    """The archive a spec describes (see the module docstring)."""
    compressed = set(spec.get("compressed", ()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, value in spec["entries"]:
            info = zipfile.ZipInfo(name, date_time=DATE)
            info.compress_type = zipfile.ZIP_DEFLATED if name in compressed else \
                zipfile.ZIP_STORED
            archive.writestr(info, entry_bytes(value))
        archive.comment = comment_bytes(spec.get("comment"))
    data = buffer.getvalue()
    if "cd_order" in spec:
        data = reorder_central_directory(data, spec["cd_order"])
    for name, values in spec.get("declare", {}).items():
        data = patch_entry(data, name, **values)
    for name, other in spec.get("point_at", ()):
        data = patch_entry(data, name, header_offset=entry_field(data, other, "header_offset"))
    if spec.get("zip64", False):
        data = add_zip64_end(data)
    if "eocd" in spec:
        data = patch_eocd(data, **spec["eocd"])
    return data


def write_zip(spec: dict[str, Any], directory: Path) -> Path:
    path = directory / spec.get("name", "dataset.ozx")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(build_zip(spec))
    return path


# -- byte patches ----------------------------------------------------------------------------


def _eocd(data: bytes) -> tuple[int, list[int]]:
    at = data.rfind(EOCD)
    fields = list(struct.unpack("<4H2L", data[at + 4 : at + 20]))
    return at, fields


def patch_eocd(data: bytes, **values: int) -> bytes:
    """Overwrite fields of the end record (``disk``, ``total_entries``, ``cd_offset``, ...)."""
    at, fields = _eocd(data)
    for key, value in values.items():
        fields[EOCD_FIELDS.index(key)] = value
    return data[: at + 4] + struct.pack("<4H2L", *fields) + data[at + 20 :]


def _entries(data: bytes) -> list[tuple[int, int, str]]:
    """``(offset, length, name)`` of each central directory record, in order."""
    _, fields = _eocd(data)
    cd_size, cd_offset = fields[4], fields[5]
    out = []
    pos = cd_offset
    while pos < cd_offset + cd_size:
        assert data[pos : pos + 4] == CD_ENTRY
        n, m, k = struct.unpack("<3H", data[pos + 28 : pos + 34])
        length = 46 + n + m + k
        out.append((pos, length, data[pos + 46 : pos + 46 + n].decode()))
        pos += length
    return out


def reorder_central_directory(data: bytes, order: list[str]) -> bytes:
    """The same archive with its central directory records in ``order`` (names)."""
    records = {name: data[pos : pos + length] for pos, length, name in _entries(data)}
    start = _entries(data)[0][0]
    body = b"".join(records[name] for name in order)
    assert len(body) == sum(len(r) for r in records.values()), "order must name every entry"
    return data[:start] + body + data[start + len(body) :]


_ENTRY_FIELDS = {"compress_size": (20, "<L"), "file_size": (24, "<L"),
                 "header_offset": (42, "<L")}


def entry_field(data: bytes, name: str, field: str) -> int:
    for pos, _, entry in _entries(data):
        if entry == name:
            offset, fmt = _ENTRY_FIELDS[field]
            value: int = struct.unpack(fmt, data[pos + offset : pos + offset + 4])[0]
            return value
    raise KeyError(name)


def patch_entry(data: bytes, name: str, **values: int) -> bytes:
    """Overwrite ``file_size``, ``compress_size`` or ``header_offset`` of an entry's central
    directory record."""
    for pos, _, entry in _entries(data):
        if entry == name:
            for field, value in values.items():
                offset, fmt = _ENTRY_FIELDS[field]
                at = pos + offset
                data = data[:at] + struct.pack(fmt, value) + data[at + 4 :]
            return data
    raise KeyError(name)
