"""Builders of small, valid OME-Zarr trees for writing rule cases (tests/cases/*/*.json).

Use them in a script to produce a case, then mutate one thing: ``image_tree("0.5")`` is a
valid 0.5 image with two levels; ``plate_tree("0.4")`` a valid 0.4 plate. Trees map a file
path to its JSON document, exactly what ``tests/rule_cases.py`` materializes.

    python -m tests.casekit RULE_ID NAME VERSION < mutation.py   # see write_case()
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

Tree = dict[str, Any]

AXES_5D = [
    {"name": "t", "type": "time", "unit": "second"},
    {"name": "c", "type": "channel"},
    {"name": "z", "type": "space", "unit": "micrometer"},
    {"name": "y", "type": "space", "unit": "micrometer"},
    {"name": "x", "type": "space", "unit": "micrometer"},
]
AXES_2D = AXES_5D[3:]


def multiscale(version: str, axes: list[dict[str, Any]], levels: int = 2,
               name: str = "image") -> dict[str, Any]:
    n = len(axes)
    datasets = []
    for level in range(levels):
        scale = [1.0] * n
        for k, axis in enumerate(axes):
            if axis.get("type") == "space" and axis["name"] in ("x", "y"):
                scale[k] = float(2**level)
        datasets.append({"path": str(level),
                         "coordinateTransformations": [{"type": "scale", "scale": scale}]})
    ms: dict[str, Any] = {"name": name, "axes": copy.deepcopy(axes), "datasets": datasets}
    if version == "0.4":
        ms["version"] = "0.4"
    return ms


def group_doc(version: str, ome: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The group's metadata file and content for OME metadata ``ome`` (no version inside)."""
    if version == "0.5":
        return "zarr.json", {"zarr_format": 3, "node_type": "group",
                             "attributes": {"ome": {"version": "0.5", **ome}}}
    return ".zattrs", ome


def array_docs(version: str, shape: list[int], dtype: str = "uint8",
               names: list[str] | None = None) -> dict[str, Any]:
    """Files of one array, relative to the array's own path."""
    if version == "0.5":
        return {"zarr.json": {
            "zarr_format": 3, "node_type": "array", "shape": shape, "data_type": dtype,
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": shape}},
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
            "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
            "fill_value": 0, "dimension_names": names, "attributes": {}}}
    v2 = {"uint8": "|u1", "uint16": "<u2", "int32": "<i4", "float32": "<f4", "int64": "<i8"}
    return {".zarray": {"zarr_format": 2, "shape": shape, "chunks": shape, "dtype": v2[dtype],
                        "compressor": None, "fill_value": 0, "order": "C", "filters": None,
                        "dimension_separator": "/"}}


def add_group(tree: Tree, path: str, version: str, ome: dict[str, Any]) -> None:
    name, doc = group_doc(version, ome)
    prefix = f"{path}/" if path else ""
    tree[prefix + name] = doc
    if version == "0.4":
        tree[prefix + ".zgroup"] = {"zarr_format": 2}


def add_image(tree: Tree, path: str, version: str, axes: list[dict[str, Any]] | None = None,
              levels: int = 2, dtype: str = "uint8", extra: dict[str, Any] | None = None,
              base_shape: int = 64) -> None:
    axes = axes if axes is not None else AXES_2D
    ms = multiscale(version, axes, levels)
    add_group(tree, path, version, {"multiscales": [ms], **(extra or {})})
    names = [a["name"] for a in axes]
    for level in range(levels):
        shape = [base_shape // 2**level if a["name"] in ("x", "y") else 2 for a in axes]
        prefix = f"{path}/{level}" if path else str(level)
        for name, doc in array_docs(version, shape, dtype, names).items():
            tree[f"{prefix}/{name}"] = doc


def image_tree(version: str, **kwargs: Any) -> Tree:
    tree: Tree = {}
    add_image(tree, "", version, **kwargs)
    return tree


def plate_tree(version: str, rows: int = 2, columns: int = 2, fields: int = 2) -> Tree:
    tree: Tree = {}
    row_names = [chr(ord("A") + r) for r in range(rows)]
    col_names = [str(c + 1) for c in range(columns)]
    wells = [{"path": f"{r}/{c}", "rowIndex": i, "columnIndex": j}
             for i, r in enumerate(row_names) for j, c in enumerate(col_names)]
    plate: dict[str, Any] = {
        "name": "plate", "rows": [{"name": r} for r in row_names],
        "columns": [{"name": c} for c in col_names], "wells": wells,
        "acquisitions": [{"id": 0, "maximumfieldcount": fields}], "field_count": fields,
    }
    if version == "0.4":
        plate["version"] = "0.4"
    add_group(tree, "", version, {"plate": plate})
    for r in row_names:
        # Row groups are plain Zarr groups with no OME metadata.
        if version == "0.5":
            tree[f"{r}/zarr.json"] = {"zarr_format": 3, "node_type": "group", "attributes": {}}
        else:
            tree[f"{r}/.zgroup"] = {"zarr_format": 2}
        for c in col_names:
            well: dict[str, Any] = {"images": [{"path": str(f), "acquisition": 0}
                                               for f in range(fields)]}
            if version == "0.4":
                well["version"] = "0.4"
            add_group(tree, f"{r}/{c}", version, {"well": well})
            for f in range(fields):
                add_image(tree, f"{r}/{c}/{f}", version, levels=2)
    return tree


def ome_of(tree: Tree, path: str, version: str) -> dict[str, Any]:
    """The OME metadata object of the group at ``path`` inside ``tree`` (mutable)."""
    prefix = f"{path}/" if path else ""
    if version == "0.5":
        ome: dict[str, Any] = tree[prefix + "zarr.json"]["attributes"]["ome"]
        return ome
    attrs: dict[str, Any] = tree[prefix + ".zattrs"]
    return attrs


def write_case(rule: str, name: str, version: str, case: dict[str, Any]) -> Path:
    """Write ``tests/cases/<rule>/<name>.json`` (``name`` like ``fail-0.5-missing``)."""
    path = Path(__file__).parent / "cases" / rule / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": version, **case}, indent=1) + "\n")
    return path
