"""Zarr metadata documents: their names per format and what the checks need from arrays."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from validator.rules.context import ArrayInfo

V3_METADATA = "zarr.json"
V2_GROUP = ".zgroup"
V2_ATTRS = ".zattrs"
V2_ARRAY = ".zarray"

_V2_KINDS = {"b": "bool", "i": "int", "u": "uint", "f": "float", "c": "complex"}
V3_DATA_TYPES = frozenset(
    {
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float16",
        "float32",
        "float64",
        "complex64",
        "complex128",
    }
)


def v2_dtype_name(dtype: Any) -> str | None:
    """NumPy-style name of a Zarr v2 dtype string such as ``"<u2"`` or ``"|b1"``."""
    if not isinstance(dtype, str) or len(dtype) < 3 or dtype[0] not in "<>|=":
        return None
    kind, size = dtype[1], dtype[2:]
    # ASCII digits only ("²".isdigit() is true, int("²") fails) and a sane length ("<f" and
    # 5000 digits exceeds int()'s limit): anything else is not a type we know.
    if kind not in _V2_KINDS or not (size.isascii() and size.isdigit()) or len(size) > 3:
        return None
    if kind == "b":
        return "bool" if size == "1" else None
    bits = int(size) * 8
    name = f"{_V2_KINDS[kind]}{bits}"
    return name if name in V3_DATA_TYPES else None


def _int_tuple(value: Any) -> tuple[int, ...] | None:
    if isinstance(value, list) and all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value
    ):
        return tuple(value)
    return None


def array_info_v2(node: str, zarray: Mapping[str, Any]) -> ArrayInfo:
    separator = zarray.get("dimension_separator")
    return ArrayInfo(
        node=node,
        zarr_format=2,
        shape=_int_tuple(zarray.get("shape")),
        chunks=_int_tuple(zarray.get("chunks")),
        dtype=v2_dtype_name(zarray.get("dtype")),
        raw_dtype=zarray.get("dtype"),
        dimension_separator=separator if isinstance(separator, str) else None,
    )


def array_info_v3(node: str, document: Mapping[str, Any]) -> ArrayInfo:
    data_type = document.get("data_type")
    grid = document.get("chunk_grid")
    chunks = None
    if isinstance(grid, Mapping) and isinstance(grid.get("configuration"), Mapping):
        chunks = _int_tuple(grid["configuration"].get("chunk_shape"))
    names = document.get("dimension_names")
    dimension_names = None
    if isinstance(names, list) and all(n is None or isinstance(n, str) for n in names):
        dimension_names = tuple(names)
    return ArrayInfo(
        node=node,
        zarr_format=3,
        shape=_int_tuple(document.get("shape")),
        chunks=chunks,
        dtype=data_type if isinstance(data_type, str) and data_type in V3_DATA_TYPES else None,
        raw_dtype=data_type,
        dimension_names=dimension_names,
    )
