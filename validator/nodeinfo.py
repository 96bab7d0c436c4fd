"""What the walk read at a node, for people who look at one node: :class:`NodeDetail`.

The walk reads each node's metadata documents anyway; with an ``on_node_detail`` callback it
hands them over as it visits the node (the service keeps them per job, so that its page can
show a node's metadata, and an array's shape, data type, chunks, shards, codecs and dimension
names, without fetching anything again). Without the callback nothing is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from validator.model import NodeKind

#: Codecs of Zarr v3 that hold other codecs: their inner chunks make the array's chunks.
SHARDING_CODEC = "sharding_indexed"


def _ints(value: Any) -> list[int] | None:
    if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool)
                                       for v in value):
        return list(value)
    return None


def _codec_names(codecs: Any) -> list[str]:
    if not isinstance(codecs, list):
        return []
    names = []
    for codec in codecs:
        if isinstance(codec, str):
            names.append(codec)
        elif isinstance(codec, Mapping) and isinstance(codec.get("name"), str):
            names.append(codec["name"])
    return names


@dataclass(frozen=True, slots=True)
class ArrayDetail:
    """An array as its metadata describes it, values as written (``None``: absent or not of
    the expected type; the checks report that).

    ``chunks`` is the shape of the chunks read and written (with sharding: the inner chunks);
    ``shards`` the shape of the stored objects when sharded; ``codecs`` the codec names in
    order (v3; with sharding, the inner ones), or the v2 filters and then the compressor.
    """

    zarr_format: int
    shape: list[int] | None
    data_type: str | None
    chunks: list[int] | None
    shards: list[int] | None = None
    codecs: list[str] = field(default_factory=list)
    dimension_names: list[str | None] | None = None
    fill_value: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "zarr_format": self.zarr_format,
            "shape": self.shape,
            "data_type": self.data_type,
            "chunks": self.chunks,
            "shards": self.shards,
            "codecs": list(self.codecs),
            "dimension_names": self.dimension_names,
            "fill_value": self.fill_value,
        }


def array_detail(zarr_format: int, document: Mapping[str, Any]) -> ArrayDetail:
    """The :class:`ArrayDetail` of an array's metadata document (``zarr.json`` or
    ``.zarray``)."""
    if zarr_format == 2:
        filters = _codec_ids(document.get("filters"))
        compressor = _codec_ids([document.get("compressor")])
        data_type = document.get("dtype")
        return ArrayDetail(
            zarr_format=2,
            shape=_ints(document.get("shape")),
            data_type=data_type if isinstance(data_type, str) else None,
            chunks=_ints(document.get("chunks")),
            codecs=filters + compressor,
            fill_value=document.get("fill_value"),
        )
    grid = document.get("chunk_grid")
    config = grid.get("configuration") if isinstance(grid, Mapping) else None
    chunks = _ints(config.get("chunk_shape")) if isinstance(config, Mapping) else None
    shards = None
    codecs = document.get("codecs")
    codec_list = codecs if isinstance(codecs, list) else []
    sharding = next((c for c in codec_list if isinstance(c, Mapping)
                     and c.get("name") == SHARDING_CODEC), None)
    names = _codec_names(codec_list)
    if sharding is not None and isinstance(sharding.get("configuration"), Mapping):
        inner = sharding["configuration"]
        shards, chunks = chunks, _ints(inner.get("chunk_shape"))
        names = [SHARDING_CODEC, *_codec_names(inner.get("codecs"))]
    dims = document.get("dimension_names")
    dimension_names = None
    if isinstance(dims, list) and all(d is None or isinstance(d, str) for d in dims):
        dimension_names = list(dims)
    data_type = document.get("data_type")
    return ArrayDetail(
        zarr_format=3,
        shape=_ints(document.get("shape")),
        data_type=data_type if isinstance(data_type, str) else None,
        chunks=chunks,
        shards=shards,
        codecs=names,
        dimension_names=dimension_names,
        fill_value=document.get("fill_value"),
    )


def _codec_ids(codecs: Any) -> list[str]:
    """The ``id`` of each numcodecs configuration (v2 ``filters`` and ``compressor``)."""
    if not isinstance(codecs, list):
        return []
    return [c["id"] for c in codecs if isinstance(c, Mapping) and isinstance(c.get("id"), str)]


@dataclass(frozen=True, slots=True)
class NodeDetail:
    """A visited node: its path ("" = root), kind, the metadata documents read there (name →
    parsed JSON, ``None`` for one that could not be parsed) and, for arrays, the array."""

    path: str
    kind: NodeKind
    documents: Mapping[str, Any]
    array: ArrayDetail | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind.value,
            "documents": dict(self.documents),
            "array": None if self.array is None else self.array.to_dict(),
        }


#: Called once for each node the walk visits, with what was read there.
NodeDetailCallback = Callable[[NodeDetail], None]
