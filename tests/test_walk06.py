"""How the walk reads a 0.6 hierarchy: only the documents the metadata names, each once.

A scene names its images; an image's transformations name parameter arrays, vector fields and
label images. Over HTTP (the real data server) every document named is requested exactly
once, and the only requests for something absent are the ``labels`` probes of images (as for
a 0.5 image). The node kinds counted say what each node was read as.
"""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path

import pytest

from tests.cases import _gen_v06_walk as g
from tests.rule_cases import materialize
from validator import validate
from validator.model import NodeKind
from validator.testing.dataserver import DataServer


def scene_with_everything() -> dict[str, object]:
    """A scene of two tiles (affines stored as arrays beside them); tile_0 has a
    displacement field and a label image its own transformation links to."""
    tree = g.scene_tree(params=True)
    tile: g.Tree = {}
    ms = g.image(tile, "", size=32)
    ms["coordinateSystems"].append({"name": "world", "axes": copy.deepcopy(g.PHYSICAL)})
    ms["coordinateTransformations"] = [
        {"type": "displacements", "path": "fields/warp", "input": {"name": "physical"},
         "output": {"name": "world"}},
        {"type": "scale", "scale": [1.0, 1.0], "input": {"name": "physical"},
         "output": {"path": "labels/cells", "name": "physical"}},
    ]
    g.group(tile, "fields/warp", {"multiscales": [g.multiscale([g.VECTOR, g.Y, g.X], 1)]})
    g.array(tile, "fields/warp/0", [2, 8, 8], "float32")
    g.group(tile, "labels", {"labels": ["cells"]})
    g.image(tile, "labels/cells", size=32, extra={"image-label": {}})
    for name, doc in tile.items():
        tree[f"tile_0/{name}"] = doc
    return tree


def test_reads_each_named_document_once(tmp_path: Path) -> None:
    tree = scene_with_everything()
    root = materialize(tree, tmp_path / "data" / "scene.zarr")
    local = validate(str(root))
    assert local.verdict == "valid", [f.to_dict() for f in local.errors]
    assert local.nodes == Counter({
        NodeKind.SCENE: 1, NodeKind.IMAGE: 3, NodeKind.LABELS: 1, NodeKind.LABEL_IMAGE: 1,
        # 2 levels x 2 tiles, 2 label levels, 1 field level, 2 parameter arrays
        NodeKind.ARRAY: 9,
    })
    with DataServer(tmp_path / "data") as server:
        remote = validate(server.url_for("scene.zarr"))
        paths = server.stats.paths
    assert [f.to_dict() for f in remote.findings] == [f.to_dict() for f in local.findings]
    named = {f"scene.zarr/{name}" for name in tree}
    assert all(count == 1 for count in paths.values()), paths
    assert named <= set(paths)
    # The one request for something absent: the labels probe of the tile without labels (a
    # field is not probed for labels; tile_0's labels group exists).
    assert set(paths) - named == {"scene.zarr/tile_1/labels/zarr.json"}


def test_a_broken_link_is_one_finding_at_its_pointer(tmp_path: Path) -> None:
    tree = scene_with_everything()
    del tree["tile_0/fields/warp/zarr.json"]
    root = materialize(tree, tmp_path / "scene.zarr")
    report = validate(str(root))
    assert [(f.rule, f.node, f.pointer) for f in report.errors] == [
        ("transformations.field.multiscale", "tile_0",
         "/attributes/ome/multiscales/0/coordinateTransformations/0/path"),
    ]


def _set(tree: dict[str, object], doc: str, tokens: tuple[str | int, ...], value: object) -> None:
    node: object = tree[doc]["attributes"]["ome"]  # type: ignore[index]
    for token in tokens[:-1]:
        node = node[token]  # type: ignore[index]
    node[tokens[-1]] = value  # type: ignore[index]


OWN = ("multiscales", 0, "coordinateTransformations")


@pytest.mark.parametrize(("doc", "tokens", "value"), [
    ("zarr.json", ("scene", "coordinateTransformations", 0, "type"), {"a": 1}),
    ("tile_0/zarr.json", (*OWN, 1, "type"), ["scale"]),
    ("tile_0/zarr.json", (*OWN, 0, "path"), 5),
    ("tile_0/zarr.json", (*OWN, 0, "input"), "physical"),
    ("tile_0/zarr.json", (*OWN, 1, "output"), {"path": ["labels"], "name": "physical"}),
    ("tile_0/zarr.json", ("multiscales", 0, "coordinateSystems"), {"physical": []}),
    ("zarr.json", ("scene", "coordinateTransformations", 1, "input"),
     {"path": "../tile_1", "name": "physical"}),
    ("tile_0/fields/warp/zarr.json", ("multiscales", 0, "coordinateSystems", 0, "axes"), 7),
])
def test_malformed_links_are_findings_not_crashes(doc: str, tokens: tuple[str | int, ...],
                                                  value: object, tmp_path: Path) -> None:
    tree = scene_with_everything()
    _set(tree, doc, tokens, value)
    report = validate(str(materialize(tree, tmp_path / "scene.zarr")))
    assert not [f for f in report.findings if f.rule == "engine.rule-crashed"]
    assert report.verdict == "invalid"
