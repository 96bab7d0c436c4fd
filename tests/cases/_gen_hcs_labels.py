"""Generate the rule cases of plates, wells, labels groups and label images.

    python -m tests.cases._gen_hcs_labels

Writes ``tests/cases/<rule>/{pass,fail}-<version>[-what].json`` for every rule whose id starts
with ``plate.``, ``well.``, ``labels.``, ``label.`` or ``image-label.`` (schema rules
included), replacing the cases of those rules this script wrote before. A schema rule's cases
are single documents (``"document"``); a walk rule's cases are small trees built with
:mod:`tests.casekit`. Each case mutates one thing of a valid document or tree.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.casekit import (
    add_group,
    add_image,
    array_docs,
    image_tree,
    ome_of,
    plate_tree,
    write_case,
)

VERSIONS = ("0.4", "0.5")
CASES = Path(__file__).parent
PREFIXES = ("plate.", "well.", "labels.", "label.", "image-label.")
Doc = dict[str, Any]
Tree = dict[str, Any]

# -- valid documents ------------------------------------------------------------------------


def plate_doc(version: str) -> Doc:
    plate: Doc = {
        "name": "plate",
        "rows": [{"name": "A"}, {"name": "B"}],
        "columns": [{"name": "1"}, {"name": "2"}],
        "wells": [{"path": "A/1", "rowIndex": 0, "columnIndex": 0},
                  {"path": "B/2", "rowIndex": 1, "columnIndex": 1}],
        "acquisitions": [{"id": 0, "name": "first", "maximumfieldcount": 2}],
        "field_count": 2,
    }
    if version == "0.4":
        plate["version"] = "0.4"
    return plate


def well_doc(version: str) -> Doc:
    well: Doc = {"images": [{"path": "0", "acquisition": 0}, {"path": "1", "acquisition": 0}]}
    if version == "0.4":
        well["version"] = "0.4"
    return well


def image_label_doc(version: str) -> Doc:
    label: Doc = {
        "colors": [{"label-value": 1, "rgba": [255, 0, 0, 255]},
                   {"label-value": 2, "rgba": [0, 255, 0, 128]}],
        "properties": [{"label-value": 1, "class": "cell"}, {"label-value": 2}],
        "source": {"image": "../../"},
    }
    if version == "0.4":
        label["version"] = "0.4"
    return label


def labels_doc(version: str) -> list[str]:
    return ["cells"]


VALID: dict[str, Callable[[str], Any]] = {
    "plate": plate_doc,
    "well": well_doc,
    "image-label": image_label_doc,
    "labels": labels_doc,
}


def attributes(version: str, key: str, value: Any) -> Doc:
    """The attributes object of a group holding ``{key: value}`` as its OME metadata."""
    if version == "0.5":
        return {"ome": {"version": "0.5", key: value}}
    return {key: value}


def doc_pointer(version: str, *tokens: str | int) -> str:
    """A pointer into a document case's attributes object."""
    return ("/ome" if version == "0.5" else "") + "".join(f"/{t}" for t in tokens)


def tree_pointer(version: str, *tokens: str | int) -> str:
    """A pointer into a group's metadata document of a tree case."""
    return ("/attributes/ome" if version == "0.5" else "") + "".join(f"/{t}" for t in tokens)


# -- document cases: (rule, what, versions, key, mutate, pointer tokens, extra expectation) --

Mutation = Callable[[Any], Any]


def _set(*path_and_value: Any) -> Mutation:
    *path, value = path_and_value

    def mutate(doc: Any) -> Any:
        target = doc
        for token in path[:-1]:
            target = target[token]
        target[path[-1]] = value
        return doc

    return mutate


def _delete(*path: Any) -> Mutation:
    def mutate(doc: Any) -> Any:
        target = doc
        for token in path[:-1]:
            target = target[token]
        del target[path[-1]]
        return doc

    return mutate


def _append(*path_and_value: Any) -> Mutation:
    *path, value = path_and_value

    def mutate(doc: Any) -> Any:
        target = doc
        for token in path:
            target = target[token]
        target.append(value)
        return doc

    return mutate


def _replace(value: Any) -> Mutation:
    return lambda _doc: value


BOTH = VERSIONS
V04 = ("0.4",)
V05 = ("0.5",)

# rule, case suffix, versions, kind, mutation, pointer (tokens after the kind key), severity
DocCase = tuple[str, str, tuple[str, ...], str, Mutation, tuple[str | int, ...], str | None]

DOC_CASES: list[DocCase] = [
    # plate schema
    ("plate.value.object", "list", BOTH, "plate", _replace([]), (), None),
    ("plate.columns.required", "missing", BOTH, "plate", _delete("columns"), (), None),
    ("plate.rows.required", "missing", BOTH, "plate", _delete("rows"), (), None),
    ("plate.wells.required", "missing", BOTH, "plate", _delete("wells"), (), None),
    ("plate.name.present", "missing", BOTH, "plate", _delete("name"), (), "warning"),
    ("plate.name.string", "number", BOTH, "plate", _set("name", 1), ("name",), None),
    ("plate.field-count.present", "missing", BOTH, "plate", _delete("field_count"), (), "info"),
    ("plate.field-count.positive", "zero", BOTH, "plate", _set("field_count", 0),
     ("field_count",), None),
    ("plate.version.present", "missing", V04, "plate", _delete("version"), (), "warning"),
    ("plate.version.value", "foo", V04, "plate", _set("version", "foo"), ("version",), None),
    ("plate.version.string", "number", V05, "plate", _set("version", 5), ("version",), None),
    ("plate.acquisitions.list", "object", BOTH, "plate", _set("acquisitions", {}),
     ("acquisitions",), None),
    ("plate.acquisitions.id", "missing", BOTH, "plate", _delete("acquisitions", 0, "id"),
     ("acquisitions", 0), None),
    ("plate.acquisitions.name-present", "missing", BOTH, "plate",
     _delete("acquisitions", 0, "name"), ("acquisitions", 0), "warning"),
    ("plate.acquisitions.name-string", "number", BOTH, "plate",
     _set("acquisitions", 0, "name", 1), ("acquisitions", 0, "name"), None),
    ("plate.acquisitions.maximumfieldcount-present", "missing", BOTH, "plate",
     _delete("acquisitions", 0, "maximumfieldcount"), ("acquisitions", 0), "warning"),
    ("plate.acquisitions.maximumfieldcount-positive", "zero", BOTH, "plate",
     _set("acquisitions", 0, "maximumfieldcount", 0),
     ("acquisitions", 0, "maximumfieldcount"), None),
    ("plate.acquisitions.description-string", "number", BOTH, "plate",
     _set("acquisitions", 0, "description", 1), ("acquisitions", 0, "description"), None),
    ("plate.acquisitions.timestamps", "negative", BOTH, "plate",
     _set("acquisitions", 0, "starttime", -1), ("acquisitions", 0, "starttime"), None),
    ("plate.columns.list", "string", BOTH, "plate", _set("columns", "1"), ("columns",), None),
    ("plate.columns.non-empty", "empty", BOTH, "plate", _set("columns", []), ("columns",), None),
    ("plate.columns.unique-names", "copy", BOTH, "plate", _append("columns", {"name": "1"}),
     ("columns", 2, "name"), None),
    ("plate.columns.name-required", "missing", BOTH, "plate", _append("columns", {"n": 3}),
     ("columns", 2), None),
    ("plate.columns.name-alphanumeric", "dash", BOTH, "plate",
     _append("columns", {"name": "3-a"}), ("columns", 2, "name"), None),
    ("plate.rows.list", "string", BOTH, "plate", _set("rows", "A"), ("rows",), None),
    ("plate.rows.non-empty", "empty", BOTH, "plate", _set("rows", []), ("rows",), None),
    ("plate.rows.unique-names", "copy", BOTH, "plate", _append("rows", {"name": "A"}),
     ("rows", 2, "name"), None),
    ("plate.rows.name-required", "missing", BOTH, "plate", _append("rows", {"n": "C"}),
     ("rows", 2), None),
    ("plate.rows.name-alphanumeric", "underscore", BOTH, "plate",
     _append("rows", {"name": "C_1"}), ("rows", 2, "name"), None),
    ("plate.wells.list", "object", BOTH, "plate", _set("wells", {}), ("wells",), None),
    ("plate.wells.non-empty", "empty", BOTH, "plate", _set("wells", []), ("wells",), None),
    ("plate.wells.unique-paths", "copy", BOTH, "plate",
     _append("wells", {"path": "A/1", "rowIndex": 0, "columnIndex": 0}),
     ("wells", 2, "path"), None),
    ("plate.wells.path-required", "missing", BOTH, "plate", _delete("wells", 1, "path"),
     ("wells", 1), None),
    ("plate.wells.path-format", "three-groups", BOTH, "plate",
     _set("wells", 1, "path", "plate/B/2"), ("wells", 1, "path"), None),
    ("plate.wells.row-index", "missing", BOTH, "plate", _delete("wells", 1, "rowIndex"),
     ("wells", 1), None),
    ("plate.wells.column-index", "negative", BOTH, "plate", _set("wells", 1, "columnIndex", -1),
     ("wells", 1, "columnIndex"), None),
    # plate rules
    ("plate.rows.unique-names", "differing-rows", BOTH, "plate",
     _append("rows", {"name": "A", "label": "again"}), ("rows", 2, "name"), None),
    ("plate.columns.unique-names", "differing-columns", BOTH, "plate",
     _append("columns", {"name": "2", "label": "again"}), ("columns", 2, "name"), None),
    ("plate.rows.case-collision", "a-and-A", BOTH, "plate", _append("rows", {"name": "a"}),
     ("rows", 2, "name"), "warning"),
    ("plate.columns.case-collision", "x-and-X", BOTH, "plate",
     lambda p: _append("columns", {"name": "X"})(_append("columns", {"name": "x"})(p)),
     ("columns", 3, "name"), "warning"),
    ("plate.wells.path-row-column", "column-before-row", V05, "plate",
     _set("wells", 1, "path", "2/B"), ("wells", 1, "path"), "error"),
    ("plate.wells.path-row-column", "column-before-row", V04, "plate",
     _set("wells", 1, "path", "2/B"), ("wells", 1, "path"), "info"),
    ("plate.wells.path-row-column", "unknown-row", BOTH, "plate",
     _set("wells", 1, "path", "C/2"), ("wells", 1, "path"), "error"),
    ("plate.wells.indices-in-range", "row-index", BOTH, "plate",
     _set("wells", 1, "rowIndex", 2), ("wells", 1, "rowIndex"), None),
    ("plate.wells.indices-match-path", "row-index", BOTH, "plate",
     _set("wells", 1, "rowIndex", 0), ("wells", 1, "rowIndex"), None),
    ("plate.wells.indices-match-path", "column-index", BOTH, "plate",
     _set("wells", 0, "columnIndex", 1), ("wells", 0, "columnIndex"), None),
    ("plate.wells.unique-paths", "differing-wells", BOTH, "plate",
     _append("wells", {"path": "A/1", "rowIndex": 0, "columnIndex": 0, "note": "again"}),
     ("wells", 2, "path"), None),
    ("plate.acquisitions.id-unique", "repeated", BOTH, "plate",
     _append("acquisitions", {"id": 0, "name": "second", "maximumfieldcount": 2}),
     ("acquisitions", 1, "id"), None),
    # well schema
    ("well.value.object", "list", BOTH, "well", _replace([]), (), None),
    ("well.images.required", "missing", BOTH, "well", _delete("images"), (), None),
    ("well.images.list", "object", BOTH, "well", _set("images", {}), ("images",), None),
    ("well.images.non-empty", "empty", BOTH, "well", _set("images", []), ("images",), None),
    ("well.images.unique-paths", "copy", BOTH, "well",
     _append("images", {"path": "0", "acquisition": 0}), ("images", 2, "path"), None),
    ("well.images.path-required", "missing", BOTH, "well", _delete("images", 1, "path"),
     ("images", 1), None),
    ("well.images.path-alphanumeric", "dash", BOTH, "well", _set("images", 1, "path", "f-1"),
     ("images", 1, "path"), None),
    ("well.images.acquisition-integer", "string", BOTH, "well",
     _set("images", 1, "acquisition", "0"), ("images", 1, "acquisition"), None),
    ("well.version.present", "missing", V04, "well", _delete("version"), (), "warning"),
    ("well.version.value", "foo", V04, "well", _set("version", "foo"), ("version",), None),
    ("well.version.string", "number", V05, "well", _set("version", 5), ("version",), None),
    # well rules
    ("well.images.unique-paths", "differing-fields", BOTH, "well",
     _append("images", {"path": "0", "acquisition": 1}), ("images", 2, "path"), None),
    # labels group schema and rules
    ("labels.value.list", "string", BOTH, "labels", _replace("cells"), (), None),
    ("labels.value.list", "number-item", BOTH, "labels", _replace(["cells", 1]), (1,), None),
    # image-label schema (ids labels.*)
    ("image-label.value.object", "list", BOTH, "image-label", _replace([]), (), None),
    ("image-label.colors.present", "missing", BOTH, "image-label", _delete("colors"), (),
     "warning"),
    ("image-label.colors.list", "object", BOTH, "image-label", _set("colors", {}), ("colors",),
     None),
    ("image-label.colors.non-empty", "empty", BOTH, "image-label", _set("colors", []), ("colors",),
     None),
    ("image-label.colors.unique-values", "copy", BOTH, "image-label",
     _append("colors", {"label-value": 1, "rgba": [255, 0, 0, 255]}),
     ("colors", 2, "label-value"), None),
    ("image-label.colors.label-value", "missing", BOTH, "image-label",
     _delete("colors", 1, "label-value"), ("colors", 1), None),
    ("image-label.colors.label-value", "float", BOTH, "image-label",
     _set("colors", 1, "label-value", 2.5), ("colors", 1, "label-value"), None),
    ("image-label.colors.rgba-range", "too-large", BOTH, "image-label",
     _set("colors", 1, "rgba", [0, 0, 0, 500]), ("colors", 1, "rgba", 3), None),
    ("image-label.colors.rgba-range", "three", BOTH, "image-label",
     _set("colors", 1, "rgba", [0, 0, 0]), ("colors", 1, "rgba"), None),
    ("image-label.properties.list", "object", BOTH, "image-label", _set("properties", {}),
     ("properties",), None),
    ("image-label.properties.non-empty", "empty", BOTH, "image-label", _set("properties", []),
     ("properties",), None),
    ("image-label.properties.label-value", "missing", BOTH, "image-label",
     _delete("properties", 1, "label-value"), ("properties", 1), None),
    ("image-label.source.object", "string", BOTH, "image-label", _set("source", "../../"),
     ("source",), None),
    ("image-label.source.image-string", "number", BOTH, "image-label", _set("source", "image", 1),
     ("source", "image"), None),
    ("image-label.version.present", "missing", V04, "image-label", _delete("version"), (),
     "warning"),
    ("image-label.version.value", "foo", V04, "image-label", _set("version", "foo"), ("version",),
     None),
    ("image-label.version.string", "number", V05, "image-label", _set("version", 5), ("version",),
     None),
    # image-label rules
    ("image-label.colors.unique-values", "differing-rgba", BOTH, "image-label",
     _append("colors", {"label-value": 2, "rgba": [0, 0, 0, 0]}),
     ("colors", 2, "label-value"), None),
    ("image-label.properties.label-value-unique", "repeated", BOTH, "image-label",
     _append("properties", {"label-value": 1}), ("properties", 2, "label-value"), "warning"),
    ("image-label.source.relative", "absolute", BOTH, "image-label",
     _set("source", "image", "/data/image.zarr"), ("source", "image"), None),
    ("image-label.source.relative", "url", BOTH, "image-label",
     _set("source", "image", "https://example.org/image.zarr"), ("source", "image"), None),
]


def write_document_cases(written: set[Path]) -> None:
    for rule, what, versions, kind, mutate, tokens, severity in DOC_CASES:
        for version in versions:
            value = mutate(copy.deepcopy(VALID[kind](version)))
            expect: Doc = {"rule": rule, "pointer": doc_pointer(version, kind, *tokens)}
            if severity:
                expect["severity"] = severity
            case: Doc = {"description": f"{kind}: {what}",
                         "document": attributes(version, kind, value), "expect": [expect]}
            if severity in ("warning", "info"):
                case["valid"] = True
            written.add(write_case(rule, f"fail-{version}-{what}", version, case))
            written.add(write_case(rule, f"pass-{version}", version, {
                "description": f"a valid {kind} document",
                "document": attributes(version, kind, VALID[kind](version)),
                "valid": True,
            }))


# -- tree cases -----------------------------------------------------------------------------


def labelled_image(version: str, *, label_levels: int = 2, dtype: str = "uint8",
                   image_label: Doc | None = None, base_shape: int = 64) -> Tree:
    """A 2-level 2D image with a labels group listing one label image, ``cells``."""
    tree = image_tree(version)
    add_group(tree, "labels", version, {"labels": ["cells"]})
    label = image_label if image_label is not None else image_label_doc(version)
    extra = {"image-label": label} if label else {}
    add_image(tree, "labels/cells", version, levels=label_levels, dtype=dtype, extra=extra,
              base_shape=base_shape)
    return tree


def small_plate(version: str) -> Tree:
    """A 1 x 2 plate (wells A/1, A/2) with two fields per well, one acquisition."""
    tree = plate_tree(version, rows=1, columns=2, fields=2)
    _plate(tree, version)["acquisitions"][0]["name"] = "first"
    return tree


def _drop(tree: Tree, prefix: str) -> Tree:
    for key in [k for k in tree if k.startswith(prefix)]:
        del tree[key]
    return tree


def _plate(tree: Tree, version: str) -> Doc:
    plate: Doc = ome_of(tree, "", version)["plate"]
    return plate


def _well(tree: Tree, path: str, version: str) -> Doc:
    well: Doc = ome_of(tree, path, version)["well"]
    return well


def tree_plate_wells_exist(version: str) -> tuple[Tree, list[Doc]]:
    tree = _drop(small_plate(version), "A/2/")
    return tree, [{"rule": "plate.wells.exist", "node": "",
                   "pointer": tree_pointer(version, "plate", "wells", 1, "path")}]


def tree_field_count_too_large(version: str) -> tuple[Tree, list[Doc]]:
    tree = small_plate(version)
    _plate(tree, version)["field_count"] = 3
    return tree, [{"rule": "plate.field-count.matches-wells", "node": "",
                   "pointer": tree_pointer(version, "plate", "field_count"),
                   "severity": "warning"}]


def tree_field_count_too_small(version: str) -> tuple[Tree, list[Doc]]:
    tree = small_plate(version)
    _plate(tree, version)["field_count"] = 1
    _plate(tree, version)["acquisitions"][0]["maximumfieldcount"] = 2
    return tree, [{"rule": "plate.field-count.matches-wells", "node": "",
                   "pointer": tree_pointer(version, "plate", "field_count")}]


def tree_maximumfieldcount(version: str) -> tuple[Tree, list[Doc]]:
    tree = small_plate(version)
    _plate(tree, version)["acquisitions"][0]["maximumfieldcount"] = 1
    return tree, [{"rule": "plate.acquisitions.maximumfieldcount-respected", "node": "",
                   "pointer": tree_pointer(version, "plate", "acquisitions", 0,
                                           "maximumfieldcount"),
                   "severity": "warning"}]


def tree_well_images_exist(version: str) -> tuple[Tree, list[Doc]]:
    tree = _drop(small_plate(version), "A/1/1/")
    return tree, [{"rule": "well.images.exist", "node": "A/1",
                   "pointer": tree_pointer(version, "well", "images", 1, "path")}]


def _two_acquisitions(tree: Tree, version: str) -> None:
    plate = _plate(tree, version)
    plate["acquisitions"] = [{"id": 0, "name": "first", "maximumfieldcount": 2},
                             {"id": 1, "name": "second", "maximumfieldcount": 2}]


def tree_acquisition_required(version: str) -> tuple[Tree, list[Doc]]:
    tree = small_plate(version)
    _two_acquisitions(tree, version)
    del _well(tree, "A/2", version)["images"][1]["acquisition"]
    return tree, [{"rule": "well.images.acquisition-required", "node": "A/2",
                   "pointer": tree_pointer(version, "well", "images", 1)}]


def tree_acquisition_unknown(version: str) -> tuple[Tree, list[Doc]]:
    tree = small_plate(version)
    _two_acquisitions(tree, version)
    _well(tree, "A/2", version)["images"][1]["acquisition"] = 7
    return tree, [{"rule": "well.images.acquisition-known", "node": "A/2",
                   "pointer": tree_pointer(version, "well", "images", 1, "acquisition"),
                   "severity": "error"}]


def tree_acquisition_without_plate_acquisitions(version: str) -> tuple[Tree, list[Doc]]:
    tree = small_plate(version)
    del _plate(tree, version)["acquisitions"]
    return tree, [{"rule": "well.images.acquisition-known", "node": "A/1",
                   "pointer": tree_pointer(version, "well", "images", 0, "acquisition"),
                   "severity": "warning"}]


def tree_labels_missing(version: str) -> tuple[Tree, list[Doc]]:
    tree = _drop(labelled_image(version), "labels/cells/")
    return tree, [{"rule": "labels.paths.exist", "node": "labels",
                   "pointer": tree_pointer(version, "labels", 0)}]


def tree_labels_not_image(version: str) -> tuple[Tree, list[Doc]]:
    tree = labelled_image(version)
    del ome_of(tree, "labels/cells", version)["multiscales"]
    return tree, [{"rule": "labels.paths.exist", "node": "labels",
                   "pointer": tree_pointer(version, "labels", 0)}]


def tree_labels_no_image_label(version: str) -> tuple[Tree, list[Doc]]:
    tree = labelled_image(version, image_label={})
    return tree, [{"rule": "labels.paths.image-label", "node": "labels",
                   "pointer": tree_pointer(version, "labels", 0), "severity": "warning"}]


def tree_label_levels(version: str) -> tuple[Tree, list[Doc]]:
    tree = labelled_image(version, label_levels=1)
    return tree, [{"rule": "labels.datasets.count-matches-parent", "node": "labels/cells",
                   "pointer": tree_pointer(version, "multiscales", 0, "datasets")}]


def tree_label_shape(version: str) -> tuple[Tree, list[Doc]]:
    tree = labelled_image(version, base_shape=32)
    return tree, [{"rule": "labels.shape.matches-parent", "node": "labels/cells",
                   "pointer": tree_pointer(version, "multiscales", 0, "datasets", 0, "path"),
                   "severity": "warning"}]


def tree_label_shape_one(version: str) -> tuple[Tree, list[Doc]]:
    """Passing: the label has size 1 on the channel axis, where the image has 2 channels."""
    axes = [{"name": "c", "type": "channel"}, {"name": "y", "type": "space"},
            {"name": "x", "type": "space"}]
    tree: Tree = {}
    add_image(tree, "", version, axes=axes)
    add_group(tree, "labels", version, {"labels": ["cells"]})
    add_image(tree, "labels/cells", version, axes=axes,
              extra={"image-label": image_label_doc(version)})
    for level in range(2):
        size = 64 // 2**level
        for name, doc in array_docs(version, [1, size, size], "uint8", ["c", "y", "x"]).items():
            tree[f"labels/cells/{level}/{name}"] = doc
    return tree, []


def tree_source(value: str, severity: str) -> Callable[[str], tuple[Tree, list[Doc]]]:
    def build(version: str) -> tuple[Tree, list[Doc]]:
        label = image_label_doc(version)
        label["source"] = {"image": value}
        tree = labelled_image(version, image_label=label)
        return tree, [{"rule": "image-label.source.resolves", "node": "labels/cells",
                       "pointer": tree_pointer(version, "image-label", "source", "image"),
                       "severity": severity}]

    return build


def tree_label_float(version: str) -> tuple[Tree, list[Doc]]:
    tree = labelled_image(version, dtype="float32")
    key = "data_type" if version == "0.5" else "dtype"
    return tree, [{"rule": "image-label.arrays.integer", "node": "labels/cells/0",
                   "pointer": f"/{key}",
                   "severity": "error" if version == "0.5" else "warning"}]


TreeBuilder = Callable[[str], tuple[Tree, list[Doc]]]

# rule, case suffix, builder, versions, the verdict of the failing tree (None: not asserted)
TREE_CASES: list[tuple[str, str, TreeBuilder, tuple[str, ...], bool | None]] = [
    ("plate.wells.exist", "missing-well", tree_plate_wells_exist, BOTH, False),
    ("plate.field-count.matches-wells", "too-large", tree_field_count_too_large, BOTH, True),
    ("plate.field-count.matches-wells", "too-small", tree_field_count_too_small, BOTH, True),
    ("plate.acquisitions.maximumfieldcount-respected", "exceeded", tree_maximumfieldcount,
     BOTH, True),
    ("well.images.exist", "missing-field", tree_well_images_exist, BOTH, False),
    ("well.images.acquisition-required", "missing", tree_acquisition_required, BOTH, False),
    ("well.images.acquisition-known", "unknown", tree_acquisition_unknown, BOTH, False),
    ("well.images.acquisition-known", "plate-has-none",
     tree_acquisition_without_plate_acquisitions, BOTH, True),
    ("labels.paths.exist", "missing", tree_labels_missing, BOTH, False),
    ("labels.paths.exist", "not-an-image", tree_labels_not_image, BOTH, False),
    ("labels.paths.image-label", "no-image-label", tree_labels_no_image_label, BOTH, True),
    ("labels.datasets.count-matches-parent", "one-level", tree_label_levels, BOTH, False),
    ("labels.shape.matches-parent", "half-size", tree_label_shape, BOTH, True),
    ("image-label.source.resolves", "labels-group", tree_source("../", "warning"), BOTH, True),
    ("image-label.source.resolves", "itself", tree_source(".", "warning"), BOTH, True),
    ("image-label.source.resolves", "outside", tree_source("../../../other.zarr", "info"),
     BOTH, True),
    ("image-label.source.resolves", "elsewhere", tree_source("../../0", "info"), BOTH, True),
    ("image-label.arrays.integer", "float32", tree_label_float, BOTH, None),
]

# Passing trees: rule → builder (default: by the rule's kind).
PASS_TREES: dict[str, TreeBuilder] = {
    "labels.shape.matches-parent": tree_label_shape_one,
}


def _pass_tree(rule: str, version: str) -> tuple[str, Tree]:
    if rule in PASS_TREES:
        return "a label dimension of size 1", PASS_TREES[rule](version)[0]
    if rule.startswith(("plate.", "well.")):
        return "a valid plate", small_plate(version)
    return "an image with a valid label image", labelled_image(version)


def write_tree_cases(written: set[Path]) -> None:
    for rule, what, build, versions, valid in TREE_CASES:
        for version in versions:
            tree, expect = build(version)
            case: Doc = {"description": what.replace("-", " "), "tree": tree, "expect": expect}
            if valid is not None:
                case["valid"] = valid
            written.add(write_case(rule, f"fail-{version}-{what}", version, case))
            description, tree = _pass_tree(rule, version)
            written.add(write_case(rule, f"pass-{version}", version, {
                "description": description, "tree": tree, "valid": True}))


def write_special_cases(written: set[Path]) -> None:
    """Cases that fit neither table."""
    # labels.group.not-image (0.5): a group with both "labels" and "multiscales".
    tree = image_tree("0.5")
    ome_of(tree, "", "0.5")["labels"] = ["cells"]
    rule = "labels.group.not-image"
    written.add(write_case(rule, "fail-0.5-multiscales", "0.5", {
        "description": "an image group that also says it is a labels group",
        "document": tree["zarr.json"]["attributes"],
        "expect": [{"rule": rule, "pointer": "/ome/labels", "severity": "warning"}],
        "valid": True,
    }))
    written.add(write_case(rule, "pass-0.5", "0.5", {
        "description": "a labels group",
        "document": attributes("0.5", "labels", ["cells"]), "valid": True,
    }))


def main() -> None:
    written: set[Path] = set()
    write_document_cases(written)
    write_tree_cases(written)
    write_special_cases(written)
    # Remove earlier cases of these rules that this run did not write (renamed cases).
    rules = {path.parent.name for path in written}
    for folder in CASES.iterdir():
        if folder.is_dir() and folder.name in rules:
            for path in folder.glob("*.json"):
                # 0.6 cases are _gen_v06's
                if path not in written and path.stem.split("-")[1] in VERSIONS:
                    path.unlink()
    print(json.dumps({"rules": len(rules), "cases": len(written)}))


if __name__ == "__main__":
    main()
