"""Generate the cases of the rules the engine enforces itself while reading a hierarchy.

    python -m tests.cases._gen_builtin

Rules: hierarchy.*, zarr.*, io.* (those a static tree can trigger), and the schema rules of
the 0.5 ``ome`` envelope (ome.*). The others are tested in tests/test_builtin_rules.py:
io.document.unreadable, io.document.too-large, io.url.refused, ome.version.unsupported.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.casekit import (
    Tree,
    add_group,
    add_image,
    array_docs,
    image_tree,
    multiscale,
    ome_of,
    plate_tree,
    write_case,
)
from tests.cases._gen_bf2raw import case, ptr

VERSIONS = ("0.4", "0.5")


def labelled_image(version: str) -> Tree:
    """A valid image with one label image, ``labels/cells``."""
    tree = image_tree(version)
    add_group(tree, "labels", version, {"labels": ["cells"]})
    label: dict[str, Any] = {"colors": [{"label-value": 1, "rgba": [255, 0, 0, 255]}],
                             "source": {"image": "../../"}}
    if version == "0.4":
        label["version"] = "0.4"
    add_image(tree, "labels/cells", version, extra={"image-label": label})
    return tree


def v3_tree_with_04_metadata() -> Tree:
    """0.4 metadata (no "ome" key, multiscales version 0.4) stored as Zarr v3."""
    tree: Tree = {"zarr.json": {"zarr_format": 3, "node_type": "group", "attributes": {
        "multiscales": [multiscale("0.4", [{"name": "y", "type": "space"},
                                           {"name": "x", "type": "space"}])]}}}
    for level, size in enumerate((64, 32)):
        tree[f"{level}/zarr.json"] = array_docs("0.5", [size, size], names=["y", "x"])[
            "zarr.json"]
    return tree


def v2_tree_with_05_metadata() -> Tree:
    """0.5 metadata (under "ome", version 0.5) stored as Zarr v2."""
    tree: Tree = {".zgroup": {"zarr_format": 2}, ".zattrs": {"ome": {
        "version": "0.5", "multiscales": [multiscale("0.5", [{"name": "y", "type": "space"},
                                                             {"name": "x", "type": "space"}])]}}}
    for level, size in enumerate((64, 32)):
        tree[f"{level}/.zarray"] = array_docs("0.4", [size, size])[".zarray"]
    return tree


def generate() -> None:
    for v in VERSIONS:
        image = image_tree(v)
        plate = plate_tree(v, rows=1, columns=1, fields=1)
        meta = "zarr.json" if v == "0.5" else ".zattrs"

        # -- hierarchy.version.consistent ------------------------------------------------
        rid = "hierarchy.version.consistent"
        case(rid, "pass", v, plate, "plate and well declare the same version", valid=True)
        tree = copy.deepcopy(plate)
        other = "0.5" if v == "0.4" else "0.4"
        if v == "0.5":
            ome_of(tree, "A/1", v)["version"] = other
            pointer = "/attributes/ome/version"
        else:
            ome_of(tree, "A/1", v)["well"]["version"] = other
            pointer = "/well/version"
        case(rid, "fail", v, tree, f"the well declares {other}, the plate {v}",
             [{"rule": rid, "node": "A/1", "pointer": pointer}], valid=False)

        # -- zarr.metadata.malformed -------------------------------------------------------
        rid = "zarr.metadata.malformed"
        case(rid, "pass", v, image, "well-formed group metadata", valid=True)
        tree = copy.deepcopy(labelled_image(v))
        if v == "0.4":
            tree["labels/.zgroup"] = {"zarr_format": 3}
            expect = {"rule": rid, "node": "labels", "pointer": "/zarr_format"}
        else:
            tree["labels/zarr.json"]["zarr_format"] = 2
            expect = {"rule": rid, "node": "labels", "pointer": "/zarr_format"}
        case(rid, "fail", v, tree, "the labels group's metadata has the wrong zarr_format",
             [expect], valid=False)

        # -- io.document.invalid-json / too-deep ------------------------------------------
        rid = "io.document.invalid-json"
        case(rid, "pass", v, plate, "every document is a JSON object", valid=True)
        tree = copy.deepcopy(plate)
        tree[f"A/1/{meta}"] = '{"well": {"images": [' if v == "0.4" else "[1, 2]"
        case(rid, "fail", v, tree, "the well's metadata is " + (
            "truncated JSON" if v == "0.4" else "a JSON list, not an object"),
            [{"rule": rid, "node": "A/1", "pointer": ""}], valid=False)
        rid = "io.document.too-deep"
        case(rid, "pass", v, plate, "shallow documents", valid=True)
        tree = copy.deepcopy(plate)
        tree[f"A/1/0/{meta}"] = '{"a": ' * 200 + "1" + "}" * 200
        case(rid, "fail", v, tree, "a field image's metadata is nested 200 levels deep",
             [{"rule": rid, "node": "A/1/0", "pointer": ""}], valid=False)

        # -- hierarchy.path.escapes-root ---------------------------------------------------
        rid = "hierarchy.path.escapes-root"
        case(rid, "pass", v, labelled_image(v), "the labels list names a child", valid=True)
        tree = labelled_image(v)
        bad = ["../../outside", "/etc", "http://127.0.0.1:1/x", "%2e%2e/%2e%2e/outside",
               "..\\..\\outside", "cells/../../../outside"]
        ome_of(tree, "labels", v)["labels"] = ["cells", *bad]
        case(rid, "fail", v, tree, "label paths that leave the dataset are not followed",
             [{"rule": rid, "node": "labels", "pointer": ptr(v, "labels", i + 1)}
              for i in range(len(bad))], valid=False)

    # -- 0.5 only: hierarchy.version.present, the ome envelope --------------------------
    v = "0.5"
    rid = "hierarchy.version.present"
    case(rid, "pass", v, labelled_image(v), "every group declares ome.version", valid=True)
    tree = labelled_image(v)
    del tree["labels/zarr.json"]["attributes"]["ome"]["version"]
    case(rid, "fail", v, tree, "the labels group has no ome.version (as ome-zarr-py writes)",
         [{"rule": rid, "node": "labels", "pointer": "/attributes/ome",
           "severity": "warning"}], valid=True)
    rid = "ome.version.required"
    case(rid, "pass", v, image_tree(v), "the image declares ome.version", valid=True)
    tree = image_tree(v)
    del tree["zarr.json"]["attributes"]["ome"]["version"]
    case(rid, "fail", v, tree, "the root's ome object has no version",
         [{"rule": rid, "node": "", "pointer": "/attributes/ome"}], valid=False)
    rid = "ome.version.value"
    case(rid, "pass", v, image_tree(v), "ome.version is 0.5", valid=True)
    doc = copy.deepcopy(image_tree(v)["zarr.json"]["attributes"])
    doc["ome"]["version"] = "0.5.1"
    rid = "ome.namespace.required"
    case(rid, "pass", v, image_tree(v), "the metadata is under 'ome'", valid=True)
    tree = plate_tree(v, rows=1, columns=1, fields=1)
    well = tree["A/1/zarr.json"]["attributes"]
    tree["A/1/zarr.json"]["attributes"] = {"well": well["ome"]["well"]}
    case(rid, "fail", v, tree, "the well's metadata is not under 'ome' (0.4 style in 0.5)",
         [{"rule": rid, "node": "A/1", "pointer": "/attributes"}], valid=False)

    # -- hierarchy.zarr-format.matches-version ---------------------------------------------
    rid = "hierarchy.zarr-format.matches-version"
    for v in VERSIONS:
        case(rid, "pass", v, image_tree(v), f"NGFF {v} in its Zarr format", valid=True)
    case(rid, "fail", "0.4", v3_tree_with_04_metadata(), "0.4 metadata stored as Zarr v3",
         [{"rule": rid, "node": "", "pointer": ""}], valid=False)
    case(rid, "fail", "0.5", v2_tree_with_05_metadata(), "0.5 metadata stored as Zarr v2",
         [{"rule": rid, "node": "", "pointer": ""}], valid=False)

    # -- zarr.group.missing (a Zarr v2 notion: in v3 a group without zarr.json is absent) ----
    rid = "zarr.group.missing"
    case(rid, "pass", "0.4", labelled_image("0.4"), "every group has .zgroup", valid=True)
    tree = labelled_image("0.4")
    del tree["labels/.zgroup"]
    case(rid, "fail", "0.4", tree, "the labels group has .zattrs but no .zgroup",
         [{"rule": rid, "node": "labels", "pointer": ""}], valid=False)
    case(rid, "pass", "0.5", image_tree("0.5"), "Zarr v3 groups have zarr.json", valid=True)
    tree = v2_tree_with_05_metadata()
    del tree[".zgroup"]
    case(rid, "fail", "0.5", tree, "0.5 metadata in Zarr v2 whose root has no .zgroup",
         [{"rule": rid, "node": "", "pointer": ""}], valid=False)

    # -- zarr.node.type (Zarr v3 tells groups from arrays; v2 by file name only) -----------
    rid = "zarr.node.type"
    case(rid, "pass", "0.5", plate_tree("0.5", rows=1, columns=1, fields=1),
         "the well is a group", valid=True)
    tree = plate_tree("0.5", rows=1, columns=1, fields=1)
    tree["A/1/zarr.json"] = array_docs("0.5", [4, 4], names=["y", "x"])["zarr.json"]
    case(rid, "fail", "0.5", tree, "the plate names a well that is an array",
         [{"rule": rid, "node": "A/1", "pointer": "/node_type"}], valid=False)
    case(rid, "pass", "0.4", v3_tree_with_04_metadata(), "0.4 in v3: levels are arrays")
    tree = v3_tree_with_04_metadata()
    tree["labels/zarr.json"] = array_docs("0.5", [4, 4], names=["y", "x"])["zarr.json"]
    case(rid, "fail", "0.4", tree, "0.4 metadata in Zarr v3 whose labels group is an array",
         [{"rule": rid, "node": "labels", "pointer": "/node_type"}], valid=False)

    # The document-mode case of ome.version.value.
    write_case("ome.version.value", "fail-0.5", "0.5", {
        "description": "ome.version is 0.5.1 in a document checked as 0.5",
        "document": doc, "expect": [{"rule": "ome.version.value", "pointer": "/ome/version"}],
        "valid": False})


if __name__ == "__main__":
    generate()
