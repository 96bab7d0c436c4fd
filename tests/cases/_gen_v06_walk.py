"""Generate the NGFF 0.6 rule cases that need a walk: transformations naming other groups.

    python -m tests.cases._gen_v06_walk

Writes ``tests/cases/<rule>/{pass,fail}-0.6[-what].json`` for the ``LINKS_NODE`` rules
(:mod:`validator.rules.links`: parameter arrays, vector fields, label images and scene images
named by ``path``, the transformations graph) and the 0.6 scene case of
``hierarchy.version.consistent``. Each case is a small tree (an image or a scene with its
images) with one thing changed; the pointers in ``expect`` are written here by hand. Replaces
the cases of those rules this script wrote before.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from tests.casekit import array_docs, write_case

V = "0.6"
CASES = Path(__file__).parent
Doc = dict[str, Any]
Tree = dict[str, Any]

Y = {"name": "y", "type": "space", "unit": "micrometer"}
X = {"name": "x", "type": "space", "unit": "micrometer"}
Z = {"name": "z", "type": "space", "unit": "micrometer"}
VECTOR = {"name": "v", "type": "displacement", "discrete": True}
PHYSICAL = [Y, X]


def group(tree: Tree, path: str, ome: Doc, version: str = V) -> None:
    prefix = f"{path}/" if path else ""
    tree[prefix + "zarr.json"] = {"zarr_format": 3, "node_type": "group",
                                  "attributes": {"ome": {"version": version, **ome}}}


def array(tree: Tree, path: str, shape: list[int], dtype: str = "float64") -> None:
    dtype_name = "float32" if dtype == "float64" else dtype
    doc = array_docs("0.5", shape, dtype_name)["zarr.json"]
    doc["data_type"] = dtype
    del doc["dimension_names"]  # optional in Zarr v3
    tree[f"{path}/zarr.json"] = doc


def multiscale(axes: list[Doc], levels: int = 2, system: str = "physical",
               name: str = "image") -> Doc:
    datasets = []
    for level in range(levels):
        scale = [float(2**level) if a.get("type") == "space" else 1.0 for a in axes]
        datasets.append({"path": str(level), "coordinateTransformations": [
            {"type": "scale", "scale": scale, "input": {"path": str(level)},
             "output": {"name": system}}]})
    return {"name": name, "coordinateSystems": [{"name": system, "axes": copy.deepcopy(axes)}],
            "datasets": datasets}


def image(tree: Tree, path: str, axes: list[Doc] | None = None, levels: int = 2,
          size: int = 64, extra: Doc | None = None, version: str = V,
          dtype: str = "uint8") -> Doc:
    """Write a valid 0.6 image at ``path``; returns its multiscale (mutable)."""
    axes = axes if axes is not None else PHYSICAL
    ms = multiscale(axes, levels)
    group(tree, path, {"multiscales": [ms], **(extra or {})}, version)
    prefix = f"{path}/" if path else ""
    for level in range(levels):
        shape = [size // 2**level if a.get("type") == "space" else 2 for a in axes]
        doc = array_docs("0.5", shape, dtype)["zarr.json"]
        doc["dimension_names"] = [a["name"] for a in axes]
        tree[f"{prefix}{level}/zarr.json"] = doc
    return ms


def with_world(ms: Doc, transform: Doc) -> None:
    """Add the system "world" and a transformation from "physical" to it."""
    ms["coordinateSystems"].append({"name": "world", "axes": copy.deepcopy(PHYSICAL)})
    ms["coordinateTransformations"] = [{"input": {"name": "physical"},
                                        "output": {"name": "world"}, **transform}]


OWN = ("multiscales", 0, "coordinateTransformations", 0)


def ptr(*tokens: str | int) -> str:
    return "/attributes/ome" + "".join(f"/{token}" for token in tokens)


def expect(rule: str, *tokens: str | int, node: str = "") -> list[Doc]:
    return [{"rule": rule, "node": node, "pointer": ptr(*tokens)}]


# -- parameter arrays ----------------------------------------------------------------------


def affine_image(shape: list[int] | None, kind: str = "affine") -> Tree:
    tree: Tree = {}
    ms = image(tree, "")
    with_world(ms, {"type": kind, "path": "parameters/m"})
    if shape is not None:
        array(tree, "parameters/m", shape)
    return tree


def scene_tree(tiles: int = 2, params: bool = False) -> Tree:
    """The spec's stitching scene, smaller: tiles side by side, translated into "world"
    (``params``: by affines whose matrices are arrays in coordinateTransformations/, as in the
    spec's multiview example, lines 1763-1782)."""
    tree: Tree = {}
    transforms = []
    for k in range(tiles):
        image(tree, f"tile_{k}", size=32)
        t: Doc = {"type": "translation", "name": f"tile_{k} to world",
                  "input": {"path": f"tile_{k}", "name": "physical"},
                  "output": {"name": "world"}}
        if params:
            t["type"] = "affine"
            t["path"] = f"coordinateTransformations/tile_{k}"
            array(tree, f"coordinateTransformations/tile_{k}", [2, 3])
        else:
            t["translation"] = [0.0, 32.0 * k]
        transforms.append(t)
    group(tree, "", {"scene": {
        "coordinateSystems": [{"name": "world", "axes": copy.deepcopy(PHYSICAL)}],
        "coordinateTransformations": transforms}})
    return tree


# -- vector fields -------------------------------------------------------------------------


def field_image(vector: Doc | None = VECTOR, vector_length: int = 2,
                spatial: list[Doc] | None = None, present: str = "group",
                kind: str = "displacements") -> Tree:
    """An image whose "physical" system is linked to "world" by a vector field stored in the
    multiscale group coordinateTransformations/field (the spec's layout, lines 1137-1145)."""
    tree: Tree = {}
    ms = image(tree, "")
    with_world(ms, {"type": kind, "path": "coordinateTransformations/field",
                    "interpolation": "linear"})
    spatial = spatial if spatial is not None else PHYSICAL
    axes = ([vector] if vector is not None else []) + list(spatial)
    if present == "group":
        fms = multiscale(axes, levels=1)
        group(tree, "coordinateTransformations/field", {"multiscales": [fms]})
        shape = [vector_length if a is vector else 16 for a in axes]
        array(tree, "coordinateTransformations/field/0", shape, "float32")
    elif present == "array":
        array(tree, "coordinateTransformations/field", [2, 16, 16], "float32")
    elif present == "plain":
        group(tree, "coordinateTransformations/field", {})
    return tree


# -- label images and the graph ------------------------------------------------------------


def labelled(link_path: str = "labels/cells", link_name: str = "physical") -> Tree:
    tree: Tree = {}
    ms = image(tree, "")
    ms["coordinateTransformations"] = [{"type": "identity", "input": {"name": "physical"},
                                        "output": {"path": link_path, "name": link_name}}]
    group(tree, "labels", {"labels": ["cells"]})
    image(tree, "labels/cells", extra={"image-label": {"source": {"image": "../../"}}})
    return tree


def two_systems_unlinked() -> Tree:
    tree: Tree = {}
    ms = image(tree, "")
    ms["coordinateSystems"].append({"name": "world", "axes": copy.deepcopy(PHYSICAL)})
    return tree


def scene_with_lone_system() -> Tree:
    tree = scene_tree()
    tree["zarr.json"]["attributes"]["ome"]["scene"]["coordinateSystems"].append(
        {"name": "elsewhere", "axes": copy.deepcopy(PHYSICAL)})
    return tree


def scene_edit(tree: Tree, k: int, end: str, **ref: Any) -> Tree:
    tree["zarr.json"]["attributes"]["ome"]["scene"]["coordinateTransformations"][k][end] = ref
    return tree


SC = ("scene", "coordinateTransformations")


def cases() -> list[tuple[str, str, Tree, list[Doc], str]]:
    """``(rule, name, tree, expected findings, description)``."""
    plain = scene_tree()
    mixed = scene_tree()
    mixed["tile_1/zarr.json"]["attributes"]["ome"]["version"] = "0.5"
    not_image = scene_tree()
    not_image["tile_1/zarr.json"]["attributes"]["ome"] = {"version": V}
    return [
        ("transformations.parameters.array", "pass-0.6", affine_image([2, 3]),
         [], "an affine whose 2 x 3 matrix is the array parameters/m"),
        ("transformations.parameters.array", "pass-0.6-scene", scene_tree(params=True),
         [], "a scene whose affines are stored in coordinateTransformations/tile_k"),
        ("transformations.parameters.array", "fail-0.6-missing", affine_image(None),
         expect("transformations.parameters.array", *OWN, "path"),
         "the affine names parameters/m; nothing is there"),
        ("transformations.parameters.shape", "pass-0.6", affine_image([2, 3]), [],
         "the affine's array is M x (N+1) = 2 x 3"),
        ("transformations.parameters.shape", "fail-0.6-affine", affine_image([2, 2]),
         expect("transformations.parameters.shape", *OWN, "path"),
         "the affine's array is 2 x 2, not 2 x 3"),
        ("transformations.parameters.shape", "fail-0.6-rotation",
         affine_image([3, 3], kind="rotation"),
         expect("transformations.parameters.shape", *OWN, "path"),
         "the rotation's array is 3 x 3 between 2D systems"),
        ("transformations.parameters.shape", "fail-0.6-scene",
         _retype(scene_tree(params=True), "coordinateTransformations/tile_1", [2, 2]),
         expect("transformations.parameters.shape", *SC, 1, "path"),
         "a scene affine's array is 2 x 2; the tile's and the scene's systems have 2 axes"),
        ("transformations.field.multiscale", "pass-0.6", field_image(), [],
         "the displacement field is a multiscale group"),
        ("transformations.field.multiscale", "fail-0.6-missing", field_image(present="none"),
         expect("transformations.field.multiscale", *OWN, "path"),
         "nothing at the field's path"),
        ("transformations.field.multiscale", "fail-0.6-array", field_image(present="array"),
         expect("transformations.field.multiscale", *OWN, "path"),
         "an array at the field's path, not a multiscale group (as ngff-zarr 0.50 writes)"),
        ("transformations.field.multiscale", "fail-0.6-plain-group",
         field_image(present="plain"),
         expect("transformations.field.multiscale", *OWN, "path"),
         "a group without multiscales at the field's path"),
        ("transformations.field.dimensions", "pass-0.6", field_image(), [],
         "a 2D input system and a 3-dimensional field"),
        ("transformations.field.dimensions", "fail-0.6-4d",
         field_image(spatial=[Z, Y, X]),
         expect("transformations.field.dimensions", *OWN, "path"),
         "a 2D input system and a 4-dimensional field"),
        ("transformations.field.vector-axis", "pass-0.6", field_image(), [],
         "the vector axis has type displacement and discrete: true"),
        ("transformations.field.vector-axis", "pass-0.6-coordinates",
         field_image(vector={"name": "v", "type": "coordinate", "discrete": True},
                     kind="coordinates"), [],
         "a coordinates field whose vector axis has type coordinate"),
        ("transformations.field.vector-axis", "fail-0.6-type",
         field_image(vector={"name": "v", "type": "channel", "discrete": True}),
         expect("transformations.field.vector-axis", *OWN, "path"),
         "the vector axis has type channel"),
        ("transformations.field.vector-axis", "fail-0.6-not-discrete",
         field_image(vector={"name": "v", "type": "displacement"}),
         expect("transformations.field.vector-axis", *OWN, "path"),
         "the vector axis does not say discrete: true"),
        ("transformations.field.vector-axis", "fail-0.6-coordinate-for-displacements",
         field_image(vector={"name": "v", "type": "coordinate", "discrete": True}),
         expect("transformations.field.vector-axis", *OWN, "path"),
         "a displacements field whose vector axis has type coordinate"),
        ("transformations.field.vector-length", "pass-0.6", field_image(), [],
         "2D displacements of 2 entries"),
        ("transformations.field.vector-length", "fail-0.6-three",
         field_image(vector_length=3),
         expect("transformations.field.vector-length", *OWN, "path"),
         "2D displacements of 3 entries"),
        ("multiscales.transformations.label-resolves", "pass-0.6", labelled(), [],
         "an identity to the label image labels/cells, which defines 'physical'"),
        ("multiscales.transformations.label-resolves", "fail-0.6-missing",
         labelled(link_path="labels/nuclei"),
         expect("multiscales.transformations.label-resolves", *OWN, "output", "path"),
         "the transformation names labels/nuclei; nothing is there"),
        ("multiscales.transformations.label-resolves", "fail-0.6-no-system",
         labelled(link_name="aligned"),
         expect("multiscales.transformations.label-resolves", *OWN, "output", "path"),
         "labels/cells defines no system 'aligned'"),
        ("scene.paths.resolve", "pass-0.6", plain, [], "two tiles translated into 'world'"),
        ("scene.paths.resolve", "fail-0.6-missing",
         scene_edit(scene_tree(), 1, "input", path="tile_9", name="physical"),
         expect("scene.paths.resolve", *SC, 1, "input", "path"),
         "a scene transformation names tile_9; nothing is there"),
        ("scene.paths.resolve", "fail-0.6-no-system",
         scene_edit(scene_tree(), 0, "input", path="tile_0", name="aligned"),
         expect("scene.paths.resolve", *SC, 0, "input", "path"),
         "tile_0 defines no system 'aligned'"),
        ("scene.paths.resolve", "fail-0.6-not-image", not_image,
         expect("scene.paths.resolve", *SC, 1, "input", "path"),
         "tile_1 is a group without multiscales"),
        ("transformations.graph.connected", "pass-0.6", affine_image([2, 3]), [],
         "two systems linked by an affine"),
        ("transformations.graph.connected", "pass-0.6-scene", scene_tree(), [],
         "the tiles' systems are linked to the scene's"),
        ("transformations.graph.connected", "fail-0.6-image", two_systems_unlinked(),
         expect("transformations.graph.connected", "multiscales", 0, "coordinateSystems"),
         "an image with two systems and no transformation between them"),
        ("transformations.graph.connected", "fail-0.6-scene", scene_with_lone_system(),
         expect("transformations.graph.connected", *SC),
         "a scene system no transformation links"),
        ("hierarchy.version.consistent", "pass-0.6-scene", scene_tree(), [],
         "a scene and its tiles all 0.6"),
        ("hierarchy.version.consistent", "fail-0.6-scene", mixed,
         [{"rule": "hierarchy.version.consistent", "node": "tile_1",
           "pointer": "/attributes/ome/version"}],
         "a tile of a 0.6 scene declares 0.5"),
    ]


def _retype(tree: Tree, path: str, shape: list[int]) -> Tree:
    tree[f"{path}/zarr.json"]["shape"] = shape
    tree[f"{path}/zarr.json"]["chunk_grid"]["configuration"]["chunk_shape"] = shape
    return tree


def main() -> None:
    rules = {rule for rule, *_ in cases()}
    for rule in rules:
        for old in (CASES / rule).glob(f"*-{V}*.json"):
            if old.name.startswith(("pass-", "fail-")) and rule != "hierarchy.version.consistent":
                old.unlink()
    for rule, name, tree, expected, description in cases():
        case: Doc = {"description": f"{rule}: {description}", "tree": tree}
        if expected:
            case["expect"] = expected
        write_case(rule, name, V, case)


if __name__ == "__main__":
    main()
