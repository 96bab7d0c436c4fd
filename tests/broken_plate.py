"""A deliberately broken 0.5 plate with defects at 13 nodes, 5 of them inside fields' labels
groups: the offline equivalent of the broken public plate of issue 11 (which found 8 of 13 with
the defaults of the time, missing every defect inside a field's ``labels`` group).

Built with :mod:`validator.testing` (a clean plate by :func:`write_plate` with units and
downscaling described, labels groups by :func:`write_labels`), then broken one node at a time.
Each defect is an error at exactly its own node, so "which nodes have errors" is the measure.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from validator.testing import write_labels, write_plate
from validator.testing.plates import describe_downscaling

UNITS = {"t": "second", "z": "micrometer", "y": "micrometer", "x": "micrometer"}
#: Fields (images of the plate) that get a labels group with two label images.
LABELLED_FIELDS = ("A/1/1", "A/2/1", "A/3/0", "B/2/1", "B/3/0")


def _edit(root: Path, node: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = root / node / "zarr.json"
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc, indent=2))


def _ome(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda doc: change(doc["attributes"]["ome"])


def _multiscale(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return _ome(lambda ome: change(ome["multiscales"][0]))


#: node -> (rule expected there, how it is broken). Every node listed is an error; no other
#: node has one.
DEFECTS: dict[str, tuple[str, Callable[[dict[str, Any]], None]]] = {
    # -- outside the labels groups: 8 nodes -------------------------------------------------
    "": ("plate.acquisitions.id-unique", _ome(lambda ome: ome["plate"]["acquisitions"].append(
        {"id": 0, "name": "again", "maximumfieldcount": 2}))),
    "A/1": ("well.images.unique-paths", _ome(lambda ome: ome["well"]["images"].append(
        {"path": "0", "acquisition": 0}))),
    "A/1/0": ("multiscales.transformations.length-matches-axes", _multiscale(
        lambda ms: ms["datasets"][0]["coordinateTransformations"][0].update(scale=[1.0, 1.0]))),
    "A/2/0/s1": ("array.chunks.ndim", lambda doc: doc["chunk_grid"]["configuration"].update(
        chunk_shape=[1, 1])),
    "A/2/1": ("multiscales.datasets.scale-order", _multiscale(
        lambda ms: ms["datasets"][1]["coordinateTransformations"][0].update(
            scale=[1.0, 1.0, 1.0, 0.25, 0.25]))),
    "B/1": ("well.images.acquisition-integer", _ome(
        lambda ome: ome["well"]["images"][0].update(acquisition="zero"))),
    "B/2/0": ("multiscales.transformations.translation-after-scale", _multiscale(
        lambda ms: ms["datasets"][0]["coordinateTransformations"].reverse())),
    "B/3/1/s0": ("array.fill-value.valid", lambda doc: doc.update(fill_value="zero")),
    # -- inside fields' labels groups: 5 nodes ----------------------------------------------
    "A/1/1/labels": ("labels.paths.exist", _ome(lambda ome: ome["labels"].append("missing"))),
    "A/2/1/labels/cells": ("image-label.colors.unique-values", _ome(
        lambda ome: ome["image-label"]["colors"].append(
            {"label-value": 1, "rgba": [0, 255, 0, 255]}))),
    "A/3/0/labels/nuclei": ("image-label.colors.rgba-range", _ome(
        lambda ome: ome["image-label"]["colors"][0].update(rgba=[300, 0, 0, 255]))),
    "B/2/1/labels/cells/s1": ("array.chunk-key-encoding.valid", lambda doc: doc.update(
        chunk_key_encoding={"name": "default", "configuration": {"separator": "-"}})),
    "B/3/0/labels/nuclei": ("image-label.properties.label-value", _ome(
        lambda ome: ome["image-label"].update(properties=[{"class": "nucleus"}]))),
}
IN_LABELS = frozenset(node for node in DEFECTS if "/labels" in node)


def write_broken_plate(root: Path) -> Path:
    """Write the broken plate at ``root`` (a new directory) and return it."""
    info = write_plate(root, version="0.5", rows=2, columns=3, fields=2, levels=2, units=UNITS)
    images = [f"{well}/{field}" for well in info.wells for field in range(info.fields)]
    for field in LABELLED_FIELDS:
        labels = write_labels(root / field, version="0.5", names=["cells", "nuclei"],
                              level_shapes=info.level_shapes, units=UNITS)
        images.extend(str(label.relative_to(root)) for label in labels)
    describe_downscaling(root, "0.5", images)
    for node, (_, change) in DEFECTS.items():
        _edit(root, node, change)
    return root
