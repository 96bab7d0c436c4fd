"""Metadata-only HCS plate generator, for tests and benchmarks.

:func:`write_plate` writes the metadata documents of an OME-Zarr plate -- plate, rows, wells,
fields of view (multiscale images) and their resolution-level arrays -- and no chunks, laid out
and formatted as ome-zarr-py 0.18 (on zarr-python 3) writes them:

* ``version="0.4"`` (Zarr v2): ``.zgroup`` + ``.zattrs`` for every group (row groups get an empty
  ``{}`` ``.zattrs``), ``.zarray`` + empty ``.zattrs`` for every array, ``dimension_separator``
  ``"/"``, OME metadata at the top level of ``.zattrs`` with ``version`` inside ``plate``,
  ``well`` and each ``multiscales`` entry.
* ``version="0.5"`` (Zarr v3): one ``zarr.json`` per group and array, OME metadata under
  ``attributes.ome`` with ``ome.version`` (and ``plate.version``, as ome-zarr-py writes it), array
  metadata with ``dimension_names`` equal to the axis names.

Every field of view is a multiscale image whose level ``l`` halves y and x ``l`` times (floor,
minimum 1, like ome-zarr-py), with a ``scale`` and a ``translation`` transform per level.
Missing chunks are legal in Zarr (they read as the fill value), so the plate is a valid OME-Zarr
dataset. Output is deterministic: the same arguments always write the same bytes.
"""

from __future__ import annotations

import json
import os
import string
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

__all__ = [
    "DEFAULT_AXES",
    "PlateInfo",
    "column_names",
    "describe_downscaling",
    "plate_document",
    "row_names",
    "write_image",
    "write_labels",
    "write_plate",
]

Version = Literal["0.4", "0.5"]

#: Axis names used for an image of each dimensionality when ``axes`` is not given.
DEFAULT_AXES: dict[int, tuple[str, ...]] = {
    2: ("y", "x"),
    3: ("z", "y", "x"),
    4: ("c", "z", "y", "x"),
    5: ("t", "c", "z", "y", "x"),
}
_AXIS_TYPES = {"t": "time", "c": "channel", "x": "space", "y": "space", "z": "space"}
_DOWNSAMPLED = frozenset({"x", "y"})


@dataclass(frozen=True)
class PlateInfo:
    """What :func:`write_plate` wrote."""

    root: Path
    version: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    wells: tuple[str, ...]
    """Well paths (``"A/1"``), in the order of the plate's ``wells`` list."""
    fields: int
    levels: int
    level_shapes: tuple[tuple[int, ...], ...]
    documents: Counter[str] = field(default_factory=Counter)
    """Metadata documents written, by file name (``zarr.json``, ``.zgroup``, ...)."""
    nodes: Counter[str] = field(default_factory=Counter)
    """Zarr nodes written, by role: ``plate``, ``row``, ``well``, ``image``, ``array``."""

    @property
    def total_documents(self) -> int:
        return sum(self.documents.values())

    @property
    def images(self) -> list[str]:
        """Paths (relative to the plate) of every field of view."""
        return [f"{w}/{f}" for w in self.wells for f in range(self.fields)]


def row_names(n: int) -> list[str]:
    """``A``..``Z``, then ``AA``, ``AB``, ... (alphanumeric, unique)."""
    letters = string.ascii_uppercase
    names = []
    for i in range(n):
        name = ""
        i += 1
        while i:
            i, rem = divmod(i - 1, 26)
            name = letters[rem] + name
        names.append(name)
    return names


def column_names(n: int) -> list[str]:
    return [str(i + 1) for i in range(n)]


def _dumps(doc: Mapping[str, Any]) -> bytes:
    # zarr-python 3 writes every metadata document with indent=2 and no trailing newline.
    return json.dumps(doc, indent=2).encode()


# --- OME metadata --------------------------------------------------------------------------


def _plate_attrs(
    version: Version,
    rows: Sequence[str],
    columns: Sequence[str],
    wells: Sequence[tuple[int, int]],
    fields: int,
    name: str,
) -> dict[str, Any]:
    # Key order as ome_zarr.writer.write_plate_metadata.
    return {
        "columns": [{"name": c} for c in columns],
        "rows": [{"name": r} for r in rows],
        "wells": [
            {"path": f"{rows[r]}/{columns[c]}", "rowIndex": r, "columnIndex": c} for r, c in wells
        ],
        "name": name,
        "field_count": fields,
        "acquisitions": [{"id": 0, "name": "acquisition 0", "maximumfieldcount": fields}],
        "version": version,
    }


def plate_document(version: Version, wells: int, *, columns: int = 500) -> bytes:
    """The root metadata document of a plate listing ``wells`` wells (``columns`` per row, the
    last row possibly partial) and nothing else: the wells are not written. The shape of the
    plate that froze the service (issue 14): 200 rows x 500 columns = 100k wells in 5.8 MB."""
    columns = min(columns, wells)
    n_rows = -(-wells // columns)
    rows, cols = row_names(n_rows), column_names(columns)
    pairs = [(r, c) for r in range(n_rows) for c in range(columns)][:wells]
    plate = _plate_attrs(version, rows, cols, pairs, 1, "plate")
    if version == "0.4":
        return json.dumps({"plate": plate}).encode()
    return json.dumps({"zarr_format": 3, "node_type": "group",
                       "attributes": {"ome": {"version": version, "plate": plate}}}).encode()


def _well_attrs(version: Version, fields: int) -> dict[str, Any]:
    images = [{"path": str(f), "acquisition": 0} for f in range(fields)]
    if version == "0.4":
        return {"images": images, "version": version}
    return {"images": images}


def _level_shapes(shape: Sequence[int], axes: Sequence[str], levels: int) -> list[tuple[int, ...]]:
    shapes = [tuple(shape)]
    for _ in range(1, levels):
        prev = shapes[-1]
        shapes.append(
            tuple(
                max(1, n // 2) if a in _DOWNSAMPLED else n for n, a in zip(prev, axes, strict=True)
            )
        )
    return shapes


def _multiscale(
    axes: Sequence[str],
    shapes: Sequence[tuple[int, ...]],
    pixel_size: Mapping[str, float],
    units: Mapping[str, str],
    name: str,
) -> dict[str, Any]:
    """One ``multiscales`` entry, as ome_zarr.writer.write_image builds it (without version)."""
    axes_md: list[dict[str, Any]] = []
    for a in axes:
        axis: dict[str, Any] = {"name": a, "type": _AXIS_TYPES.get(a, "custom")}
        if a in units:
            axis["unit"] = units[a]
        axes_md.append(axis)
    base = [float(pixel_size.get(a, 1.0)) for a in axes]
    datasets = []
    for level, level_shape in enumerate(shapes):
        scale = [b * full / n for b, full, n in zip(base, shapes[0], level_shape, strict=True)]
        translation = [s / 2 - b / 2 for s, b in zip(scale, base, strict=True)]
        datasets.append(
            {
                "path": f"s{level}",
                "coordinateTransformations": [
                    {"type": "scale", "scale": scale},
                    {"type": "translation", "translation": translation},
                ],
            }
        )
    return {"axes": axes_md, "datasets": datasets, "name": name}


# --- Zarr documents ------------------------------------------------------------------------


def _v2_array(shape: Sequence[int], chunks: Sequence[int], dtype: np.dtype[Any]) -> dict[str, Any]:
    return {
        "shape": list(shape),
        "chunks": list(chunks),
        "dtype": dtype.str,
        "fill_value": 0,
        "order": "C",
        "filters": None,
        "dimension_separator": "/",
        "compressor": {"id": "zstd", "level": 0},
        "zarr_format": 2,
    }


def _v3_array(
    shape: Sequence[int], chunks: Sequence[int], dtype: np.dtype[Any], axes: Sequence[str]
) -> dict[str, Any]:
    bytes_codec: dict[str, Any] = {"name": "bytes"}
    if dtype.itemsize > 1:
        bytes_codec["configuration"] = {"endian": "little"}
    return {
        "shape": list(shape),
        "data_type": dtype.name,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(chunks)}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": 0,
        "codecs": [bytes_codec, {"name": "zstd", "configuration": {"level": 0, "checksum": False}}],
        "attributes": {},
        "dimension_names": list(axes),
        "zarr_format": 3,
        "node_type": "array",
        "storage_transformers": [],
    }


def _group_docs(version: Version, key: str | None, value: Any) -> dict[str, bytes]:
    """Documents of one group whose OME metadata is ``{key: value}`` (none if key is None)."""
    if version == "0.4":
        attrs = {} if key is None else {key: value}
        return {".zgroup": _dumps({"zarr_format": 2}), ".zattrs": _dumps(attrs)}
    attributes = {} if key is None else {"ome": {"version": version, key: value}}
    return {"zarr.json": _dumps({"attributes": attributes, "zarr_format": 3, "node_type": "group"})}


def _array_docs(
    version: Version,
    shape: Sequence[int],
    chunks: Sequence[int],
    dtype: np.dtype[Any],
    axes: Sequence[str],
) -> dict[str, bytes]:
    if version == "0.4":
        return {".zarray": _dumps(_v2_array(shape, chunks, dtype)), ".zattrs": b"{}"}
    return {"zarr.json": _dumps(_v3_array(shape, chunks, dtype, axes))}


def _image_docs(
    version: Version,
    axes: Sequence[str],
    shapes: Sequence[tuple[int, ...]],
    chunks: Sequence[int] | None,
    dtype: np.dtype[Any],
    pixel_size: Mapping[str, float],
    units: Mapping[str, str],
    name: str,
) -> dict[str, dict[str, bytes]]:
    """Relative directory ("" = the image group) -> documents, for one field of view."""
    multiscale = _multiscale(axes, shapes, pixel_size, units, name)
    if version == "0.4":
        multiscale["version"] = version
    docs = {"": _group_docs(version, "multiscales", [multiscale])}
    for level, level_shape in enumerate(shapes):
        level_chunks = level_shape if chunks is None else tuple(chunks)
        docs[f"s{level}"] = _array_docs(version, level_shape, level_chunks, dtype, axes)
    return docs


# --- writing -------------------------------------------------------------------------------


def _resolve_wells(
    wells: Iterable[tuple[int, int] | str] | None, rows: Sequence[str], columns: Sequence[str]
) -> list[tuple[int, int]]:
    if wells is None:
        return [(r, c) for r in range(len(rows)) for c in range(len(columns))]
    resolved = []
    for well in wells:
        if isinstance(well, str):
            row, col = well.split("/")
            resolved.append((rows.index(row), columns.index(col)))
        else:
            resolved.append((int(well[0]), int(well[1])))
    return resolved


_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


def _write_files(files: list[tuple[str, bytes]], dirs: Iterable[str]) -> None:
    # Plain os calls: about twice as fast as Path.write_bytes, and threads do not help here.
    for d in dirs:
        os.makedirs(d, exist_ok=True)
    for path, data in files:
        fd = os.open(path, _CREATE_FLAGS, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)


def write_plate(
    root: str | os.PathLike[str],
    *,
    version: Version,
    rows: int,
    columns: int,
    fields: int,
    levels: int,
    shape: Sequence[int] = (1, 1, 16, 64, 64),
    axes: Sequence[str] | None = None,
    chunks: Sequence[int] | None = None,
    dtype: str = "uint16",
    wells: Iterable[tuple[int, int] | str] | None = None,
    pixel_size: Mapping[str, float] | None = None,
    units: Mapping[str, str] | None = None,
    name: str = "plate",
    image_name: str = "image",
) -> PlateInfo:
    """Write the metadata documents (no chunks) of a ``rows`` x ``columns`` plate under ``root``.

    ``wells`` selects the wells present (``(rowIndex, columnIndex)`` pairs or ``"A/1"`` paths);
    by default every well is present. Every well has ``fields`` fields of view ``0..fields-1``,
    each a multiscale image of ``levels`` arrays ``s0..s{levels-1}`` of ``shape`` (halving y/x
    per level). ``chunks`` defaults to one chunk per array (what ome-zarr-py writes for a small
    image); ``axes`` defaults to :data:`DEFAULT_AXES` for ``len(shape)``.
    """
    if version not in ("0.4", "0.5"):
        raise ValueError(f"unsupported version {version!r}")
    if min(rows, columns, fields, levels) < 1:
        raise ValueError("rows, columns, fields and levels must be >= 1")
    axes = tuple(axes) if axes is not None else DEFAULT_AXES[len(shape)]
    if len(axes) != len(shape):
        raise ValueError(f"axes {axes} do not match shape {tuple(shape)}")
    root = Path(root)
    row_list, col_list = row_names(rows), column_names(columns)
    well_list = _resolve_wells(wells, row_list, col_list)
    shapes = _level_shapes(shape, axes, levels)
    image = _image_docs(
        version, axes, shapes, chunks, np.dtype(dtype), pixel_size or {}, units or {}, image_name
    )

    files: list[tuple[str, bytes]] = []
    dirs: list[str] = []
    documents: Counter[str] = Counter()
    nodes: Counter[str] = Counter()

    def add(directory: str, docs: Mapping[str, bytes], role: str) -> None:
        dirs.append(directory)
        nodes[role] += 1
        for doc_name, data in docs.items():
            files.append((f"{directory}/{doc_name}", data))
            documents[doc_name] += 1

    plate = _plate_attrs(version, row_list, col_list, well_list, fields, name)
    base = os.fspath(root)
    add(base, _group_docs(version, "plate", plate), "plate")
    for r in sorted({r for r, _ in well_list}):
        add(f"{base}/{row_list[r]}", _group_docs(version, None, None), "row")
    well_docs = _group_docs(version, "well", _well_attrs(version, fields))
    for r, c in well_list:
        well_dir = f"{base}/{row_list[r]}/{col_list[c]}"
        add(well_dir, well_docs, "well")
        for f in range(fields):
            for rel, docs in image.items():
                node = f"{well_dir}/{f}/{rel}" if rel else f"{well_dir}/{f}"
                add(node, docs, "array" if rel else "image")

    _write_files(files, dirs)
    return PlateInfo(
        root=root,
        version=version,
        rows=tuple(row_list),
        columns=tuple(col_list),
        wells=tuple(f"{row_list[r]}/{col_list[c]}" for r, c in well_list),
        fields=fields,
        levels=levels,
        level_shapes=tuple(shapes),
        documents=documents,
        nodes=nodes,
    )


def write_image(
    root: str | os.PathLike[str],
    *,
    version: Version,
    levels: int,
    shape: Sequence[int] = (1, 1, 16, 64, 64),
    axes: Sequence[str] | None = None,
    dtype: str = "uint16",
    name: str = "image",
) -> list[str]:
    """Write the metadata documents (no chunks) of one multiscale image under ``root``, as a
    field of view of :func:`write_plate`; returns the paths written, relative to ``root``."""
    if version not in ("0.4", "0.5"):
        raise ValueError(f"unsupported version {version!r}")
    if levels < 1:
        raise ValueError("levels must be >= 1")
    axes = tuple(axes) if axes is not None else DEFAULT_AXES[len(shape)]
    shapes = _level_shapes(shape, axes, levels)
    image = _image_docs(version, axes, shapes, None, np.dtype(dtype), {}, {}, name)
    base = os.fspath(root)
    files: list[tuple[str, bytes]] = []
    dirs: list[str] = []
    for rel, docs in image.items():
        directory = f"{base}/{rel}" if rel else base
        dirs.append(directory)
        files.extend((f"{directory}/{doc}", data) for doc, data in docs.items())
    _write_files(files, dirs)
    return [os.path.relpath(path, base) for path, _ in files]


def write_labels(
    image: str | os.PathLike[str],
    *,
    version: Version,
    names: Sequence[str],
    level_shapes: Sequence[Sequence[int]],
    axes: Sequence[str] | None = None,
    dtype: str = "uint32",
    pixel_size: Mapping[str, float] | None = None,
    units: Mapping[str, str] | None = None,
) -> list[Path]:
    """Write a ``labels`` group inside the image group ``image``, with one label image per
    name (levels ``s0..`` of ``level_shapes``, integer ``dtype``, one color per label image,
    ``source.image`` pointing back at ``image``), as ome-zarr-py writes them (but with the
    NGFF version on the labels group, which ome-zarr-py leaves out in 0.5). Returns the label
    images' directories."""
    image = Path(image)
    shapes = [tuple(shape) for shape in level_shapes]
    axes = tuple(axes) if axes is not None else DEFAULT_AXES[len(shapes[0])]
    files: list[tuple[str, bytes]] = []
    dirs = [os.fspath(image / "labels")]
    files.extend((os.fspath(image / "labels" / k), v)
                 for k, v in _group_docs(version, "labels", list(names)).items())
    written = []
    for name in names:
        label_dir = image / "labels" / name
        written.append(label_dir)
        docs = _image_docs(version, axes, shapes, None, np.dtype(dtype), pixel_size or {},
                           units or {}, name)
        image_label: dict[str, Any] = {
            "colors": [{"label-value": 1, "rgba": [255, 0, 0, 255]}],
            "source": {"image": "../../"},
        }
        if version == "0.4":
            image_label["version"] = version
        for rel, rel_docs in docs.items():
            directory = label_dir / rel if rel else label_dir
            dirs.append(os.fspath(directory))
            for doc_name, data in rel_docs.items():
                if not rel and doc_name in (".zattrs", "zarr.json"):
                    doc = json.loads(data)
                    ome = doc if version == "0.4" else doc["attributes"]["ome"]
                    ome["image-label"] = image_label
                    data = _dumps(doc)
                files.append((os.fspath(directory / doc_name), data))
    _write_files(files, dirs)
    return written


def describe_downscaling(root: Path, version: str, images: list[str]) -> None:
    """Add the SHOULD members ome-zarr-py leaves out (``type``, ``metadata``) to every image."""
    name = ".zattrs" if version == "0.4" else "zarr.json"
    for image in images:
        path = root / image / name
        doc = json.loads(path.read_text())
        ome = doc if version == "0.4" else doc["attributes"]["ome"]
        for multiscale in ome["multiscales"]:
            multiscale["type"] = "local_mean"
            multiscale["metadata"] = {"method": "skimage.transform.downscale_local_mean"}
        path.write_text(json.dumps(doc, indent=2))
